"""`OpStoreServer`: the op store over HTTP, a small Flask app in front of an :class:`OpStore`.

Every route is a ``POST`` under ``/v1/`` named after the method of
:class:`~chariots_core.op_store.BaseOpStoreClient` it runs. Bodies are JSON objects, except the
op bytes, which travel raw (``application/octet-stream``) both ways so that large models are
not inflated by base64:

- ``/v1/get_all_versions_of_op``: ``{"op_name"}`` → ``{"versions": [saved, ...]}``
- ``/v1/get_latest_versions``: ``{"op_names": [...]}`` → ``{"versions": {op_name: saved}}``
- ``/v1/get_op_bytes_for_version``: ``{"op_name", "version"}`` → the op bytes
- ``/v1/save_op_bytes``: the op bytes, with ``op_name``, ``version``, ``class_version`` and
  ``training_version`` (left out when none) in the query string → ``{}``
- ``/v1/register_valid_link``: ``{"downstream_op_name", "downstream_version",
  "upstream_op_name", "upstream_version"}`` → ``{}``
- ``/v1/get_validated_links``: ``{"downstream_op_name", "downstream_version",
  "upstream_op_name"}`` → ``{"upstream_versions": [...]}``
- ``/v1/register_new_pipeline``: ``{"pipeline_name", "op_names": [...]}`` → ``{}``
- ``/v1/pipeline_exists``: ``{"pipeline_name"}`` → ``{"exists": bool}``
- ``GET /v1/health_check`` → ``{"status": "ok"}``

Versions are ``str(version)`` strings; ``saved`` is ``{"op_name", "version", "class_version",
"training_version", "saved_at"}`` with ``saved_at`` in ISO 8601. Errors answer
``{"error": <exception name>, "message": ...}``: 400 for a malformed request or a refused name,
404 for an unknown op or version, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import flask
from sqlalchemy.engine import URL
from werkzeug.exceptions import HTTPException

from chariots_core._transport import BYTES_TYPE
from chariots_core.database import Database
from chariots_core.errors import BadRequest, ChariotsError, error_payload
from chariots_core.op_store._names import parse_version
from chariots_core.op_store._op_store import OpStore
from chariots_core.op_store._wire import saved_op_version_to_json, versions_to_json
from chariots_core.op_store.savers import BaseSaver

#: the database of ``OpStoreServer(saver)`` given no URL, as in the original chariots
IN_MEMORY_SQLITE = "sqlite:///:memory:"

logger = logging.getLogger(__name__)


def _json_object() -> dict[str, Any]:
    body = flask.request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _field(body: dict[str, Any], name: str) -> Any:
    if name not in body:
        raise BadRequest(f"the request body needs a {name!r} field")
    return body[name]


def _string_field(body: dict[str, Any], name: str) -> str:
    value = _field(body, name)
    if not isinstance(value, str):
        raise BadRequest(f"{name!r} must be a string, not {type(value).__name__}")
    return value


def _string_list_field(body: dict[str, Any], name: str) -> list[str]:
    value = _field(body, name)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{name!r} must be a list of strings")
    return value


def _query_arg(name: str) -> str:
    value = flask.request.args.get(name)
    if value is None:
        raise BadRequest(f"the query string needs a {name!r} argument")
    return value


class OpStoreServer(flask.Flask):
    """A Flask app serving ``op_store`` under ``/v1/`` (see the module documentation).

    Built on an :class:`OpStore`, or as the original chariots built it, on a saver and a
    database URL: ``OpStoreServer(saver, db_url)`` (``db_url`` defaults to an in-memory SQLite
    database, as it did; give a file or PostgreSQL to keep the records). ``server.db`` is the
    store's :class:`~chariots_core.database.Database`, so that ``server.db.create_all()`` makes
    the schema before the first request; ``server.flask`` is the server itself (it is the Flask
    app).
    """

    def __init__(
        self,
        op_store: OpStore | BaseSaver | None = None,
        db_url: str | URL | Database | None = None,
        import_name: str = "chariots_op_store",
        *,
        saver: BaseSaver | None = None,
    ) -> None:
        super().__init__(import_name)
        self.op_store = _op_store(op_store, db_url, saver)
        op_store = self.op_store
        self.db: Database = op_store.db
        self._add_routes()
        self.register_error_handler(ChariotsError, _chariots_error)
        self.register_error_handler(HTTPException, _http_error)
        self.register_error_handler(Exception, _unexpected_error)

    @property
    def flask(self) -> flask.Flask:
        """The Flask app: the server itself (the original chariots' server held one here)."""
        return self

    def _add_routes(self) -> None:
        store = self.op_store

        def health_check() -> flask.Response:
            return flask.jsonify(status="ok")

        def get_all_versions_of_op() -> flask.Response:
            op_name = _string_field(_json_object(), "op_name")
            saved = store.get_all_versions_of_op(op_name)
            return flask.jsonify(versions=[saved_op_version_to_json(item) for item in saved])

        def get_latest_versions() -> flask.Response:
            op_names = _string_list_field(_json_object(), "op_names")
            latest = store.get_latest_versions(op_names)
            return flask.jsonify(
                versions={name: saved_op_version_to_json(item) for name, item in latest.items()}
            )

        def get_op_bytes_for_version() -> flask.Response:
            body = _json_object()
            op_bytes = store.get_op_bytes_for_version(
                _string_field(body, "op_name"), parse_version(_string_field(body, "version"))
            )
            return flask.Response(op_bytes, mimetype=BYTES_TYPE)

        def save_op_bytes() -> flask.Response:
            training_version = flask.request.args.get("training_version")
            store.save_op_bytes(
                _query_arg("op_name"),
                parse_version(_query_arg("version")),
                flask.request.get_data(cache=False),
                class_version=parse_version(_query_arg("class_version"), "class_version"),
                training_version=(
                    None
                    if training_version is None
                    else parse_version(training_version, "training_version")
                ),
            )
            return flask.jsonify({})

        def register_valid_link() -> flask.Response:
            body = _json_object()
            store.register_valid_link(
                _string_field(body, "downstream_op_name"),
                parse_version(_string_field(body, "downstream_version"), "downstream_version"),
                _string_field(body, "upstream_op_name"),
                parse_version(_string_field(body, "upstream_version"), "upstream_version"),
            )
            return flask.jsonify({})

        def get_validated_links() -> flask.Response:
            body = _json_object()
            versions = store.get_validated_links(
                _string_field(body, "downstream_op_name"),
                parse_version(_string_field(body, "downstream_version"), "downstream_version"),
                _string_field(body, "upstream_op_name"),
            )
            return flask.jsonify(upstream_versions=versions_to_json(versions))

        def register_new_pipeline() -> flask.Response:
            body = _json_object()
            store.register_new_pipeline(
                _string_field(body, "pipeline_name"), _string_list_field(body, "op_names")
            )
            return flask.jsonify({})

        def pipeline_exists() -> flask.Response:
            pipeline_name = _string_field(_json_object(), "pipeline_name")
            return flask.jsonify(exists=store.pipeline_exists(pipeline_name))

        self.add_url_rule("/v1/health_check", view_func=health_check, methods=["GET"])
        for view in (
            get_all_versions_of_op,
            get_latest_versions,
            get_op_bytes_for_version,
            save_op_bytes,
            register_valid_link,
            get_validated_links,
            register_new_pipeline,
            pipeline_exists,
        ):
            self.add_url_rule(f"/v1/{view.__name__}", view_func=view, methods=["POST"])


def _op_store(
    op_store: OpStore | BaseSaver | None,
    db_url: str | URL | Database | None,
    saver: BaseSaver | None,
) -> OpStore:
    if saver is not None:
        if op_store is not None:
            raise TypeError("give OpStoreServer an op store or a saver, not both")
        op_store = saver
    if isinstance(op_store, OpStore):
        if db_url is not None:
            raise TypeError("an OpStore has its database already: give no db_url with it")
        return op_store
    if isinstance(op_store, BaseSaver):
        return OpStore(IN_MEMORY_SQLITE if db_url is None else db_url, op_store)
    raise TypeError(
        "OpStoreServer takes an OpStore, or a saver and a database URL, "
        f"not {type(op_store).__name__}"
    )


def _error_response(status: int, error: str, message: str) -> tuple[flask.Response, int]:
    return flask.jsonify(error=error, message=message), status


def _chariots_error(error: ChariotsError) -> tuple[flask.Response, int]:
    if error.http_status >= 500:
        logger.error("op store request failed", exc_info=error)
    return flask.jsonify(error_payload(error)), error.http_status


def _http_error(error: HTTPException) -> tuple[flask.Response, int]:
    status = error.code or 500
    name = "BadRequest" if status == 400 else (error.name or "HTTPException").replace(" ", "")
    return _error_response(status, name, error.description or "")


def _unexpected_error(error: Exception) -> tuple[flask.Response, int]:
    logger.error("op store request failed", exc_info=error)
    return _error_response(500, "InternalServerError", "the op store failed; see its log")
