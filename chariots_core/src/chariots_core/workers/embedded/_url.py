"""``embedded://`` URLs: where the embedded pool's queue is, which queue, and how jobs run.

- ``embedded://``: the database of the app the pool is attached to;
- ``embedded:///abs/path/chariots.db``: that SQLite file;
- ``embedded+postgresql://user@host/db``, ``embedded+sqlite:///relative.db``: any SQLAlchemy URL
  after the ``+`` (its own query parameters are passed on to it);

each with the query parameters ``queue`` (default ``default``), ``mode`` (``thread`` or
``process``), ``poll_interval`` (seconds) and ``autostart`` (workers started on first submit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from chariots_core.errors import WorkerPoolError

SCHEME = "embedded"
_PARAMETERS = ("queue", "mode", "poll_interval", "autostart")


@dataclass(frozen=True)
class EmbeddedURL:
    """What an ``embedded://`` URL says: a database URL (or none) and the pool's keywords."""

    database: str | None
    options: dict[str, Any]


def parse_embedded_url(url: str) -> EmbeddedURL:
    scheme, separator, rest = url.partition("://")
    base, _, driver = scheme.partition("+")
    if not separator or base.lower() != SCHEME:
        raise WorkerPoolError(f"{url!r} is not an {SCHEME}:// URL")
    location, _, query = rest.partition("?")
    options: dict[str, Any] = {}
    passed_on: list[tuple[str, str]] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in _PARAMETERS:
            options[key] = _option(url, key, value)
        elif driver:
            passed_on.append((key, value))
        else:
            raise WorkerPoolError(
                f"unknown parameter {key!r} in {url!r} (known: {', '.join(_PARAMETERS)})"
            )
    if driver:
        database = f"{driver}://{location}" + (f"?{urlencode(passed_on)}" if passed_on else "")
    elif location in ("", "/"):
        database = None
    elif location.startswith("/"):
        database = f"sqlite:///{location}"
    else:
        raise WorkerPoolError(
            f"{url!r} names a host; an {SCHEME}:// URL names a SQLite file "
            f"({SCHEME}:///abs/path.db) or a database URL after '+' ({SCHEME}+postgresql://…)"
        )
    return EmbeddedURL(database, options)


def _option(url: str, key: str, value: str) -> Any:
    try:
        if key == "poll_interval":
            return float(value)
        if key == "autostart":
            return int(value)
    except ValueError:
        raise WorkerPoolError(
            f"parameter {key!r} of {url!r} must be a number, not {value!r}"
        ) from None
    return value
