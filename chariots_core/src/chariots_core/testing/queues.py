"""A queue of each test's own on a shared broker, and its clean-up.

Tests of a broker pool share one broker (a session's Redis, the machine's RabbitMQ): each test
works on a queue named for it alone, so that no test sees another's messages or workers, and
removes what it made there at its end. :class:`TestQueue` (the ``chariots_queue`` fixture) is
that name, the pool URLs on it, and the clean-ups registered for it::

    def test_jobs(chariots_queue, chariots_redis_url):
        chariots_queue.forget_redis_keys(chariots_redis_url)  # its keys go at the end
        pool = get_worker_pool(chariots_queue.url("rq://127.0.0.1:6379/0", fork="false"))
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["TestQueue", "unique_queue_name"]


def unique_queue_name(prefix: str = "chariots-test") -> str:
    """``<prefix>-<12 hex digits>``: a name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class TestQueue:
    """A queue of one test's own: its ``name``, URLs on it, and what removes it at the end."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, name: str | None = None, *, option: str = "queue") -> None:
        self.name = name or unique_queue_name()
        #: the URL query option naming the queue
        self.option = option
        self._cleanups: list[Callable[[], object]] = []

    def url(self, base: str, **query: object) -> str:
        """``base`` (a pool URL) on this queue, with more query options (``fork="false"``).
        The options of ``base``'s own query are kept; this queue's name comes first."""
        parts = urlsplit(base)
        params = [(self.option, self.name)]
        params += [(key, str(value)) for key, value in query.items()]
        params += [(k, v) for k, v in parse_qsl(parts.query) if k != self.option]
        return parts._replace(path=parts.path or "/", query=urlencode(params)).geturl()

    def on_cleanup(self, cleanup: Callable[[], object]) -> None:
        """Call ``cleanup`` at the end of the test (the last registered first)."""
        self._cleanups.append(cleanup)

    def forget_redis_keys(self, redis_url: str, *patterns: str) -> None:
        """At the end, delete the keys of the Redis at ``redis_url`` whose names hold the queue's
        name (``*<name>*``), and those matching ``patterns`` (needs the ``redis`` package)."""

        def delete() -> None:
            from redis import Redis

            client = Redis.from_url(redis_url)
            try:
                for pattern in (f"*{self.name}*", *patterns):
                    keys = list(client.scan_iter(match=pattern, count=1000))
                    if keys:
                        client.delete(*keys)
            finally:
                client.close()

        self.on_cleanup(delete)

    def cleanup(self) -> None:
        """Run the clean-ups, the last registered first; every one runs, and the first error is
        raised at the end."""
        errors: list[BaseException] = []
        while self._cleanups:
            try:
                self._cleanups.pop()()
            except Exception as error:  # the others still run
                errors.append(error)
        if errors:
            raise errors[0]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"TestQueue({self.name!r})"
