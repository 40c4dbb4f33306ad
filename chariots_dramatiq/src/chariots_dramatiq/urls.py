"""``dramatiq+redis://`` and ``dramatiq+amqp://`` URLs: the pool's options, the broker's, and the
broker they build (through the kit's URL parser)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pika
from dramatiq.broker import Broker
from redis.connection import URL_QUERY_ARGUMENT_PARSERS

from chariots_core.workers.kit import (
    Count,
    Flag,
    PoolURL,
    PoolURLError,
    Seconds,
    Text,
    UrlOption,
    parse_pool_url,
)

SCHEME = "dramatiq"
#: the queue chariots jobs go to unless told otherwise
DEFAULT_QUEUE = "chariots"
REDIS_TRANSPORTS = ("redis", "rediss")
AMQP_TRANSPORTS = ("amqp", "amqps")

#: the pool's own options, on every transport
POOL_OPTIONS: dict[str, UrlOption] = {
    "queue": Text(DEFAULT_QUEUE, "the Dramatiq queue of chariots jobs"),
    "fork": Flag(True, "run each job in a forked work horse, killed at the job's timeout"),
    "threads": Count(1, "Dramatiq worker threads per worker process (fork=false only)"),
    "worker_timeout": Seconds(1.0, "seconds an idle Dramatiq worker waits before it polls again"),
}
#: options of Dramatiq's RedisBroker (seconds where Dramatiq counts milliseconds)
REDIS_OPTIONS: dict[str, UrlOption] = {
    "namespace": Text("dramatiq", "the prefix of Dramatiq's Redis keys"),
    "heartbeat_timeout": Seconds(60.0, "seconds without a beat before a worker counts as dead"),
    "maintenance_chance": Count(
        1000,
        "chance in a million that a Redis command requeues the messages of dead workers",
        minimum=0,
        maximum=1_000_000,
    ),
    "dead_message_ttl": Seconds(7 * 86400.0, "seconds a dead-lettered message is kept"),
}
#: options of Dramatiq's RabbitmqBroker
AMQP_OPTIONS: dict[str, UrlOption] = {
    "max_priority": Count(
        10, "x-max-priority of the queues (0: no priorities)", minimum=0, maximum=255
    ),
    "confirm_delivery": Flag(False, "wait for RabbitMQ to confirm each message"),
}
_REDIS_PARAMETERS = frozenset(URL_QUERY_ARGUMENT_PARSERS) | {"client_name", "username", "password"}
_PIKA_PARAMETERS = frozenset(
    name.removeprefix("_set_url_")
    for name in dir(pika.URLParameters)
    if name.startswith("_set_url_")
)


def parse(url: str) -> PoolURL:
    """Parse a pool URL, refusing an option of the other broker's."""
    parsed = parse_pool_url(
        url, SCHEME, {**POOL_OPTIONS, **REDIS_OPTIONS, **AMQP_OPTIONS},
        transports=REDIS_TRANSPORTS + AMQP_TRANSPORTS, numbered_databases=REDIS_TRANSPORTS,
        passthrough=lambda name: name in _REDIS_PARAMETERS or name in _PIKA_PARAMETERS,
    )  # fmt: skip
    redis = parsed.transport in REDIS_TRANSPORTS
    foreign = AMQP_OPTIONS if redis else REDIS_OPTIONS
    known = _REDIS_PARAMETERS if redis else _PIKA_PARAMETERS
    wrong = [name for name in foreign if parsed.given(name)]
    wrong += [name for name, _ in parsed.passthrough if name not in known]
    if wrong:
        takes = ", ".join([*POOL_OPTIONS, *(REDIS_OPTIONS if redis else AMQP_OPTIONS)])
        raise PoolURLError(
            f"{parsed.describe()!r}: {', '.join(wrong)}: not an option of the {parsed.transport} "
            f"broker (it takes {takes} and its client's connection parameters)"
        )
    return parsed


def build_broker(parsed: PoolURL) -> Broker:
    """The Dramatiq broker a parsed URL names (it connects on first use)."""
    options: dict[str, Any] = parsed.options
    if parsed.transport in REDIS_TRANSPORTS:
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(  # type: ignore[no-untyped-call]
            url=parsed.transport_url(),
            namespace=options["namespace"],
            heartbeat_timeout=round(options["heartbeat_timeout"] * 1000),
            maintenance_chance=options["maintenance_chance"],
            dead_message_ttl=round(options["dead_message_ttl"] * 1000),
        )
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    # pika reads vhost "/" from "/" or "/%2F", not from kombu's "//"
    path = "/" if parsed.path == "//" else parsed.path
    return RabbitmqBroker(
        url=dataclasses.replace(parsed, path=path).transport_url(),
        max_priority=options["max_priority"] or None,
        confirm_delivery=options["confirm_delivery"],
    )


def pool_options(parsed: PoolURL) -> dict[str, Any]:
    """The pool's keyword arguments a parsed URL gives."""
    return {name: parsed.options[name] for name in POOL_OPTIONS}
