"""The kit's :class:`AsyncioBridge`: an asyncio-only client (``redis.asyncio``, against the tests'
Redis) used from synchronous code: results and errors come back, a timeout cancels the coroutine
(on the server too), many threads share one loop, closing ends it, and a forked child runs
coroutines in a loop of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from _polling import eventually
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from chariots_core.workers.kit import AsyncioBridge, fork_context

#: seconds anything here has to happen (the timeouts tested are far shorter)
DEADLINE = 30.0


@pytest.fixture
def bridge() -> Iterator[AsyncioBridge]:
    made = AsyncioBridge("test-asyncio-bridge")
    yield made
    made.close()


@pytest.fixture
def client(bridge: AsyncioBridge, chariots_redis_url: str) -> Iterator[Redis]:
    """A ``redis.asyncio`` client made in the bridge's loop, closed there at the end."""

    async def connect() -> Redis:
        return Redis.from_url(chariots_redis_url)

    made = bridge.run(connect())
    yield made
    if not bridge.closed:
        bridge.run(made.aclose())


@pytest.fixture
def key(bridge: AsyncioBridge, client: Redis) -> Iterator[str]:
    """A Redis key of this test's own, deleted at the end."""
    name = f"chariots-test-bridge-{uuid.uuid4().hex[:12]}"
    yield name
    if not bridge.closed:
        bridge.run(client.delete(name))


def test_run_returns_what_the_coroutine_returns(
    bridge: AsyncioBridge, client: Redis, key: str
) -> None:
    assert bridge.run(client.set(key, "chariots"), timeout=DEADLINE) is True
    assert bridge.run(client.get(key), timeout=DEADLINE) == b"chariots"


def test_run_raises_what_the_coroutine_raises(bridge: AsyncioBridge, client: Redis) -> None:
    with pytest.raises(ResponseError, match="unknown command"):
        bridge.run(client.execute_command("CHARIOTS-NO-SUCH-COMMAND"), timeout=DEADLINE)

    assert bridge.run(client.ping(), timeout=DEADLINE) is True


def test_a_coroutine_past_its_timeout_is_cancelled_and_raises_timeout_error(
    bridge: AsyncioBridge, client: Redis, key: str
) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"did not end within 0\.2s"):
        bridge.run(client.blpop([key], timeout=DEADLINE), timeout=0.2)
    assert time.monotonic() - started < DEADLINE / 2

    # the BLPOP is gone from the server too (its connection dropped): it takes nothing pushed now
    def blocked() -> int:
        info = bridge.run(client.info("clients"), timeout=DEADLINE)
        return int(info["blocked_clients"])

    eventually(lambda: blocked() == 0, timeout=DEADLINE, what="the cancelled BLPOP ends")
    bridge.run(client.rpush(key, "job"), timeout=DEADLINE)
    assert bridge.run(client.lpop(key), timeout=DEADLINE) == b"job"


def test_threads_share_one_loop_in_the_bridges_thread(
    bridge: AsyncioBridge, client: Redis, key: str
) -> None:
    seen: set[str] = set()

    async def increment() -> int:
        seen.add(threading.current_thread().name)
        return int(await client.incr(key))

    def work() -> None:
        for _ in range(25):
            bridge.run(increment(), timeout=DEADLINE)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)

    assert int(bridge.run(client.get(key), timeout=DEADLINE) or 0) == 200
    assert seen == {"test-asyncio-bridge"}


def test_run_from_the_bridges_own_loop_is_refused(bridge: AsyncioBridge) -> None:
    async def nested() -> int:
        return bridge.run(asyncio.sleep(0, result=1))

    with pytest.raises(RuntimeError, match="own loop: await the coroutine"):
        bridge.run(nested(), timeout=DEADLINE)


def test_close_cancels_what_runs_ends_the_thread_and_refuses_more(
    bridge: AsyncioBridge, client: Redis, key: str
) -> None:
    outcome: list[BaseException] = []

    def wait_for_a_job() -> None:
        try:
            bridge.run(client.blpop([key], timeout=DEADLINE))
        except BaseException as error:  # what close() made of the call
            outcome.append(error)

    waiter = threading.Thread(target=wait_for_a_job)
    waiter.start()
    eventually(
        lambda: int(bridge.run(client.info("clients"))["blocked_clients"]) > 0,
        timeout=DEADLINE,
        what="the BLPOP waits",
    )

    bridge.close(timeout=DEADLINE)
    waiter.join(DEADLINE)

    assert [type(error) for error in outcome] == [concurrent.futures.CancelledError]
    assert "test-asyncio-bridge" not in {thread.name for thread in threading.enumerate()}
    assert bridge.closed
    with pytest.raises(RuntimeError, match="is closed"):
        bridge.run(asyncio.sleep(0))
    bridge.close()  # again: nothing to do


def _in_the_child(bridge: AsyncioBridge, url: str, parent_loop_thread: int) -> None:
    """A forked child's use of the parent's bridge: exit 0 when a client of its own answers in a
    loop thread of its own."""

    async def ping() -> tuple[bool, int | None]:
        child_client = Redis.from_url(url)
        try:
            return bool(await child_client.ping()), threading.get_native_id()
        finally:
            await child_client.aclose()

    answered, loop_thread = bridge.run(ping(), timeout=DEADLINE)
    bridge.close()
    raise SystemExit(0 if answered and loop_thread != parent_loop_thread else 1)


def test_after_a_fork_the_child_runs_coroutines_in_a_loop_of_its_own(
    bridge: AsyncioBridge, client: Redis, chariots_redis_url: str
) -> None:
    async def loop_thread() -> int:
        return threading.get_native_id()

    parent_loop_thread = bridge.run(loop_thread(), timeout=DEADLINE)
    child = fork_context().Process(
        target=_in_the_child, args=(bridge, chariots_redis_url, parent_loop_thread)
    )
    child.start()
    child.join(DEADLINE)

    assert child.exitcode == 0
    # the parent's loop and client go on as they were
    assert bridge.run(client.ping(), timeout=DEADLINE) is True
    assert bridge.run(loop_thread(), timeout=DEADLINE) == parent_loop_thread
