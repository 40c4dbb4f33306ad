"""Building a Celery pool: from ``celery+…`` URLs (its own Celery application, JSON only), from a
team's Celery application (one task registered, its queue added, nothing else changed); the
errors of bad URLs and arguments; the capabilities of each broker; the priority scale; what a
submitted message holds. No broker is needed: nothing here connects."""

from __future__ import annotations

import re
from typing import Any

import pytest
from celery import Celery

from chariots_celery import TASK_NAME, CeleryWorkerPool
from chariots_core.jobs import JobMessage, JobOptions
from chariots_core.workers import Capability
from chariots_core.workers.kit import PoolURLError


def test_a_redis_url_builds_the_pools_own_application() -> None:
    pool = CeleryWorkerPool.from_url(
        "celery+redis://:secret@cache.example:6380/2?queue=ml&timeout=30&priorities=0..2"
        "&kill_after=5&visibility_timeout=7200&inspect_timeout=0.5"
    )

    conf = pool.celery_app.conf
    assert conf.broker_url == "redis://:secret@cache.example:6380/2"
    assert conf.broker_transport_options == {"visibility_timeout": 7200.0}
    assert (pool.transport, pool.queue.name, pool.timeout) == ("redis", "ml", 30.0)
    assert (pool.priorities, pool.kill_after, pool.inspect_timeout) == ((2, 1, 0), 5.0, 0.5)
    assert (
        pool.describe()
        == "celery pool on redis://:***@cache.example:6380/2, queue 'ml' (3 priority levels)"
    )
    assert "secret" not in repr(pool)


def test_the_pools_own_application_is_json_only_without_results_and_acks_late() -> None:
    pool = CeleryWorkerPool("redis://localhost:6379/0")

    conf = pool.celery_app.conf
    assert (conf.task_serializer, conf.accept_content) == ("json", ["json"])
    assert (conf.result_accept_content, conf.event_serializer) == (["json"], "json")
    assert (conf.result_backend, conf.task_ignore_result) == (None, True)
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options == {"visibility_timeout": 3600.0}
    task = pool.task
    assert (task.name, task.serializer, task.acks_late, task.reject_on_worker_lost) == (
        TASK_NAME, "json", True, True,
    )  # fmt: skip
    assert (task.ignore_result, task.max_retries) == (True, None)
    assert list(pool.celery_app.tasks.keys() - _celery_builtins()) == [TASK_NAME]


def test_an_amqp_url_declares_the_queue_with_its_priorities() -> None:
    pool = CeleryWorkerPool.from_url("celery+amqp://guest:guest@rabbit.example:5672/ml?queue=q")

    assert pool.celery_app.conf.broker_url == "amqp://guest:guest@rabbit.example:5672/ml"
    assert pool.celery_app.conf.broker_transport_options == {}
    assert pool.transport == "amqp"
    assert pool.queue.queue_arguments == {"x-max-priority": 3}
    assert (pool.queue.exchange.name, pool.queue.routing_key) == ("q", "q")
    assert "q" in pool.celery_app.amqp.queues.consume_from
    assert (
        pool.describe()
        == "celery pool on amqp://guest:***@rabbit.example:5672/ml, queue 'q' (4 priority levels)"
    )


def test_tls_urls_pass_their_parameters_to_the_broker() -> None:
    rediss = CeleryWorkerPool.from_url("celery+rediss://:pw@cache:6380/1?ssl_cert_reqs=required")
    amqps = CeleryWorkerPool.from_url("celery+amqps://user:pw@rabbit:5671/ml?ssl=true&queue=q")

    assert rediss.celery_app.conf.broker_url == "rediss://:pw@cache:6380/1?ssl_cert_reqs=required"
    assert (rediss.transport, amqps.transport) == ("redis", "amqp")
    assert amqps.celery_app.conf.broker_url == "amqps://user:pw@rabbit:5671/ml?ssl=true"
    assert "pw" not in rediss.describe() + amqps.describe()


def test_with_no_argument_it_is_celerys_default_broker() -> None:
    pool = CeleryWorkerPool()

    assert pool.celery_app.conf.broker_url == "amqp://guest:guest@localhost:5672//"
    assert (pool.transport, pool.queue.name) == ("amqp", "chariots-celery")


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("celery://localhost", "unknown transport '(none)'"),
        (
            "celery+sqs://localhost",
            "it takes celery+redis, celery+rediss, celery+amqp, celery+amqps",
        ),
        ("celery+redis://localhost/0?concurrency=2", "unknown option 'concurrency'"),
        ("celery+redis://localhost/db", "must be a database number"),
        ("celery+redis://localhost/0?timeout=0", "option 'timeout'"),
        ("celery+redis://localhost/0?priorities=0..10", "11 priority levels"),
        ("celery+amqp://localhost//?visibility_timeout=10", "visibility_timeout is for"),
        ("celery+redis://localhost/0?logging_level=LOUD", "one of DEBUG, INFO"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, error: str) -> None:
    with pytest.raises(PoolURLError, match=re.escape(error)):
        CeleryWorkerPool.from_url(url)


def test_a_broker_url_and_an_application_together_are_refused() -> None:
    with pytest.raises(TypeError, match="a broker URL or a Celery application, not both"):
        CeleryWorkerPool("redis://localhost", celery_app=Celery(set_as_current=False))


def test_a_teams_application_gets_one_task_and_the_queue_and_nothing_else() -> None:
    app = Celery("proj", broker="redis://:secret@localhost:6379/3", set_as_current=False)
    app.conf.update(task_serializer="json", worker_prefetch_multiplier=4, task_default_queue="team")
    before = {key: app.conf[key] for key in app.conf}

    pool = CeleryWorkerPool(celery_app=app, queue="ml", timeout=60)
    again = CeleryWorkerPool(celery_app=app, queue="ml")

    assert {key: app.conf[key] for key in app.conf} == before
    assert list(app.tasks.keys() - _celery_builtins()) == [TASK_NAME]
    assert again.task is pool.task
    assert set(app.amqp.queues.consume_from) == {"team", "ml"}  # `celery worker` consumes both
    assert (pool.transport, pool.owns_app, pool.timeout) == ("redis", False, 60.0)
    assert "secret" not in pool.describe()
    with pytest.raises(PoolURLError, match="visibility_timeout"):
        CeleryWorkerPool(celery_app=app, visibility_timeout=10)


def test_capabilities_by_broker() -> None:
    redis = CeleryWorkerPool("redis://localhost")
    amqp = CeleryWorkerPool("amqp://localhost//")
    one_level = CeleryWorkerPool("amqp://localhost//", priorities=[0])
    elsewhere = CeleryWorkerPool(celery_app=Celery(broker="memory://", set_as_current=False))

    assert Capability.redelivery not in redis.capabilities
    assert redis.capabilities == CeleryWorkerPool.capabilities
    assert amqp.capabilities == CeleryWorkerPool.capabilities | {Capability.redelivery}
    assert CeleryWorkerPool.capabilities_by_transport == {
        "redis": redis.capabilities,
        "amqp": amqp.capabilities,
    }
    assert Capability.priority not in one_level.capabilities
    assert one_level.queue.queue_arguments is None
    assert elsewhere.capabilities == frozenset()
    assert elsewhere.broker_priority(10) is None


def test_one_priority_scale_on_both_brokers() -> None:
    """Higher chariots priorities first: RabbitMQ's priorities go up, Redis's go down."""
    amqp = CeleryWorkerPool("amqp://localhost//")
    redis = CeleryWorkerPool("redis://localhost")
    steps = Celery(broker="redis://localhost", set_as_current=False)
    steps.conf.broker_transport_options = {"priority_steps": list(range(10))}
    redis_ten_steps = CeleryWorkerPool(celery_app=steps)

    priorities = [20, 10, 7, 5, 1, 0, -1, -20]
    assert [amqp.broker_priority(p) for p in priorities] == [3, 3, 2, 2, 1, 1, 0, 0]
    assert [redis.broker_priority(p) for p in priorities] == [0, 0, 3, 3, 6, 6, 9, 9]
    assert [redis_ten_steps.broker_priority(p) for p in priorities] == [0, 0, 2, 2, 5, 5, 7, 7]


def test_submit_sends_the_json_message_with_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = CeleryWorkerPool("amqp://localhost//", timeout=100, kill_after=3)
    sent: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(
        type(pool.task), "apply_async", lambda self, args, **kwargs: sent.append((args, kwargs))
    )
    message = JobMessage("job-1", "app", "pipe", {"x": 1}, JobOptions(delay=2.5, priority=5))

    assert pool.submit(message) == "PENDING"
    assert pool.submit(JobMessage("job-2", "app", "pipe", None, JobOptions(timeout=4))) == "PENDING"

    (args, kwargs), (_, second) = sent
    assert args == (message.to_json(),)
    assert kwargs == {
        "task_id": "job-1", "queue": "chariots-celery", "priority": 2, "countdown": 2.5,
        "soft_time_limit": 100, "time_limit": 103,
    }  # fmt: skip
    assert (second["countdown"], second["soft_time_limit"], second["time_limit"]) == (None, 4, 7)


def _celery_builtins() -> set[str]:
    return set(Celery(set_as_current=False).tasks.keys())
