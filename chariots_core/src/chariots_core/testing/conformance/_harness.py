"""`Harness`: what the suite's tests drive jobs with: submit, wait, gates, occupied workers.

Nothing here sleeps to wait for something: every wait polls a condition until a deadline, then
fails with a message that says which behaviour of the pool broke.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chariots_core.jobs import Job, JobOptions, JobStore
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing._pipelines_client import TestPipelinesClient
from chariots_core.workers import BaseWorkerPool

T = TypeVar("T")

#: how often a wait looks again
POLL_INTERVAL = 0.02


def wait_until(
    check: Callable[[], T | None],
    timeout: float,
    failure: Callable[[], str] | str,
    interval: float = POLL_INTERVAL,
) -> T:
    """Call ``check`` until it returns something other than ``None`` or ``False``, and return
    that; after ``timeout`` seconds, fail the test with ``failure``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(failure() if callable(failure) else failure, pytrace=False)
        time.sleep(interval)


def describe_job(job: Job) -> str:
    """A job in one line, for failure messages."""
    parts = [f"job {job.id} ({job.pipeline}): {job.status.value}"]
    if job.native_status:
        parts.append(f"native status {job.native_status!r}")
    parts.append(f"attempts {job.attempts}")
    if job.worker_id:
        parts.append(f"worker {job.worker_id}")
    if job.error:
        parts.append(f"error {job.error.get('type')}: {job.error.get('message')}")
    return ", ".join(parts)


@dataclass
class JobGate:
    """A gate a ``gated`` job waits at (the op ``Gate`` of the suite's pipelines)."""

    path: Path
    hold: float

    @property
    def spec(self) -> dict[str, Any]:
        return {"gate": str(self.path), "hold": self.hold}

    @property
    def runs(self) -> int:
        """How many times a job reached this gate."""
        started = Path(f"{self.path}.started")
        return len(started.read_text().splitlines()) if started.exists() else 0

    def open(self) -> None:
        Path(f"{self.path}.open").touch()


@dataclass
class Occupation:
    """Every worker slot held by a gated job; queued jobs wait until :meth:`release_one`."""

    harness: Harness
    gates: list[JobGate]
    jobs: list[Job]
    released: int = 0

    def release_one(self) -> None:
        """Free one worker slot (its gated job finishes)."""
        if self.released < len(self.gates):
            self.gates[self.released].open()
            self.released += 1

    def release_all(self) -> None:
        while self.released < len(self.gates):
            self.release_one()


@dataclass
class Harness:
    """The suite's app, client and folder, and the helpers the tests share.

    ``slots`` is how many jobs the pool's workers run at once (the ``workers`` fixture's value).
    """

    app: PipelinesServer
    client: TestPipelinesClient
    home: Path
    slots: int
    job_timeout: float
    gates: list[JobGate] = field(default_factory=list)

    @property
    def store(self) -> JobStore:
        store = self.app.job_store
        assert store is not None, "the suite's app has no job store"
        return store

    @property
    def pool(self) -> BaseWorkerPool:
        return self.app.worker_pool

    # -- files --------------------------------------------------------------------------------

    def path(self, stem: str) -> Path:
        """A new path in the app's folder (unique: ``stem`` plus a random suffix)."""
        folder = self.home / "files"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{stem}-{uuid.uuid4().hex[:8]}"

    def gate(self, hold: float | None = None) -> JobGate:
        """A new, closed gate (opened at the latest when the test ends)."""
        gate = JobGate(self.path("gate"), hold if hold is not None else self.job_timeout * 2)
        self.gates.append(gate)
        return gate

    def open_all_gates(self) -> None:
        for gate in self.gates:
            gate.open()

    # -- jobs ---------------------------------------------------------------------------------

    def submit(self, pipeline: str, value: Any = None, **options: Any) -> Job:
        """Submit a job through the app (as a server does for a request that asks a worker)."""
        return self.app.submit_job(pipeline, value, JobOptions(**options))

    def get(self, job_id: str) -> Job:
        """The job, read through the app as a server reads it (which recovers dead workers'
        jobs and lost messages as it reads)."""
        return self.app.get_job(job_id)

    def wait(self, job: Job | str, behaviour: str, timeout: float | None = None) -> Job:
        """The job once finished (done, failed, cancelled or lost); fails the test, naming
        ``behaviour``, if it is not finished within ``timeout`` (default: ``job_timeout``)."""
        job_id = job if isinstance(job, str) else job.id
        timeout = self.job_timeout if timeout is None else timeout
        found = self.app.wait_for_job(job_id, timeout)
        if not found.status.is_finished:
            pytest.fail(
                f"{behaviour}: {describe_job(found)} — still not finished after {timeout:g}s "
                f"(the pool has {self.pool.n_workers} workers alive)",
                pytrace=False,
            )
        return found

    def wait_for(
        self,
        job: Job | str,
        accept: Callable[[Job], bool],
        behaviour: str,
        timeout: float | None = None,
    ) -> Job:
        """Poll the job until ``accept(job)``; fails naming ``behaviour`` at the deadline."""
        job_id = job if isinstance(job, str) else job.id
        last: list[Job] = []

        def check() -> Job | None:
            found = self.app.get_job(job_id)
            last[:] = [found]
            return found if accept(found) else None

        return wait_until(
            check,
            self.job_timeout if timeout is None else timeout,
            lambda: f"{behaviour}: {describe_job(last[0]) if last else 'job ' + job_id}",
        )

    def wait_for_gate(self, gate: JobGate, behaviour: str, runs: int = 1) -> None:
        wait_until(
            lambda: gate.runs >= runs,
            self.job_timeout,
            lambda: f"{behaviour}: the job never reached its gate (runs seen: {gate.runs})",
        )

    @contextmanager
    def occupied_workers(self) -> Iterator[Occupation]:
        """Hold every worker slot with a gated job, so that the jobs submitted meanwhile stay
        queued; release them one by one (:meth:`Occupation.release_one`) or all at the end."""
        gates = [self.gate() for _ in range(self.slots)]
        jobs = [
            self.submit("gated", {**gate.spec, "touch": str(self.path("touch"))}) for gate in gates
        ]
        occupation = Occupation(self, gates, jobs)
        try:
            wait_until(
                lambda: all(gate.runs for gate in gates),
                self.job_timeout,
                lambda: (
                    f"the pool should run {self.slots} jobs at once (the `workers` fixture says "
                    f"so), but only {sum(1 for gate in gates if gate.runs)} of {self.slots} "
                    f"blocking jobs started within {self.job_timeout:g}s "
                    f"(n_workers={self.pool.n_workers}): "
                    + "; ".join(describe_job(self.get(job.id)) for job in jobs)
                ),
            )
            yield occupation
        finally:
            occupation.release_all()
        for job in jobs:
            self.wait(job, "a blocking job should finish once its gate is open")
