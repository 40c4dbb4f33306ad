"""`JobPage`: one page of a job listing, and how many jobs match in all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chariots_core.jobs._job import Job

#: how many matching jobs past a page a listing counts at most, by default: a listing costs the
#: same however many jobs match, and a client still sees whether (and roughly how far) they go on
COUNT_AHEAD = 1000


@dataclass(frozen=True)
class JobPage:
    """Jobs, newest submitted first, from ``offset``, and how many match in all.

    ``total`` is exact when ``total_exact`` is true. Otherwise the count stopped a bound past
    the page (``COUNT_AHEAD``, a thousand, by default: counting every match would make a listing
    cost as much as the matches are many) and at least ``total`` jobs match. Either way, more
    jobs follow this page exactly when ``offset + len(jobs) < total``: :attr:`next_offset` says
    where.
    """

    jobs: list[Job]
    total: int
    total_exact: bool = True
    offset: int = 0
    #: the most jobs the page could hold (``None``: not bounded)
    limit: int | None = None

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or ``None`` when no job follows this page."""
        end = self.offset + len(self.jobs)
        return end if end < self.total else None

    def to_json(self) -> dict[str, Any]:
        """What ``GET /jobs`` answers (and ``chariots jobs --json`` prints)."""
        return {
            "jobs": [job.to_json() for job in self.jobs],
            "total": self.total,
            "total_exact": self.total_exact,
            "limit": self.limit,
            "offset": self.offset,
        }

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> JobPage:
        """Read back what :meth:`to_json` wrote (a server without ``total_exact`` counted every
        match)."""
        return cls(
            jobs=[Job.from_json(item) for item in payload["jobs"]],
            total=int(payload["total"]),
            total_exact=bool(payload.get("total_exact", True)),
            offset=int(payload.get("offset", 0)),
            limit=payload.get("limit"),
        )
