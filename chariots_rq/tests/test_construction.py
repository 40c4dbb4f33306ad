"""Building an RQ pool: the seed page's way (a Redis client), from keyword arguments, from URLs;
and the errors a bad URL or bad arguments get. No Redis server is needed: nothing connects."""

from __future__ import annotations

import pytest
from redis import Redis
from redis.connection import SSLConnection, UnixDomainSocketConnection
from rq.serializers import JSONSerializer

from chariots_core.errors import WorkerPoolError
from chariots_core.workers import Capability, get_worker_pool
from chariots_rq import DEFAULT_PRIORITIES, RQURLError, RQWorkerPool, WorkerOptions


def connection_kwargs(pool: RQWorkerPool) -> dict[str, object]:
    return dict(pool.redis.connection_pool.connection_kwargs)


def test_the_seed_pages_way_a_redis_client_by_keyword_or_position() -> None:
    client = Redis(host="redis.example", port=6380, db=2)

    by_keyword = RQWorkerPool(redis=client)
    by_position = RQWorkerPool(client)

    assert by_keyword.redis is client
    assert by_position.redis is client
    assert by_keyword.queue_name == "chariots"
    assert by_keyword.describe() == (
        "rq pool on redis redis.example:6380/2, queue 'chariots' (21 priority levels)"
    )


def test_no_arguments_means_redis_on_localhost() -> None:
    pool = RQWorkerPool()

    kwargs = connection_kwargs(pool)
    assert (kwargs.get("host"), kwargs.get("port"), kwargs.get("db")) == ("localhost", 6379, 0)


def test_redis_kwargs_build_the_client() -> None:
    pool = RQWorkerPool(redis_kwargs={"host": "cache", "port": 7000, "db": 3})

    kwargs = connection_kwargs(pool)
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("cache", 7000, 3)


def test_a_client_and_redis_kwargs_together_are_refused() -> None:
    with pytest.raises(TypeError, match="a Redis client or redis_kwargs, not both"):
        RQWorkerPool(redis=Redis(), redis_kwargs={"host": "cache"})
    with pytest.raises(TypeError, match=r"redis must be a redis\.Redis client, not str"):
        RQWorkerPool("redis://localhost")  # type: ignore[arg-type]


def test_queue_kwargs_go_to_rq_with_a_json_serializer() -> None:
    pool = RQWorkerPool(
        Redis(), queue_kwargs={"name": "ml", "default_timeout": 90, "is_async": True}
    )

    assert pool.queue_name == "ml"
    assert pool.timeout == 90.0
    assert pool.queue_names[:2] == ["ml:p+10", "ml:p+9"]
    assert all(queue.serializer is JSONSerializer for queue in pool.queues)
    assert all(queue.connection is pool.redis for queue in pool.queues)


@pytest.mark.parametrize("reserved", ["serializer", "connection"])
def test_queue_kwargs_cannot_change_the_serializer_or_the_connection(reserved: str) -> None:
    with pytest.raises(TypeError, match=rf"queue_kwargs cannot set \['{reserved}'\]"):
        RQWorkerPool(Redis(), queue_kwargs={reserved: object()})


def test_two_different_queue_names_are_refused() -> None:
    with pytest.raises(TypeError, match="two queue names given"):
        RQWorkerPool(Redis(), queue="a", queue_kwargs={"name": "b"})


def test_priority_levels_each_get_a_queue_highest_first() -> None:
    pool = RQWorkerPool(Redis(), queue="q", priorities="-1..1")

    assert pool.priorities == (1, 0, -1)
    assert pool.queue_names == ["q:p+1", "q", "q:p-1"]
    # a job goes to the highest level not above its priority, the lowest below them all
    assert [pool.queue_for(priority).name for priority in (7, 1, 0, -1, -9)] == [
        "q:p+1",
        "q:p+1",
        "q",
        "q:p-1",
        "q:p-1",
    ]
    assert RQWorkerPool(Redis()).priorities == tuple(sorted(DEFAULT_PRIORITIES, reverse=True))
    assert RQWorkerPool(Redis(), priorities=[0]).queue_names == ["chariots"]


def test_priority_is_declared_only_with_a_queue_each_for_minus_ten_zero_and_ten() -> None:
    assert Capability.priority in RQWorkerPool(Redis(), priorities="-10..10").capabilities
    assert Capability.priority in RQWorkerPool(Redis(), priorities="-10,0,10").capabilities
    # -10 and 0 share the lowest queue: two levels only
    assert Capability.priority not in RQWorkerPool(Redis(), priorities="0,5,10").capabilities
    assert Capability.priority not in RQWorkerPool(Redis(), priorities=[0]).capabilities


def test_capabilities_declare_what_rq_does_natively() -> None:
    assert RQWorkerPool.backend == "rq"
    assert RQWorkerPool.capabilities == {
        Capability.cancel_queued,
        Capability.interrupt_running,
        Capability.timeouts,
        Capability.retries,
        Capability.delay,
        Capability.priority,
    }


# -- URLs -----------------------------------------------------------------------------------------


def test_url_with_host_port_and_database() -> None:
    pool = RQWorkerPool.from_url("rq://redis.example:6380/4")

    kwargs = connection_kwargs(pool)
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.example", 6380, 4)
    assert pool.redis.connection_pool.connection_class is not SSLConnection
    assert pool.queue_name == "chariots"
    assert pool.url == "rq://redis.example:6380/4"


def test_url_defaults_and_credentials() -> None:
    pool = RQWorkerPool.from_url("rq+redis://user:s3cret@cache")

    kwargs = connection_kwargs(pool)
    assert (kwargs["host"], kwargs.get("port", 6379), kwargs.get("db", 0)) == ("cache", 6379, 0)
    assert (kwargs["username"], kwargs["password"]) == ("user", "s3cret")


def test_rediss_url_is_tls() -> None:
    pool = RQWorkerPool.from_url("rq+rediss://cache:6390/1?ssl_cert_reqs=none")

    assert pool.redis.connection_pool.connection_class is SSLConnection
    kwargs = connection_kwargs(pool)
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("cache", 6390, 1)
    assert kwargs["ssl_cert_reqs"] == "none"


def test_unix_socket_url() -> None:
    pool = RQWorkerPool.from_url("rq+unix:///run/redis/redis.sock?db=5&queue=jobs")

    assert pool.redis.connection_pool.connection_class is UnixDomainSocketConnection
    kwargs = connection_kwargs(pool)
    assert (kwargs["path"], kwargs["db"]) == ("/run/redis/redis.sock", 5)
    assert pool.describe().startswith("rq pool on redis unix:/run/redis/redis.sock/5")


def test_query_parameters_set_the_queue_defaults_and_workers() -> None:
    pool = RQWorkerPool.from_url(
        "rq://localhost:6379/0?queue=ml&timeout=600&result_ttl=60&failure_ttl=3600"
        "&priorities=0,5,10&fork=false&worker_ttl=60&job_monitoring_interval=5"
        "&maintenance_interval=30&abandoned_after=10&logging_level=warning"
        "&socket_timeout=2.5"
    )

    assert pool.queue_name == "ml"
    assert (pool.timeout, pool.result_ttl, pool.failure_ttl) == (600.0, 60.0, 3600.0)
    assert pool.queue_names == ["ml:p+10", "ml:p+5", "ml"]
    assert pool.worker_options == WorkerOptions(
        fork=False,
        worker_ttl=60,
        job_monitoring_interval=5,
        maintenance_interval=30,
        abandoned_after=10,
        logging_level="WARNING",
    )
    assert connection_kwargs(pool)["socket_timeout"] == 2.5


def test_get_worker_pool_builds_it_from_a_url() -> None:
    pool = get_worker_pool("rq://localhost:6379/0?queue=resolved")

    assert isinstance(pool, RQWorkerPool)
    assert pool.queue_name == "resolved"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("rq+http://localhost", r"unknown transport 'http'.*takes rq\+redis, rq\+rediss, rq\+unix"),
        ("rq:localhost", "is not a URL of the rq pool"),
        ("rq://localhost:notaport/0", "port of .* is not a number"),
        ("rq://localhost:0/0", "port of .* must not be 0"),
        ("rq://localhost/zero", "must be a database number .* not '/zero'"),
        ("rq://localhost/0?colour=blue", "unknown option 'colour'.*takes abandoned_after"),
        (
            "rq://localhost/0?timeout=soon",
            "'timeout' .* must be a number of seconds > 0, not 'soon'",
        ),
        ("rq://localhost/0?timeout=-3", "'timeout' .* must be a number of seconds > 0, not '-3'"),
        ("rq://localhost/0?result_ttl=0", "'result_ttl' .* must be a number of seconds > 0"),
        ("rq://localhost/0?queue=a&queue=b", "'queue' is given twice"),
        ("rq://localhost/0?priorities=high", "'priorities' .* must be integers: a range"),
        ("rq://localhost/0?priorities=3..1", "'priorities' .* must be integers: a range"),
        ("rq://localhost/0?priorities=0..100", "101 priority levels: give from 1 to 64"),
        ("rq://localhost/0?fork=maybe", "'fork' .* must be true or false, not 'maybe'"),
        ("rq://localhost/0?worker_ttl=10", "'worker_ttl' .* must be a whole number >= 16"),
        ("rq://localhost/0?worker_ttl=20.5", "'worker_ttl' .* must be a whole number >= 16"),
        ("rq://localhost/0?logging_level=chatty", "'logging_level' .* must be one of DEBUG"),
        ("rq://localhost/0#fragment", "has a fragment"),
        ("rq+unix://", "names no socket"),
        ("rq://user:hunter2@localhost/zero", r"rq://user:\*\*\*@localhost/zero"),
    ],
)
def test_bad_urls_get_clear_errors(url: str, message: str) -> None:
    with pytest.raises(RQURLError, match=message) as raised:
        RQWorkerPool.from_url(url)

    assert isinstance(raised.value, WorkerPoolError)
    assert "hunter2" not in str(raised.value)


def test_a_bad_url_through_get_worker_pool_is_a_worker_pool_error() -> None:
    with pytest.raises(WorkerPoolError, match="unknown option 'colour'"):
        get_worker_pool("rq://localhost/0?colour=blue")


def test_bad_keyword_values_are_refused() -> None:
    with pytest.raises(RQURLError, match="'timeout' must be a number of seconds"):
        RQWorkerPool(Redis(), timeout="long")  # type: ignore[arg-type]
    with pytest.raises(RQURLError, match="0 priority levels: give from 1 to 64"):
        RQWorkerPool(Redis(), priorities=[])
    with pytest.raises(RQURLError, match="'queue' must be a non-empty string"):
        RQWorkerPool(Redis(), queue=" ")
    with pytest.raises(TypeError, match=r"unknown worker options \['forks'\]"):
        RQWorkerPool(Redis(), worker_options={"forks": True})
    with pytest.raises(
        RQURLError, match="'job_monitoring_interval' must be a whole number >= 1, not 0"
    ):
        WorkerOptions(job_monitoring_interval=0)
