"""Building the pool: from a URL (options of the pool and of each broker, refused ones named),
from a broker, from Dramatiq's global broker; what it declares on each broker; priorities;
descriptions without passwords; JSON messages only."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.encoder import JSONEncoder, PickleEncoder

from chariots_core.errors import WorkerPoolError
from chariots_core.workers import Capability, get_worker_pool
from chariots_core.workers.kit import PoolURLError
from chariots_dramatiq import DramatiqWorkerPool
from chariots_dramatiq.brokers import broker_priority

REDIS = "dramatiq+redis://:secret@127.0.0.1:6379/2"
AMQP = "dramatiq+amqp://guest:secret@127.0.0.1:5672/"


@pytest.fixture
def pools() -> Iterator[list[DramatiqWorkerPool]]:
    made: list[DramatiqWorkerPool] = []
    yield made
    for pool in made:
        pool.close()


def test_a_redis_url_builds_dramatiqs_redis_broker_with_its_options(
    pools: list[DramatiqWorkerPool],
) -> None:
    url = f"{REDIS}?queue=q&fork=false&threads=3&heartbeat_timeout=5&maintenance_chance=10"
    pools.append(pool := DramatiqWorkerPool.from_url(url))

    assert isinstance(pool.broker, RedisBroker)
    assert (pool.queue, pool.fork, pool.threads) == ("q", False, 3)
    assert (pool.broker.heartbeat_timeout, pool.broker.maintenance_chance) == (5000, 10)
    assert pool.broker.client.connection_pool.connection_kwargs["db"] == 2
    assert pool.capabilities == {
        Capability.cancel_queued, Capability.interrupt_running, Capability.retries,
        Capability.delay,
    }  # fmt: skip
    assert "secret" not in f"{pool.describe()} {pool!r}"


def test_an_amqp_url_builds_dramatiqs_rabbitmq_broker_with_priorities(
    pools: list[DramatiqWorkerPool],
) -> None:
    pools.append(pool := DramatiqWorkerPool.from_url(f"{AMQP}?max_priority=4"))
    pools.append(plain := DramatiqWorkerPool.from_url(f"{AMQP}?max_priority=0"))
    pools.append(two_levels := DramatiqWorkerPool.from_url(f"{AMQP}?max_priority=1"))

    assert isinstance(pool.broker, RabbitmqBroker)
    assert pool.broker.max_priority == 4
    assert pool.capabilities == DramatiqWorkerPool.capabilities_by_transport["amqp"]
    assert Capability.priority not in plain.capabilities
    # -10, 0 and 10 fall on two broker priorities only: no `priority` declared
    assert Capability.priority not in two_levels.capabilities
    assert Capability.redelivery in plain.capabilities
    assert "secret" not in f"{pool.describe()} {pool!r}"


def test_chariots_priorities_center_on_rabbitmqs_range() -> None:
    broker = RabbitmqBroker(max_priority=10)

    assert [broker_priority(broker, p) for p in (-9, -5, 0, 5, 9)] == [0, 0, 5, 10, 10]
    assert broker_priority(RabbitmqBroker(), 3) is None
    assert broker_priority(StubBroker(), 3) is None


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("dramatiq://127.0.0.1:6379/0", "unknown transport"),
        ("dramatiq+kafka://127.0.0.1/", "unknown transport"),
        (f"{REDIS}?max_priority=3", "unknown option 'max_priority'"),
        (f"{AMQP}?maintenance_chance=3", "unknown option 'maintenance_chance'"),
        (f"{REDIS}?threads=0", "'threads'"),
        (f"{REDIS}?fork=true&threads=2", "fork=true runs one job at a time"),
        ("dramatiq+redis://127.0.0.1:6379/zero", "database number"),
    ],
)
def test_bad_urls_are_refused_saying_why(url: str, complaint: str) -> None:
    with pytest.raises(PoolURLError, match=complaint) as refused:
        DramatiqWorkerPool.from_url(url)
    assert "secret" not in str(refused.value)


def test_a_broker_of_the_team_and_dramatiqs_global_broker(pools: list[DramatiqWorkerPool]) -> None:
    broker = StubBroker()
    pools.append(pool := DramatiqWorkerPool(broker=broker, queue="jobs", fork=False, threads=2))
    previous = dramatiq.get_broker()
    dramatiq.set_broker(broker)
    try:
        pools.append(by_name := get_worker_pool("dramatiq", queue="jobs"))  # type: ignore[arg-type]
    finally:
        dramatiq.set_broker(previous)

    assert by_name.broker is broker  # type: ignore[attr-defined]
    assert "chariots_job:jobs" in broker.actors
    assert pool.capabilities == {Capability.interrupt_running, Capability.retries, Capability.delay}
    assert pool.describe() == "dramatiq pool on StubBroker, 'jobs', 2 threads per process"
    with pytest.raises(TypeError, match="dramatiq Broker"):
        DramatiqWorkerPool(broker="redis://")  # type: ignore[arg-type]


def test_two_pools_on_one_broker_and_queue_share_its_actor_and_roster_middleware(
    pools: list[DramatiqWorkerPool],
) -> None:
    broker = StubBroker()
    pools.append(first := DramatiqWorkerPool(broker=broker))
    pools.append(second := DramatiqWorkerPool(broker=broker))
    pools.append(other_queue := DramatiqWorkerPool(broker=broker, queue="other"))

    assert second.actor is first.actor
    assert second.roster_middleware is first.roster_middleware
    assert first.roster_middleware.pool is second  # the last one built runs the jobs
    assert other_queue.actor is not first.actor
    assert len(broker.actors) == 2


def test_messages_are_json_only() -> None:
    dramatiq.set_encoder(PickleEncoder())
    try:
        with pytest.raises(WorkerPoolError, match="JSON"):
            DramatiqWorkerPool(broker=StubBroker())
    finally:
        dramatiq.set_encoder(JSONEncoder())


def test_counting_workers_needs_an_app(pools: list[DramatiqWorkerPool]) -> None:
    pools.append(pool := DramatiqWorkerPool(broker=StubBroker()))

    with pytest.raises(WorkerPoolError, match="attached to no app"):
        _ = pool.n_workers
