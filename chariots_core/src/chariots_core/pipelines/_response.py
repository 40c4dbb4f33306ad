"""`PipelineResponse`: what a client gets back from a pipeline call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chariots_core.jobs import JobStatus
from chariots_core.versioning import Version


@dataclass(frozen=True)
class PipelineResponse:
    """The value a pipeline gave and the versions of the ops that gave it.

    For a call run in a worker, ``job_id`` and ``job_status`` say where the job is, and ``value``
    is filled once the job is done; ``error`` holds a failed job's error (type, message,
    traceback). A call run in the server answers ``job_status`` ``JobStatus.done`` with no
    ``job_id``, as the original chariots did.

    ``warnings`` holds what the submitter should know (no worker listens on the pool: the job
    stays queued until one starts). ``timed_out`` is true when a wait for the job ended before
    the job did (``wait_for_job(job_id, timeout)``): the job is still queued or running.
    """

    value: Any
    versions: dict[str, Version] = field(default_factory=dict)
    job_id: str | None = None
    job_status: JobStatus | None = None
    error: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    timed_out: bool = False

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> PipelineResponse:
        status = payload.get("job_status")
        return cls(
            value=payload.get("pipeline_output"),
            versions={
                name: Version.parse(text) for name, text in (payload.get("versions") or {}).items()
            },
            job_id=payload.get("job_id"),
            job_status=None if status is None else JobStatus(status),
            error=payload.get("error"),
            warnings=list(payload.get("warnings") or []),
            timed_out=bool(payload.get("timed_out", False)),
        )

    @classmethod
    def from_request(
        cls, response_json: dict[str, Any], query_pipeline: Any = None
    ) -> PipelineResponse:
        """The original chariots' name of :meth:`from_json` (``query_pipeline`` is not needed:
        versions are keyed by node name)."""
        return cls.from_json(response_json)

    def json(self) -> dict[str, Any]:
        """The original chariots' name of :meth:`to_json`."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        answer = {
            "pipeline_output": self.value,
            "versions": {name: str(version) for name, version in self.versions.items()},
            "job_id": self.job_id,
            "job_status": None if self.job_status is None else self.job_status.value,
            "error": self.error,
        }
        if self.warnings:
            answer["warnings"] = list(self.warnings)
        if self.timed_out:
            answer["timed_out"] = True
        return answer
