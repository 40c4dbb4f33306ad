"""The HTTP routes of a :class:`PipelinesServer`, and the OpenAPI document that describes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request

from chariots_core import __version__
from chariots_core.errors import BadRequest
from chariots_core.jobs import JobOptions, JobStatus

if TYPE_CHECKING:
    from chariots_core.pipelines._server import PipelinesServer

#: the longest one wait request holds its connection (clients wait longer by asking again)
MAX_WAIT_SECONDS = 30.0

_ERROR = {"$ref": "#/components/schemas/Error"}
_JOB = {"$ref": "#/components/schemas/Job"}
_RESPONSE = {"$ref": "#/components/schemas/PipelineResponse"}
_OBJECT: dict[str, Any] = {"type": "object"}


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    summary: str
    handler: Callable[..., Response]
    body: dict[str, Any] | None = None
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=lambda: dict(_OBJECT))
    errors: tuple[int, ...] = ()


def add_routes(server: PipelinesServer) -> None:
    """Register every route of the server (and ``GET /openapi.json``)."""
    routes = _routes(server)
    for route in routes:
        endpoint = f"{route.method.lower()}:{route.rule}"
        server.add_url_rule(route.rule, endpoint, route.handler, methods=[route.method])
    document = openapi_document(server, routes)
    server.add_url_rule("/openapi.json", "openapi", lambda: jsonify(document), methods=["GET"])


def _routes(server: PipelinesServer) -> list[Route]:
    def main(pipeline_name: str) -> Response:
        body = json_body({"pipeline_input", "use_worker", "job_options"})
        use_worker = body.get("use_worker")
        if use_worker is not None and not isinstance(use_worker, bool):
            raise BadRequest(f"'use_worker' must be true, false or null, not {use_worker!r}")
        options = JobOptions.from_json(body.get("job_options"))
        response = server.call_pipeline(
            pipeline_name, body.get("pipeline_input"), use_worker, options
        )
        return jsonify(response.to_json())

    def load(pipeline_name: str) -> Response:
        json_body(set())
        server.load_pipeline(pipeline_name)
        return jsonify(versions_payload(pipeline_name))

    def save(pipeline_name: str) -> Response:
        json_body(set())
        server.save_pipeline(pipeline_name)
        return jsonify(versions_payload(pipeline_name))

    def versions(pipeline_name: str) -> Response:
        json_body(set())
        return jsonify(versions_payload(pipeline_name))

    def pipeline_health(pipeline_name: str) -> Response:
        loaded = server.is_pipeline_loaded(pipeline_name)
        return jsonify({"name": pipeline_name, "is_loaded": loaded})

    def versions_payload(name: str) -> dict[str, str]:
        found = server.get_pipeline(name).get_pipeline_versions()
        return {node: str(version) for node, version in found.items()}

    def fetch() -> Response:
        body = json_body({"job_id", "pipeline"})
        job_id = body.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise BadRequest('the body must name the job: {"job_id": "..."}')
        job = server.get_job(job_id)
        pipeline = body.get("pipeline")
        if pipeline is not None and pipeline != job.pipeline:
            raise BadRequest(f"job {job_id} ran pipeline {job.pipeline!r}, not {pipeline!r}")
        return jsonify(job_response(job))

    def get_job(job_id: str) -> Response:
        return jsonify(server.get_job(job_id).to_json())

    def wait(job_id: str) -> Response:
        timeout = number_arg("timeout", default=MAX_WAIT_SECONDS)
        job = server.wait_for_job(job_id, min(timeout, MAX_WAIT_SECONDS))
        return jsonify(job.to_json())

    def cancel(job_id: str) -> Response:
        json_body(set())
        return jsonify(server.cancel_job(job_id).to_json())

    def list_jobs() -> Response:
        status_text = request.args.get("status")
        try:
            status = None if status_text is None else JobStatus(status_text)
        except ValueError:
            known = [member.value for member in JobStatus]
            raise BadRequest(f"unknown status {status_text!r} (known: {known})") from None
        limit = int(number_arg("limit", default=50))
        offset = int(number_arg("offset", default=0))
        if not 1 <= limit <= 1000:
            raise BadRequest("'limit' must be between 1 and 1000")
        jobs, total = server.list_jobs(
            pipeline=request.args.get("pipeline"), status=status, limit=limit, offset=offset
        )
        return jsonify(
            {
                "jobs": [job.to_json() for job in jobs],
                "total": total,
                "limit": limit,
                "offset": offset,
            }
        )

    name_param = {"type": "string"}
    return [
        Route(
            "/health_check",
            "GET",
            "Whether the server is up.",
            lambda: jsonify({"status": "ok", "pipelines": len(server.pipelines)}),
        ),
        Route(
            "/available_pipelines",
            "GET",
            "The names of the app's pipelines.",
            lambda: jsonify(sorted(server.pipelines)),
            answer={"type": "array", "items": {"type": "string"}},
        ),
        Route(
            "/pipelines/<pipeline_name>/main",
            "POST",
            "Run the pipeline on an input, in the server or as a job on the worker pool.",
            main,
            body={
                "type": "object",
                "properties": {
                    "pipeline_input": {},
                    "use_worker": {"type": ["boolean", "null"]},
                    "job_options": {"$ref": "#/components/schemas/JobOptions"},
                },
                "additionalProperties": False,
            },
            answer=_RESPONSE,
            errors=(400, 404, 413, 419, 500, 503),
        ),
        Route(
            "/pipelines/<pipeline_name>/load",
            "POST",
            "Load the newest compatible versions of the pipeline's ops from the op store.",
            load,
            errors=(400, 404, 419),
        ),
        Route(
            "/pipelines/<pipeline_name>/save",
            "POST",
            "Save the pipeline's ops and the links between their versions.",
            save,
            errors=(400, 404),
        ),
        Route(
            "/pipelines/<pipeline_name>/versions",
            "POST",
            "The version of each node of the pipeline.",
            versions,
            errors=(400, 404),
        ),
        Route(
            "/pipelines/<pipeline_name>/health_check",
            "GET",
            "Whether the pipeline was loaded from the op store.",
            pipeline_health,
            errors=(404,),
        ),
        Route(
            "/jobs/fetch/",
            "POST",
            "A job's state and, once done, its value (the original chariots route).",
            fetch,
            body={
                "type": "object",
                "properties": {"job_id": {"type": "string"}, "pipeline": name_param},
                "required": ["job_id"],
            },
            answer=_RESPONSE,
            errors=(400, 404, 410),
        ),
        Route(
            "/jobs",
            "GET",
            "The app's jobs, newest first, filtered by pipeline and status, paginated.",
            list_jobs,
            query={
                "pipeline": name_param,
                "status": {"type": "string", "enum": [member.value for member in JobStatus]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
                "offset": {"type": "integer", "minimum": 0, "default": 0},
            },
            errors=(400,),
        ),
        Route("/jobs/<job_id>", "GET", "A job's record.", get_job, answer=_JOB, errors=(404, 410)),
        Route(
            "/jobs/<job_id>/wait",
            "GET",
            f"The job once finished, or as it stands after `timeout` seconds "
            f"(at most {MAX_WAIT_SECONDS:g} per request).",
            wait,
            query={"timeout": {"type": "number", "minimum": 0}},
            answer=_JOB,
            errors=(400, 404, 410),
        ),
        Route(
            "/jobs/<job_id>/cancel",
            "POST",
            "Cancel a queued job, or stop a running one at its next node.",
            cancel,
            answer=_JOB,
            errors=(404, 410),
        ),
    ]


def job_response(job: Any) -> dict[str, Any]:
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


def json_body(allowed: set[str]) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); 400 for anything else."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise BadRequest(f"the request body is not valid JSON: {error}") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a JSON object, not {type(body).__name__}")
    unknown = set(body) - allowed
    if unknown:
        expected = ", ".join(sorted(allowed)) or "nothing"
        raise BadRequest(f"unexpected keys {sorted(unknown)} in the body (expected {expected})")
    return body


def number_arg(name: str, default: float) -> float:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise BadRequest(f"query parameter {name!r} must be a number, not {text!r}") from None
    if value < 0 or value != value:
        raise BadRequest(f"query parameter {name!r} must be >= 0")
    return value


def openapi_document(server: PipelinesServer, routes: list[Route]) -> dict[str, Any]:
    """An OpenAPI 3.1 document of ``routes``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        path = route.rule.replace("<", "{").replace(">", "}")
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_names(route.rule)
        ]
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in route.query.items()
        ]
        responses: dict[str, Any] = {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": route.answer}},
            }
        }
        for status in route.errors:
            responses[str(status)] = {
                "description": _ERROR_MEANING[status],
                "content": {"application/json": {"schema": _ERROR}},
            }
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": f"{route.method.lower()}_{path.strip('/').replace('/', '_')}",
            "parameters": parameters,
            "responses": responses,
        }
        if route.body is not None or route.method == "POST":
            operation["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": route.body or _OBJECT}},
            }
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": f"chariots app {server.name}", "version": __version__},
        "paths": paths,
        "components": {"schemas": _SCHEMAS},
    }


def _path_names(rule: str) -> list[str]:
    return [part[1:-1] for part in rule.split("/") if part.startswith("<")]


_ERROR_MEANING = {
    400: "the body or a parameter is not what the route takes",
    404: "no such pipeline or job",
    410: "the job's record expired",
    413: "the body is over the server's limit",
    419: "the versions in hand are not compatible",
    500: "the pipeline raised while it ran",
    503: "the worker pool cannot take the job",
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
        "required": ["error", "message"],
    },
    "JobOptions": {
        "type": ["object", "null"],
        "properties": {
            "timeout": {"type": ["number", "null"], "exclusiveMinimum": 0},
            "retries": {"type": "integer", "minimum": 0},
            "retry_interval": {"type": "number", "minimum": 0},
            "delay": {"type": ["number", "null"], "minimum": 0},
            "priority": {"type": "integer"},
            "ttl": {"type": ["number", "null"], "exclusiveMinimum": 0},
        },
        "additionalProperties": False,
    },
    "PipelineResponse": {
        "type": "object",
        "properties": {
            "pipeline_output": {},
            "versions": {"type": "object", "additionalProperties": {"type": "string"}},
            "job_id": {"type": ["string", "null"]},
            "job_status": {"type": ["string", "null"]},
            "error": {"type": ["object", "null"]},
        },
    },
    "Job": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "app": {"type": "string"},
            "pipeline": {"type": "string"},
            "status": {"type": "string", "enum": [member.value for member in JobStatus]},
            "native_status": {"type": ["string", "null"]},
            "attempts": {"type": "integer"},
            "progress": {"type": ["array", "null"], "items": {"type": "integer"}},
            "result": {},
            "error": {"type": ["object", "null"]},
            "versions_loaded": {"type": ["object", "null"]},
            "versions_saved": {"type": ["object", "null"]},
        },
    },
}
