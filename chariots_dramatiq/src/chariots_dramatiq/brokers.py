"""What the pool does differently on Dramatiq's two brokers: what each honours, priorities,
removing a queued message (Redis), a forked worker's own connections, and a description."""

from __future__ import annotations

import threading
import uuid

from dramatiq.broker import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name

from chariots_core.workers import Capability, honoured_priorities, kit

#: what the pool honours on every broker (``timeouts`` with ``fork=true``)
COMMON = frozenset({Capability.interrupt_running, Capability.retries, Capability.delay})
#: Redis: a queued message can be taken off its list; RabbitMQ: priorities (``x-max-priority``),
#: and a dead consumer's unacknowledged messages go back to the queue at once
BY_TRANSPORT = {
    "redis": frozenset({Capability.cancel_queued}),
    "amqp": frozenset({Capability.priority, Capability.redelivery}),
}

#: take a message off its list and drop its data, only if no consumer fetched it yet
_REMOVE_QUEUED = """if redis.call("lrem", KEYS[1], 1, ARGV[1]) > 0 then
    return redis.call("hdel", KEYS[2], ARGV[1]) end return 0"""


def capabilities(broker: Broker, fork: bool) -> frozenset[Capability]:
    """What a pool on ``broker`` honours."""
    found = COMMON | ({Capability.timeouts} if fork else set())
    if isinstance(broker, RabbitmqBroker):
        found |= honoured_priorities(BY_TRANSPORT["amqp"], lambda p: broker_priority(broker, p))
    return found | (BY_TRANSPORT["redis"] if isinstance(broker, RedisBroker) else set())


def declare_queue(broker: Broker, queue: str) -> None:
    """Declare ``queue`` on RabbitMQ now: another of that name raises ``kit.QueueConflict``."""
    if isinstance(broker, RabbitmqBroker):
        with kit.explaining_queue_conflicts():
            broker.declare_queue(queue, ensure=True)


def broker_priority(broker: Broker, priority: int) -> int | None:
    """RabbitMQ's priority of a job of chariots ``priority``: 0 is the middle of the queue's
    ``0..max_priority`` (so that lower priorities exist too), others are clamped to the range."""
    top = broker.max_priority if isinstance(broker, RabbitmqBroker) else None
    return None if not top else max(0, min(int(top), priority + int(top) // 2))


def remove_queued(broker: Broker, queue: str, job_id: str) -> bool:
    """Take the job's messages off the Redis lists of ``queue`` (and of its delay queue) if no
    worker fetched them yet; whether one was. Other brokers cannot: ``False``."""
    if not isinstance(broker, RedisBroker):
        return False
    remove = broker.client.register_script(_REMOVE_QUEUED)
    removed = False
    for name in (queue, dq_name(queue)):
        key = f"{broker.namespace}:{name}"
        # the message (JSON) holds the chariots message (JSON text), and so the job's id
        for message_id, data in broker.client.hscan_iter(f"{key}.msgs", count=1000):
            if job_id.encode() in data:
                removed |= bool(remove(keys=[key, f"{key}.msgs"], args=[message_id]))
    return removed


def forget_parent_connections(broker: Broker) -> None:
    """In a process forked from the one that used ``broker``: open connections of its own (a
    RabbitMQ connection is a socket of the parent's), and, on Redis, a worker id of its own (a
    dead worker's messages are found by it)."""
    if isinstance(broker, RedisBroker):
        broker.broker_id = str(uuid.uuid4())  # redis-py opens new connections by itself
    elif isinstance(broker, RabbitmqBroker):
        broker.state = threading.local()
        broker.connections, broker.channels = set(), set()


def describe(broker: Broker) -> str:
    """Where the broker points (never its password)."""
    if isinstance(broker, RedisBroker):
        kwargs = broker.client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"redis {where}/{kwargs.get('db', 0)}"
    if isinstance(broker, RabbitmqBroker):
        first = broker.parameters[0] if isinstance(broker.parameters, list) else broker.parameters
        return f"rabbitmq {first.host}:{first.port}{first.virtual_host}"
    return type(broker).__name__
