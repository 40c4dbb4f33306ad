"""What ``chariots`` checks before it starts: a port it can listen on, a broker it can reach,
and the public import path of a class (for ``chariots plugins``)."""

from __future__ import annotations

import errno
import importlib
import socket
from urllib.parse import urlsplit

#: the port a transport listens on when its URL names none
DEFAULT_PORTS = {
    "redis": 6379,
    "rediss": 6379,
    "rq": 6379,
    "amqp": 5672,
    "amqps": 5671,
    "pyamqp": 5672,
    "postgresql": 5432,
    "postgres": 5432,
}
#: the backends whose URLs name their broker's host and port (a third party's URL may mean
#: something else: its pool says what is wrong with it)
CHECKED_BACKENDS = frozenset({"rq", "celery", "dramatiq", "embedded"})
#: seconds to wait for a broker's port to answer
CONNECT_TIMEOUT = 3.0


class Unreachable(Exception):
    """What cannot be reached or bound, in one line."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening; :class:`Unreachable` saying why not."""
    from werkzeug.serving import get_sockaddr, select_address_family

    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(get_sockaddr(host, port, family))
        sock.listen(128)
    except OSError as error:
        sock.close()
        reason = error.strerror or str(error)
        hint = ""
        if error.errno == errno.EADDRINUSE:
            hint = ": another program uses it (stop it, or give another --port; 0 takes any free)"
        raise Unreachable(f"cannot listen on {host}:{port}: {reason}{hint}") from None
    return sock


def check_reachable(url: str) -> None:
    """Connect to the host and port a pool URL names (``rq://host:6379/0``,
    ``celery+amqp://user@host//``…); :class:`Unreachable` when nothing answers there. A URL
    naming no host (``embedded://``, a socket path) or several, or of another backend than
    chariots' own, is not checked."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return  # not a URL this check understands: the pool says what is wrong with it
    backend, _, transport = parts.scheme.lower().rpartition("+")
    if (backend or transport) not in CHECKED_BACKENDS:
        return
    if port is None:
        port = DEFAULT_PORTS.get(transport)
    if not host or port is None or any(mark in parts.netloc for mark in ",;"):
        return
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        service = "redis" if transport == "rq" else transport
        raise Unreachable(
            f"cannot reach {host}:{port} ({service}): {reason}; is the broker running there?"
        ) from None


def public_path(cls: type) -> str:
    """``module.Class`` by the nearest public package that exports the class: the path a user
    imports, not the private module it is defined in (``a.b._pool.C`` becomes ``a.b.C``)."""
    parts = cls.__module__.split(".")
    for end in range(len(parts), 0, -1):
        if any(part.startswith("_") for part in parts[:end]):
            continue
        name = ".".join(parts[:end])
        try:
            module = importlib.import_module(name)
        except Exception:
            continue
        if getattr(module, cls.__qualname__, None) is cls:
            return f"{name}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"
