"""The pool contract is the guide's table: `BaseWorkerPool`'s public members and the members of
the table in ``docs/write-your-own-worker-pool.md`` §2 are the same set."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from chariots_core.workers import BaseWorkerPool, PoolContext

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "write-your-own-worker-pool.md"


def _table_members(text: str) -> set[str]:
    """The members named in the first cell of each row of §2's table."""
    section = text.split("\n## 2.", 1)[1].split("\n## ", 1)[0]
    members = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = re.split(r"(?<!\\)\|", line)[1]
        members.update(re.findall(r"`(\w+)", first_cell))
    return members


def _public_members(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def test_the_guide_s_table_is_the_contract() -> None:
    assert _table_members(GUIDE.read_text(encoding="utf-8")) == _public_members(BaseWorkerPool)


def test_the_table_is_read_as_it_is_written() -> None:
    """The parser finds each member of a row, and only the first cell's."""
    text = (
        "# Guide\n\n## 2. The contract\n\n| member | what |\n| --- | --- |\n"
        "| `close()`, `describe()` | optional: `never_this` |\n"
        "| `submit(message) -> str \\| None` | put it |\n\n## 3. Next\n| `not_this` | x |\n"
    )
    assert _table_members(text) == {"close", "describe", "submit"}


def test_no_member_takes_the_server_or_a_database() -> None:
    """What a member takes or returns is a message, a job id, a URL, a count, a context:
    nothing of the database nor of the server."""
    for name in _public_members(BaseWorkerPool):
        member = inspect.getattr_static(BaseWorkerPool, name)
        function = getattr(member, "__func__", getattr(member, "fget", member))
        if not callable(function):
            continue
        annotations = " ".join(str(value) for value in function.__annotations__.values())
        assert not re.search(
            r"Database|Session|Connection|PipelinesServer|WorkerApp", annotations
        ), (
            name,
            annotations,
        )


def test_a_context_tells_the_app_s_name_and_heartbeat_timeout() -> None:
    context = PoolContext("some_app", heartbeat_timeout=12.0)
    assert (context.app_name, context.heartbeat_timeout, context.has_roster) == (
        "some_app",
        12.0,
        False,
    )
