"""``embedded://`` URLs: where the embedded pool's queue is, which queue, and how jobs run.

- ``embedded://``: the database of the app the pool is attached to;
- ``embedded:///abs/path/chariots.db``: that SQLite file;
- ``embedded+postgresql://user@host/db``, ``embedded+sqlite:///relative.db``: any SQLAlchemy URL
  after the ``+`` (its own query parameters are passed on to it);

each with the options ``queue`` (default ``default``), ``mode`` (``thread`` or ``process``),
``poll_interval`` (seconds) and ``autostart`` (workers started in this process on the first
submit: by default two when none listens on the queue; ``0`` where workers run elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chariots_core.workers.kit.urls import (
    Choice,
    Count,
    PoolURLError,
    Seconds,
    Text,
    UrlOption,
    parse_pool_url,
)

SCHEME = "embedded"
OPTIONS: dict[str, UrlOption] = {
    "queue": Text(help="the queue's name (default: default)"),
    "mode": Choice(("thread", "process"), help="workers in threads, or processes forking horses"),
    "poll_interval": Seconds(help="seconds an idle worker waits before it looks again"),
    "autostart": Count(
        minimum=0,
        help="workers started in this process on the first submit (default: 2 if none listens;"
        " 0: workers run elsewhere, in `chariots worker`)",
    ),
}


@dataclass(frozen=True)
class EmbeddedURL:
    """What an ``embedded://`` URL says: a database URL (or none) and the pool's keywords."""

    database: str | None
    options: dict[str, Any]


def parse_embedded_url(url: str) -> EmbeddedURL:
    parsed = parse_pool_url(url, SCHEME, OPTIONS, passthrough=lambda name: True)
    options = {name: value for name, value in parsed.options.items() if value is not None}
    location = url.partition("://")[2].partition("?")[0]
    if parsed.transport:
        return EmbeddedURL(parsed.transport_url(), options)
    if parsed.passthrough:
        raise PoolURLError(
            f"unknown option {parsed.passthrough[0][0]!r} in {parsed.describe()!r}: the "
            f"{SCHEME} pool takes {', '.join(sorted(OPTIONS))}"
        )
    if location in ("", "/"):
        return EmbeddedURL(None, options)
    if location.startswith("/"):
        return EmbeddedURL(f"sqlite:///{location}", options)
    raise PoolURLError(
        f"{parsed.describe()!r} names a host; an {SCHEME}:// URL names a SQLite file "
        f"({SCHEME}:///abs/path.db) or a database URL after '+' ({SCHEME}+postgresql://…)"
    )
