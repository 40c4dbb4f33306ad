"""How a chariots server answers errors: JSON ``{"error", "message"}``, never a traceback.

- a :class:`~chariots_core.errors.ChariotsError` answers its own status and message (they are
  written for the caller);
- an HTTP error of routing or of werkzeug (404, 405 with its ``Allow`` header, 413...) answers
  its status with its short description;
- anything else is a 500 that says only that the server failed: the details (which may hold SQL,
  paths or secrets) go to the server's log.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from chariots_core._serving._bodies import too_large
from chariots_core.errors import ChariotsError, error_payload

logger = logging.getLogger("chariots_core.server")

UNEXPECTED_MESSAGE = "the server failed unexpectedly; its log holds the details"


def install_error_handlers(app: Flask) -> None:
    """Answer every error of ``app`` as JSON (see the module documentation)."""
    app.register_error_handler(ChariotsError, _chariots_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _chariots_error(error: ChariotsError) -> tuple[Response, int]:
    if error.http_status >= 500:
        logger.warning(
            "%s %s answered %s: %s: %s",
            request.method,
            request.path,
            error.http_status,
            type(error).__name__,
            error,
        )
    return jsonify(error_payload(error)), error.http_status


def _http_error(error: HTTPException) -> tuple[Response, int, list[tuple[str, str]]]:
    status = error.code or 500
    if status == 413:
        return jsonify(error_payload(too_large())), 413, []
    headers = [
        (name, value) for name, value in error.get_headers() if name.lower() != "content-type"
    ]
    payload = {"error": type(error).__name__, "message": error.description or ""}
    return jsonify(payload), status, headers


def _unexpected_error(error: Exception) -> tuple[Response, int]:
    logger.error("unexpected error serving %s %s", request.method, request.path, exc_info=error)
    return jsonify({"error": "InternalServerError", "message": UNEXPECTED_MESSAGE}), 500
