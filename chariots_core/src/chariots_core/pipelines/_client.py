"""Clients of a :class:`~chariots_core.pipelines.PipelinesServer`: over HTTP or in-process."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from chariots_core._transport import RequestsTransport, Transport
from chariots_core.jobs import Job, JobOptions, JobPage, JobStatus
from chariots_core.pipeline_model import Pipeline
from chariots_core.pipelines._response import PipelineResponse
from chariots_core.versioning import Version


def _name(pipeline: Pipeline | str) -> str:
    return pipeline if isinstance(pipeline, str) else pipeline.name


class BasePipelinesClient:
    """The client API, written once over a :class:`~chariots_core._transport.Transport`.

    Pipelines are given as :class:`Pipeline` objects or by name. Errors raise the exceptions of
    :mod:`chariots_core.errors` (``VersionError`` for 419, ``PipelineNotFound`` for 404, …).
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def call_pipeline(
        self,
        pipeline: Pipeline | str,
        pipeline_input: Any = None,
        use_worker: bool | None = None,
        job_options: JobOptions | dict[str, Any] | None = None,
    ) -> PipelineResponse:
        """Run the pipeline on ``pipeline_input`` in the server, or submit it as a job (then the
        response carries ``job_id`` and ``job_status``; fetch or wait for its value)."""
        body: dict[str, Any] = {"pipeline_input": pipeline_input}
        if use_worker is not None:
            body["use_worker"] = use_worker
        if job_options is not None:
            body["job_options"] = (
                job_options.to_json() if isinstance(job_options, JobOptions) else job_options
            )
        payload = self._transport.call("POST", f"/pipelines/{_name(pipeline)}/main", body)
        return PipelineResponse.from_json(payload)

    def load_pipeline(self, pipeline: Pipeline | str) -> None:
        """Have the server load the pipeline's newest compatible ops from the op store."""
        self._transport.call("POST", f"/pipelines/{_name(pipeline)}/load", {})

    def save_pipeline(self, pipeline: Pipeline | str) -> None:
        """Have the server save the pipeline's ops (and the links between them)."""
        self._transport.call("POST", f"/pipelines/{_name(pipeline)}/save", {})

    def pipeline_versions(self, pipeline: Pipeline | str) -> dict[str, Version]:
        """The version of each of the pipeline's nodes, as the server has them."""
        payload = self._transport.call("POST", f"/pipelines/{_name(pipeline)}/versions", {})
        return {name: Version.parse(text) for name, text in payload.items()}

    def is_pipeline_loaded(self, pipeline: Pipeline | str) -> bool:
        payload = self._transport.call("GET", f"/pipelines/{_name(pipeline)}/health_check")
        return bool(payload["is_loaded"])

    def fetch_job(self, job_id: str, pipeline: Pipeline | str | None = None) -> PipelineResponse:
        """The job's status and, once done, its value; ``JobNotFound``/``JobExpired`` else."""
        body: dict[str, Any] = {"job_id": job_id}
        if pipeline is not None:
            body["pipeline"] = _name(pipeline)
        return PipelineResponse.from_json(self._transport.call("POST", "/jobs/fetch/", body))

    def wait_for_job(
        self, job_id: str, timeout: float = 60.0, pipeline: Pipeline | str | None = None
    ) -> PipelineResponse:
        """Wait (on the server, no polling here) until the job is finished or ``timeout``
        seconds have passed; returns it as :meth:`fetch_job` does, with ``timed_out`` true when
        the wait ended before the job did (it is then still queued or running)."""
        self.get_job(job_id, timeout=timeout)
        response = self.fetch_job(job_id, pipeline)
        finished = response.job_status is not None and response.job_status.is_finished
        return response if finished else dataclasses.replace(response, timed_out=True)

    def get_job(self, job_id: str, timeout: float | None = None) -> Job:
        """The job's whole record; with ``timeout``, once finished or after that long (then its
        status is not finished: ``job.status.is_finished`` is false)."""
        if timeout is None:
            return Job.from_json(self._transport.call("GET", f"/jobs/{job_id}"))
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            payload = self._transport.call(
                "GET", f"/jobs/{job_id}/wait", params={"timeout": remaining}, timeout=remaining + 30
            )
            job = Job.from_json(payload)
            if job.status.is_finished or remaining <= 0:
                return job

    def cancel_job(self, job_id: str) -> Job:
        """Cancel a queued job, or ask a running one to stop at its next node."""
        return Job.from_json(self._transport.call("POST", f"/jobs/{job_id}/cancel", {}))

    def list_jobs(
        self,
        pipeline: Pipeline | str | None = None,
        status: JobStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        """The app's jobs, newest first (:meth:`job_page` says how many match, too)."""
        return self.job_page(pipeline, status, limit, offset).jobs

    def job_page(
        self,
        pipeline: Pipeline | str | None = None,
        status: JobStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> JobPage:
        """A page of the app's jobs, newest first, and how many match (counted up to a bound
        past the page: see :class:`~chariots_core.jobs.JobPage`). To read them all, ask again
        from ``page.next_offset`` until it is ``None``."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if pipeline is not None:
            params["pipeline"] = _name(pipeline)
        if status is not None:
            params["status"] = status.value
        return JobPage.from_json(self._transport.call("GET", "/jobs", params=params))

    def available_pipelines(self) -> list[str]:
        return list(self._transport.call("GET", "/available_pipelines"))

    def health_check(self) -> dict[str, Any]:
        return dict(self._transport.call("GET", "/health_check"))

    def close(self) -> None:
        self._transport.close()


class PipelinesClient(BasePipelinesClient):
    """A client of a pipelines server over HTTP at ``backend_url``.

    ``token``: the bearer token to send, for a server started with tokens
    (``CHARIOTS_API_TOKENS``); a read-only token may call pipelines and read jobs only.
    """

    def __init__(
        self,
        backend_url: str = "http://127.0.0.1:5000",
        timeout: float = 60.0,
        *,
        token: str | None = None,
    ) -> None:
        super().__init__(RequestsTransport(backend_url, timeout=timeout, token=token))
        self.backend_url = backend_url

    def __repr__(self) -> str:
        return f"PipelinesClient({self.backend_url!r})"
