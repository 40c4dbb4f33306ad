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
    """

    value: Any
    versions: dict[str, Version] = field(default_factory=dict)
    job_id: str | None = None
    job_status: JobStatus | None = None
    error: dict[str, Any] | None = None

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
        return {
            "pipeline_output": self.value,
            "versions": {name: str(version) for name, version in self.versions.items()},
            "job_id": self.job_id,
            "job_status": None if self.job_status is None else self.job_status.value,
            "error": self.error,
        }
