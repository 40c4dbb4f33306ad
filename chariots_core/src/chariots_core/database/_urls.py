"""Database URLs: which driver chariots uses for each database, and where a SQLite file lives."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url

#: Bare PostgreSQL schemes are mapped to psycopg 3, the driver chariots is tested with.
_POSTGRES_ALIASES = {"postgresql", "postgres"}


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``, choosing psycopg 3 for ``postgresql://`` (and ``postgres://``) URLs."""
    parsed = make_url(url)
    if parsed.drivername in _POSTGRES_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_file_path(url: URL) -> Path | None:
    """The file a SQLite URL points at, or ``None`` for in-memory and ``file:`` URI databases."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def is_sqlite_memory(url: URL) -> bool:
    """Whether ``url`` names a private in-memory SQLite database."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
