"""The HTTP routes of a :class:`PipelinesServer`, and the schemas of its OpenAPI document."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request

from chariots_core._json import check_strict_json
from chariots_core._serving import (
    NO_FIELDS,
    Access,
    Operation,
    integer_arg,
    json_object_body,
    number_arg,
)
from chariots_core.errors import BadRequest, JobNotFound, NotStrictJSON, OutputNotJSON
from chariots_core.jobs import COUNT_AHEAD, Job, JobOptions, JobPage, JobStatus

if TYPE_CHECKING:
    from chariots_core.pipelines._server import PipelinesServer

#: the longest one wait request holds its connection (clients wait longer by asking again)
MAX_WAIT_SECONDS = 30.0
#: the largest page of ``GET /jobs``, and the largest offset into it
MAX_PAGE = 1000
MAX_OFFSET = 2**31 - 1
#: the longest delay, timeout, retry interval and time to live a job may ask for (ten years)
MAX_JOB_SECONDS = 10 * 365 * 24 * 3600.0
#: job options' bounds, beyond which dates overflow and integers leave a database's range
OPTION_BOUNDS: dict[str, tuple[float, float]] = {
    "timeout": (0, MAX_JOB_SECONDS),
    "retries": (0, 1000),
    "retry_interval": (0, MAX_JOB_SECONDS),
    "delay": (0, MAX_JOB_SECONDS),
    "priority": (-(2**31), 2**31 - 1),
    "ttl": (0, MAX_JOB_SECONDS),
}
#: the longest job id recorded (``JobRecord.id``): a longer one names no job
MAX_JOB_ID_LENGTH = 64

_JOB = {"$ref": "#/components/schemas/Job"}
_RESPONSE = {"$ref": "#/components/schemas/PipelineResponse"}
_JOB_PAGE = {"$ref": "#/components/schemas/JobPage"}
_STATUSES = [member.value for member in JobStatus]


def pipelines_operations(server: PipelinesServer) -> list[Operation]:
    """Every route of the server (``GET /openapi.json`` is added with them)."""

    def main(pipeline_name: str) -> Response:
        body = json_object_body({"pipeline_input", "use_worker", "job_options"})
        use_worker = body.get("use_worker")
        if use_worker is not None and not isinstance(use_worker, bool):
            raise BadRequest(f"'use_worker' must be true, false or null, not {use_worker!r:.40}")
        options = bounded(JobOptions.from_json(whole_numbers(body.get("job_options"))))
        response = server.call_pipeline(
            pipeline_name, body.get("pipeline_input"), use_worker, options
        )
        return jsonify(response.to_json())

    def load(pipeline_name: str) -> Response:
        json_object_body(())
        server.load_pipeline(pipeline_name)
        return jsonify(versions_payload(pipeline_name))

    def save(pipeline_name: str) -> Response:
        json_object_body(())
        server.save_pipeline(pipeline_name)
        return jsonify(versions_payload(pipeline_name))

    def versions(pipeline_name: str) -> Response:
        json_object_body(())
        return jsonify(versions_payload(pipeline_name))

    def pipeline_health(pipeline_name: str) -> Response:
        loaded = server.is_pipeline_loaded(pipeline_name)
        return jsonify({"name": pipeline_name, "is_loaded": loaded})

    def versions_payload(name: str) -> dict[str, str]:
        found = server.get_pipeline(name).get_pipeline_versions()
        return {node: str(version) for node, version in found.items()}

    def fetch() -> Response:
        body = json_object_body({"job_id", "pipeline"})
        job_id, pipeline = body.get("job_id"), body.get("pipeline")
        if not isinstance(job_id, str) or not job_id:
            raise BadRequest('the body must name the job: {"job_id": "..."}')
        if pipeline is not None and not isinstance(pipeline, str):
            raise BadRequest("'pipeline' must be a string or null")
        job = server.get_job(known_job_id(job_id))
        if pipeline is not None and pipeline != job.pipeline:  # no such job of that pipeline
            raise JobNotFound(f"job {job_id} ran pipeline {job.pipeline!r}, not {pipeline[:80]!r}")
        return jsonify(checked_output(job_response(job), f"job {job.id}"))

    def get_job(job_id: str) -> Response:
        return job_answer(server.get_job(known_job_id(job_id)))

    def wait(job_id: str) -> Response:
        timeout = number_arg("timeout", default=MAX_WAIT_SECONDS)
        job = server.wait_for_job(known_job_id(job_id), min(timeout, MAX_WAIT_SECONDS))
        answer = {**job.to_json(), "timed_out": not job.status.is_finished}
        return jsonify(checked_output(answer, f"job {job.id}"))

    def cancel(job_id: str) -> Response:
        json_object_body(())
        return job_answer(server.cancel_job(known_job_id(job_id)))

    def list_jobs() -> Response:
        status_text = request.args.get("status")
        if status_text is not None and status_text not in _STATUSES:
            raise BadRequest(f"unknown status {status_text[:40]!r} (known: {_STATUSES})")
        status = None if status_text is None else JobStatus(status_text)
        limit = integer_arg("limit", default=50, minimum=1, maximum=MAX_PAGE)
        offset = integer_arg("offset", default=0, minimum=0, maximum=MAX_OFFSET)
        pipeline = request.args.get("pipeline")
        if pipeline is not None and not _may_name_something(pipeline):
            page = JobPage([], 0, True, offset, limit)  # a name no job can have: nothing to ask
        else:
            page = server.list_jobs(pipeline=pipeline, status=status, limit=limit, offset=offset)
        return jsonify(checked_output(page.to_json(), "the jobs"))

    def job_answer(job: Job) -> Response:
        return jsonify(checked_output(job.to_json(), f"job {job.id}"))

    pipeline_name = {"type": "string", "minLength": 1}
    if server.pipelines:
        pipeline_name["enum"] = sorted(server.pipelines)
    on_pipeline = {"pipeline_name": pipeline_name}
    job_id = {"job_id": {"type": "string", "minLength": 1}}
    return [
        Operation(
            "/health_check",
            "GET",
            "Whether the server is up.",
            lambda: jsonify({"status": "ok", "pipelines": len(server.pipelines)}),
            access=Access.open,
            answer={
                "type": "object",
                "properties": {"status": {"const": "ok"}, "pipelines": {"type": "integer"}},
                "required": ["status", "pipelines"],
            },
        ),
        Operation(
            "/available_pipelines",
            "GET",
            "The names of the app's pipelines.",
            lambda: jsonify(sorted(server.pipelines)),
            answer={"type": "array", "items": {"type": "string"}},
        ),
        Operation(
            "/pipelines/<pipeline_name>/main",
            "POST",
            "Run the pipeline on an input, in the server or as a job on the worker pool.",
            main,
            body={
                "type": "object",
                "properties": {
                    "pipeline_input": {"description": "any JSON value (strict JSON)"},
                    "use_worker": {"type": ["boolean", "null"]},
                    "job_options": {"$ref": "#/components/schemas/JobOptions"},
                },
                "additionalProperties": False,
            },
            path=on_pipeline,
            answer=_RESPONSE,
            errors=(404, 419, 422, 500, 503),
        ),
        Operation(
            "/pipelines/<pipeline_name>/load",
            "POST",
            "Load the newest compatible versions of the pipeline's ops from the op store.",
            load,
            access=Access.write,
            body=NO_FIELDS,
            path=on_pipeline,
            answer=_VERSIONS,
            errors=(404, 419, 503),
        ),
        Operation(
            "/pipelines/<pipeline_name>/save",
            "POST",
            "Save the pipeline's ops and the links between their versions.",
            save,
            access=Access.write,
            body=NO_FIELDS,
            path=on_pipeline,
            answer=_VERSIONS,
            errors=(404, 503),
        ),
        Operation(
            "/pipelines/<pipeline_name>/versions",
            "POST",
            "The version of each node of the pipeline.",
            versions,
            body=NO_FIELDS,
            path=on_pipeline,
            answer=_VERSIONS,
            errors=(404,),
        ),
        Operation(
            "/pipelines/<pipeline_name>/health_check",
            "GET",
            "Whether the pipeline was loaded from the op store.",
            pipeline_health,
            path=on_pipeline,
            answer={
                "type": "object",
                "properties": {"name": {"type": "string"}, "is_loaded": {"type": "boolean"}},
                "required": ["name", "is_loaded"],
            },
            errors=(404,),
        ),
        Operation(
            "/jobs/fetch/",
            "POST",
            "A job's state and, once done, its value (the original chariots route).",
            fetch,
            body={
                "type": "object",
                "properties": {
                    "job_id": {"type": "string", "minLength": 1},
                    "pipeline": {"type": ["string", "null"]},
                },
                "required": ["job_id"],
                "additionalProperties": False,
            },
            body_required=True,
            answer=_RESPONSE,
            errors=(404, 410, 422),
        ),
        Operation(
            "/jobs",
            "GET",
            "The app's jobs, newest first, filtered by pipeline and status, a page at a time; "
            f"the page's total counts the matching jobs up to {COUNT_AHEAD} past the page, so that "
            "a page costs the same however many jobs match (see the JobPage schema).",
            list_jobs,
            query={
                "pipeline": {"type": "string"},
                "status": {"type": "string", "enum": _STATUSES},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50},
                "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            },
            answer=_JOB_PAGE,
            errors=(422,),
        ),
        Operation(
            "/jobs/<job_id>",
            "GET",
            "A job's record.",
            get_job,
            path=job_id,
            answer=_JOB,
            errors=(404, 410, 422),
        ),
        Operation(
            "/jobs/<job_id>/wait",
            "GET",
            f"The job once finished, or as it stands after `timeout` seconds "
            f"(at most {MAX_WAIT_SECONDS:g} per request): then `timed_out` is true.",
            wait,
            path=job_id,
            query={"timeout": {"type": "number", "minimum": 0}},
            answer={"$ref": "#/components/schemas/WaitedJob"},
            errors=(404, 410, 422),
        ),
        Operation(
            "/jobs/<job_id>/cancel",
            "POST",
            "Cancel a queued job, or stop a running one at its next node.",
            cancel,
            access=Access.write,
            body=NO_FIELDS,
            path=job_id,
            answer=_JOB,
            errors=(404, 410, 422),
        ),
    ]


def whole_numbers(options: Any) -> Any:
    """``options`` with ``retries`` and ``priority`` given as whole floats (``3.0``) made ints:
    JSON has one number type, and its schemas count ``3.0`` as an integer."""
    if not isinstance(options, dict):
        return options
    return {
        name: int(value)
        if name in ("retries", "priority") and isinstance(value, float) and value.is_integer()
        else value
        for name, value in options.items()
    }


def bounded(options: JobOptions) -> JobOptions:
    """``options`` if every one is within what a database and a clock can hold (see
    :data:`OPTION_BOUNDS`); :class:`BadRequest` naming the first that is not."""
    if options.retry_interval is None:  # JobOptions.validate lets it pass; the workers do not
        raise BadRequest("job option 'retry_interval' must be a number, not null")
    for name, (low, high) in OPTION_BOUNDS.items():
        value = getattr(options, name)
        if value is not None and not low <= value <= high:
            raise BadRequest(f"job option {name!r} must be between {low:g} and {high:g}")
    return options


def known_job_id(job_id: str) -> str:
    """``job_id`` if a job could have it; :class:`JobNotFound` (404) when none can (too long, or
    holding control characters, which some databases refuse outright)."""
    if len(job_id) > MAX_JOB_ID_LENGTH or not _may_name_something(job_id):
        raise JobNotFound(f"no job with id {job_id[:MAX_JOB_ID_LENGTH]!r}")
    return job_id


def _may_name_something(text: str) -> bool:
    return len(text) <= 255 and not any(unicodedata.category(char) == "Cc" for char in text)


def checked_output(payload: Any, what: str) -> Any:
    """``payload`` if it is strict JSON; :class:`OutputNotJSON` (422) naming where it is not."""
    try:
        check_strict_json(payload, "answer")
    except NotStrictJSON as error:
        raise OutputNotJSON(f"{what} cannot be sent as JSON: {error}") from None
    return payload


def job_response(job: Job) -> dict[str, Any]:
    """A job as a pipeline response: its value once done, the versions it ran with."""
    versions = dict(job.versions_loaded or {})
    versions.update(job.versions_saved or {})
    return {
        "pipeline_output": job.result,
        "versions": versions,
        "job_id": job.id,
        "job_status": job.status.value,
        "error": job.error,
    }


#: what each status means on this server, beyond the common meanings
MEANINGS = {
    404: "no such pipeline or job",
    410: "the job's record expired",
    419: "the versions in hand are not compatible",
    422: "the output is not strict JSON (NaN, an infinity, an integer too long): "
    "the message says where",
    500: "the pipeline raised while it ran (its error's type and message), "
    "or the server failed unexpectedly",
    503: "the worker pool or the op store cannot be reached",
}

_TEXT = {"type": "string"}
_VERSIONS = {"type": "object", "additionalProperties": _TEXT}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_JOB_ERROR = {
    "type": ["object", "null"],
    "properties": {
        "type": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"]},
        "traceback": {"type": ["string", "null"]},
    },
}


def _seconds(*, nullable: bool, positive: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": ["number", "null"] if nullable else "number",
        "maximum": MAX_JOB_SECONDS,
    }
    schema["exclusiveMinimum" if positive else "minimum"] = 0
    return schema


def _bounded_integer(name: str) -> dict[str, Any]:
    low, high = OPTION_BOUNDS[name]
    return {"type": "integer", "minimum": int(low), "maximum": int(high)}


SCHEMAS: dict[str, Any] = {
    "JobOptions": {
        "type": ["object", "null"],
        "properties": {
            "timeout": _seconds(nullable=True, positive=True),
            "retries": _bounded_integer("retries"),
            "retry_interval": _seconds(nullable=False, positive=False),
            "delay": _seconds(nullable=True, positive=False),
            "priority": _bounded_integer("priority"),
            "ttl": _seconds(nullable=True, positive=True),
        },
        "additionalProperties": False,
    },
    "PipelineResponse": {
        "type": "object",
        "properties": {
            "pipeline_output": {},
            "versions": _VERSIONS,
            "job_id": {"type": ["string", "null"]},
            "job_status": {"type": ["string", "null"], "enum": [*_STATUSES, None]},
            "error": _JOB_ERROR,
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "what the submitter of a job should know, such as that no worker "
                "listens on the pool (the job stays queued until one starts); absent when none",
            },
            "timed_out": {
                "type": "boolean",
                "description": "true when a wait for the job ended before the job did; absent "
                "otherwise",
            },
        },
        "required": ["pipeline_output", "versions", "job_id", "job_status", "error"],
    },
    "Job": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "app": {"type": "string"},
            "pipeline": {"type": "string"},
            "status": {"type": "string", "enum": _STATUSES},
            "native_status": {"type": ["string", "null"]},
            "attempts": {"type": "integer", "minimum": 0},
            "options": {"type": "object"},
            "submitted_at": {"type": "string", "format": "date-time"},
            "started_at": _NULLABLE_TIME,
            "finished_at": _NULLABLE_TIME,
            "worker_id": {"type": ["string", "null"]},
            "heartbeat_at": _NULLABLE_TIME,
            "progress": {
                "type": ["array", "null"],
                "items": {"type": "integer"},
                "minItems": 2,
                "maxItems": 2,
            },
            "cancel_requested": {"type": "boolean"},
            "result": {},
            "error": _JOB_ERROR,
            "versions_loaded": {"type": ["object", "null"], "additionalProperties": _TEXT},
            "versions_saved": {"type": ["object", "null"], "additionalProperties": _TEXT},
            "expires_at": _NULLABLE_TIME,
        },
        "required": ["id", "app", "pipeline", "status", "attempts", "submitted_at"],
    },
    "JobPage": {
        "type": "object",
        "description": "jobs, newest submitted first, from offset; more jobs follow the page "
        "exactly when offset plus the number of its jobs is less than total",
        "properties": {
            "jobs": {"type": "array", "items": _JOB},
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": f"how many jobs match, counted up to {COUNT_AHEAD} past the page: "
                "when total_exact is false, the count stopped there and at least that many match",
            },
            "total_exact": {
                "type": "boolean",
                "description": "whether total is the exact number of matching jobs",
            },
            "limit": {"type": "integer", "description": "the most jobs the page could hold"},
            "offset": {
                "type": "integer",
                "description": "how many of the matching jobs come before the page",
            },
        },
        "required": ["jobs", "total", "total_exact", "limit", "offset"],
    },
    "WaitedJob": {
        "allOf": [
            _JOB,
            {
                "type": "object",
                "properties": {
                    "timed_out": {
                        "type": "boolean",
                        "description": "true when the wait ended before the job did (it is "
                        "still queued or running): ask again to wait longer",
                    }
                },
                "required": ["timed_out"],
            },
        ],
    },
}
