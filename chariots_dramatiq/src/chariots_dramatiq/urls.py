"""``dramatiq+redis://`` and ``dramatiq+amqp://`` URLs: the pool's options, the broker's, and the
broker they build (through the kit's URL parser)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pika
from dramatiq.broker import Broker
from redis.connection import URL_QUERY_ARGUMENT_PARSERS

from chariots_core.workers.kit import Count, Flag, PoolURL, Seconds, Text, UrlOption, parse_pool_url

SCHEME = "dramatiq"
#: the queue chariots jobs go to unless told otherwise (up to 0.1.x: ``chariots``)
DEFAULT_QUEUE = "chariots-dramatiq"
REDIS = ("redis", "rediss")

#: the pool's own options, on every broker
POOL_OPTIONS: dict[str, UrlOption] = {
    "queue": Text(DEFAULT_QUEUE, "the Dramatiq queue of chariots jobs"),
    "fork": Flag(True, "each job in a forked work horse, killed at the job's timeout"),
    "threads": Count(1, "Dramatiq worker threads per worker process (fork=false only)"),
    "worker_timeout": Seconds(1.0, "seconds an idle Dramatiq worker waits before it polls again"),
}
#: options of Dramatiq's RedisBroker (in seconds where Dramatiq counts milliseconds)
REDIS_OPTIONS: dict[str, UrlOption] = {
    "heartbeat_timeout": Seconds(60.0, "seconds without a beat before a worker counts as dead"),
    "maintenance_chance": Count(
        1000, "chance in 10**6 that a command requeues dead workers' messages", minimum=0
    ),
}
#: options of Dramatiq's RabbitmqBroker
AMQP_OPTIONS: dict[str, UrlOption] = {
    "max_priority": Count(10, "x-max-priority of the queues (0: none)", minimum=0, maximum=255),
    "confirm_delivery": Flag(False, "wait for RabbitMQ to confirm each message"),
}
_REDIS_PARAMETERS = frozenset(URL_QUERY_ARGUMENT_PARSERS) | {"client_name", "username", "password"}
_PIKA_PARAMETERS = frozenset(
    name[len("_set_url_") :] for name in dir(pika.URLParameters) if name.startswith("_set_url_")
)


def parse(url: str) -> PoolURL:
    """Take a pool URL apart: the pool's options and its broker's (those of the transport)."""
    redis = url.partition("://")[0].partition("+")[2].lower() in REDIS
    return parse_pool_url(
        url, SCHEME, {**POOL_OPTIONS, **(REDIS_OPTIONS if redis else AMQP_OPTIONS)},
        transports=(*REDIS, "amqp", "amqps"), numbered_databases=REDIS,
        passthrough=_REDIS_PARAMETERS if redis else _PIKA_PARAMETERS,
    )  # fmt: skip


def build_broker(parsed: PoolURL) -> Broker:
    """The Dramatiq broker of a parsed URL (it connects on first use)."""
    options: dict[str, Any] = parsed.options
    if parsed.transport in REDIS:
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(  # type: ignore[no-untyped-call]
            url=parsed.transport_url(),
            heartbeat_timeout=round(options["heartbeat_timeout"] * 1000),
            maintenance_chance=options["maintenance_chance"],
        )
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    path = "/" if parsed.path == "//" else parsed.path  # pika's vhost "/" is "/", not "//"
    return RabbitmqBroker(
        url=dataclasses.replace(parsed, path=path).transport_url(),
        max_priority=options["max_priority"] or None,
        confirm_delivery=options["confirm_delivery"],
    )
