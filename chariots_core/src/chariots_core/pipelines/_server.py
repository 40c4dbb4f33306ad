"""`PipelinesServer`: a Flask app that serves an app's pipelines over HTTP."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from chariots_core._json import to_jsonable
from chariots_core.errors import (
    BadRequest,
    ChariotsError,
    PipelineExecutionError,
    PipelineNotFound,
    error_payload,
)
from chariots_core.op_store import BaseOpStoreClient
from chariots_core.pipelines._pipeline import Pipeline
from chariots_core.pipelines._response import PipelineResponse
from chariots_core.pipelines._use_worker import should_use_worker
from chariots_core.pipelines.callbacks import PipelineCallback
from chariots_core.pipelines.runners import BaseRunner, SequentialRunner

logger = logging.getLogger(__name__)

#: the largest request body a server accepts unless told otherwise (413 beyond)
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024


class PipelinesServer(Flask):
    """Serves ``app_pipelines`` over HTTP, loading and saving them against an op store.

    Routes: ``POST /pipelines/<name>/main|load|save|versions``,
    ``GET /pipelines/<name>/health_check``, ``GET /health_check``, ``GET /available_pipelines``.
    Errors answer as JSON ``{"error": type, "message": text}``: 400 for a body that is not JSON
    or not of the expected shape, 404 for an unknown pipeline, 413 for a body over
    ``max_request_bytes``, 419 for incompatible versions.

    ``worker_pool`` and ``use_workers`` say whether calls run in a worker (see
    :func:`~chariots_core.pipelines._use_worker.should_use_worker`).
    """

    def __init__(
        self,
        app_pipelines: Sequence[Pipeline],
        op_store_client: BaseOpStoreClient,
        import_name: str,
        runner: BaseRunner | None = None,
        default_pipeline_callbacks: Sequence[PipelineCallback] | None = None,
        worker_pool: Any = None,
        use_workers: bool | None = None,
        *,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        **flask_kwargs: Any,
    ) -> None:
        super().__init__(import_name, **flask_kwargs)
        self.config["MAX_CONTENT_LENGTH"] = max_request_bytes
        if use_workers is not None and not isinstance(use_workers, bool):
            raise TypeError(f"use_workers must be True, False or None, not {use_workers!r}")
        self.pipelines: dict[str, Pipeline] = {}
        for pipeline in app_pipelines:
            if not isinstance(pipeline, Pipeline):
                raise TypeError(f"app_pipelines must hold Pipeline objects, not {pipeline!r}")
            if pipeline.name in self.pipelines:
                raise ValueError(f"two pipelines of this app are named {pipeline.name!r}")
            self.pipelines[pipeline.name] = pipeline
        self.op_store_client = op_store_client
        self.runner: BaseRunner = runner or SequentialRunner()
        self.default_pipeline_callbacks = list(default_pipeline_callbacks or [])
        self.worker_pool = worker_pool
        self.use_workers = use_workers
        self._loaded: set[str] = set()
        self._load_lock = threading.Lock()
        for pipeline in self.pipelines.values():
            op_store_client.register_new_pipeline(pipeline.name, pipeline.op_names())
        self._add_routes()
        self._add_error_handlers()

    # -- what the routes do, callable in-process too ----------------------------------------

    def get_pipeline(self, name: str) -> Pipeline:
        try:
            return self.pipelines[name]
        except KeyError:
            raise PipelineNotFound(
                f"no pipeline named {name!r} in this app (available: {sorted(self.pipelines)})"
            ) from None

    def call_pipeline(
        self, name: str, pipeline_input: Any = None, use_worker: bool | None = None
    ) -> PipelineResponse:
        """Run a pipeline here, or hand it to a worker when the three-level rule says so."""
        pipeline = self.get_pipeline(name)
        if should_use_worker(self.use_workers, pipeline.use_worker, use_worker):
            return self.submit_job(pipeline, pipeline_input)
        try:
            output = self.runner.run(pipeline, pipeline_input, self.default_pipeline_callbacks)
        except ChariotsError:
            raise
        except Exception as error:
            logger.exception("pipeline %r failed", name)
            raise PipelineExecutionError(
                f"pipeline {name!r} failed: {type(error).__name__}: {error}"
            ) from error
        return PipelineResponse(to_jsonable(output), pipeline.get_pipeline_versions())

    def submit_job(self, pipeline: Pipeline, pipeline_input: Any) -> PipelineResponse:
        """Hand a call to the worker pool; without one, a clear 400."""
        if self.worker_pool is None:
            raise BadRequest(
                f"pipeline {pipeline.name!r} was asked to run in a worker, but this server has "
                "no worker pool (give PipelinesServer a worker_pool, or call with use_worker=False)"
            )
        raise BadRequest(
            "this version of chariots-core cannot run pipelines in workers yet; "
            "call with use_worker=False"
        )

    def load_pipeline(self, name: str) -> None:
        pipeline = self.get_pipeline(name)
        with self._load_lock:
            pipeline.load(self.op_store_client)
            self._loaded.add(name)

    def save_pipeline(self, name: str) -> None:
        pipeline = self.get_pipeline(name)
        with self._load_lock:
            pipeline.save(self.op_store_client)

    def is_pipeline_loaded(self, name: str) -> bool:
        self.get_pipeline(name)
        return name in self._loaded

    # -- HTTP -------------------------------------------------------------------------------

    def _add_routes(self) -> None:
        self.add_url_rule("/health_check", "health_check", self._health_check, methods=["GET"])
        self.add_url_rule(
            "/available_pipelines",
            "available_pipelines",
            self._available_pipelines,
            methods=["GET"],
        )
        self.add_url_rule(
            "/pipelines/<pipeline_name>/main", "pipeline_main", self._main, methods=["POST"]
        )
        self.add_url_rule(
            "/pipelines/<pipeline_name>/load", "pipeline_load", self._load, methods=["POST"]
        )
        self.add_url_rule(
            "/pipelines/<pipeline_name>/save", "pipeline_save", self._save, methods=["POST"]
        )
        self.add_url_rule(
            "/pipelines/<pipeline_name>/versions",
            "pipeline_versions",
            self._versions,
            methods=["POST"],
        )
        self.add_url_rule(
            "/pipelines/<pipeline_name>/health_check",
            "pipeline_health_check",
            self._pipeline_health_check,
            methods=["GET"],
        )

    def _health_check(self) -> Response:
        return jsonify({"status": "ok", "pipelines": len(self.pipelines)})

    def _available_pipelines(self) -> Response:
        return jsonify(sorted(self.pipelines))

    def _main(self, pipeline_name: str) -> Response:
        body = _json_body(allowed={"pipeline_input", "use_worker"})
        use_worker = body.get("use_worker")
        if use_worker is not None and not isinstance(use_worker, bool):
            raise BadRequest(f"'use_worker' must be true, false or null, not {use_worker!r}")
        response = self.call_pipeline(pipeline_name, body.get("pipeline_input"), use_worker)
        return jsonify(response.to_json())

    def _load(self, pipeline_name: str) -> Response:
        _json_body(allowed=set())
        self.load_pipeline(pipeline_name)
        return jsonify(self._versions_payload(pipeline_name))

    def _save(self, pipeline_name: str) -> Response:
        _json_body(allowed=set())
        self.save_pipeline(pipeline_name)
        return jsonify(self._versions_payload(pipeline_name))

    def _versions(self, pipeline_name: str) -> Response:
        _json_body(allowed=set())
        return jsonify(self._versions_payload(pipeline_name))

    def _pipeline_health_check(self, pipeline_name: str) -> Response:
        return jsonify({"name": pipeline_name, "is_loaded": self.is_pipeline_loaded(pipeline_name)})

    def _versions_payload(self, name: str) -> dict[str, str]:
        versions = self.get_pipeline(name).get_pipeline_versions()
        return {node: str(version) for node, version in versions.items()}

    def _add_error_handlers(self) -> None:
        @self.errorhandler(ChariotsError)
        def _chariots_error(error: ChariotsError) -> tuple[Response, int]:
            return jsonify(error_payload(error)), error.http_status

        @self.errorhandler(HTTPException)
        def _http_error(error: HTTPException) -> tuple[Response, int]:
            name = type(error).__name__
            return jsonify({"error": name, "message": error.description}), error.code or 500

        @self.errorhandler(Exception)
        def _unexpected(error: Exception) -> tuple[Response, int]:
            logger.exception("unexpected error serving %s", request.path)
            return jsonify(
                {"error": "InternalError", "message": f"{type(error).__name__}: {error}"}
            ), 500


def _json_body(allowed: set[str]) -> dict[str, Any]:
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
