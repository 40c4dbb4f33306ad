"""Counting what code asks of a database: its SQL statements and its write transactions, with
SQLAlchemy's engine events. The job-path cost test and the benchmark count with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["StatementCount", "count_statements"]

_WRITES = ("INSERT", "UPDATE", "DELETE")
#: where a connection notes that its transaction wrote
_WROTE = "chariots_sql_count_wrote"


@dataclass
class StatementCount:
    """The SQL statements run (whitespace collapsed), and the write transactions (a commit after
    an ``INSERT``, ``UPDATE`` or ``DELETE``)."""

    texts: list[str] = field(default_factory=list)
    writes: int = 0

    @property
    def statements(self) -> int:
        return len(self.texts)

    @property
    def queries(self) -> list[str]:
        """The statements but SQLite's ``BEGIN`` (a transaction's start)."""
        return [text for text in self.texts if not text.startswith("BEGIN")]

    @property
    def updates(self) -> list[str]:
        return [text for text in self.texts if text.startswith("UPDATE")]


@contextmanager
def count_statements(
    engine: Engine, into: StatementCount | None = None
) -> Iterator[StatementCount]:
    """Count, within the block, what runs on ``engine``: into ``into`` (adding to what it holds
    already), or a new count."""
    seen = StatementCount() if into is None else into

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        text = " ".join(statement.split())
        seen.texts.append(text)
        if text.split(" ", 1)[0].upper() in _WRITES:
            conn.info[_WROTE] = True

    def on_commit(conn: Any) -> None:
        if conn.info.pop(_WROTE, False):
            seen.writes += 1

    def on_rollback(conn: Any) -> None:
        conn.info.pop(_WROTE, None)

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)
