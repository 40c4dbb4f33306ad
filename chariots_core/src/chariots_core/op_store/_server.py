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
  "upstream_op_name", "upstream_version"}`` → ``{}`` (a ``null`` downstream version: the link
  holds for every version of the downstream op; a ``null`` downstream op: the upstream op is
  registered alone, as the original chariots did for a pipeline's last op)
- ``/v1/get_validated_links``: ``{"downstream_op_name", "downstream_version",
  "upstream_op_name"}`` → ``{"upstream_versions": [...]}`` (a ``null`` downstream version:
  those validated for any version of the downstream op)
- ``/v1/register_new_pipeline``: ``{"pipeline_name", "op_names": [...]}`` → ``{}``
- ``/v1/pipeline_exists``: ``{"pipeline_name"}`` → ``{"exists": bool}``
- ``GET /v1/health_check`` → ``{"status": "ok"}``
- ``GET /openapi.json``: the OpenAPI document of these routes, with the exact rules for names
  and versions

Versions are ``str(version)`` strings; ``saved`` is ``{"op_name", "version", "class_version",
"training_version", "saved_at"}`` with ``saved_at`` in ISO 8601. Errors answer
``{"error": <exception name>, "message": ...}``: 400 for a malformed request or a refused name,
404 for an unknown op or version, 401/403 for a missing or read-only token (when the server
asks for tokens), 413 for a body over the limit; never a traceback, SQL or a server path.
"""

from __future__ import annotations

import logging
from typing import Any

import flask
from sqlalchemy.engine import URL

from chariots_core import __version__
from chariots_core._serving import (
    DEFAULT_MAX_REQUEST_BYTES,
    JSON_TYPE,
    Access,
    JsonApiServer,
    Operation,
    json_object_body,
    read_body,
)
from chariots_core._serving._operations import BYTES_TYPE
from chariots_core._serving._tokens import TokenSetting
from chariots_core.database import Database
from chariots_core.errors import BadRequest
from chariots_core.op_store._models import NAME_LENGTH, OpRecord
from chariots_core.op_store._names import OP_NAME_PATTERN, PIPELINE_NAME_PATTERN, parse_version
from chariots_core.op_store._op_store import OpStore
from chariots_core.op_store._wire import saved_op_version_to_json, versions_to_json
from chariots_core.op_store.savers import BaseSaver
from chariots_core.versioning import Version
from chariots_core.versioning._version import VERSION_PATTERN

#: the database of ``OpStoreServer(saver)`` given no URL, as in the original chariots
IN_MEMORY_SQLITE = "sqlite:///:memory:"

logger = logging.getLogger(__name__)

__all__ = ["JSON_TYPE", "OpStoreServer"]


def _string_field(body: dict[str, Any], name: str) -> str:
    if name not in body:
        raise BadRequest(f"the request body needs a {name!r} field")
    value = body[name]
    if not isinstance(value, str):
        raise BadRequest(f"{name!r} must be a string, not {type(value).__name__}")
    return value


def _string_list_field(body: dict[str, Any], name: str) -> list[str]:
    if name not in body:
        raise BadRequest(f"the request body needs a {name!r} field")
    value = body[name]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{name!r} must be a list of strings")
    return value


def _optional_string_field(body: dict[str, Any], name: str) -> str | None:
    """A string field that may be ``null`` (it must be there)."""
    if name not in body:
        raise BadRequest(f"the request body needs a {name!r} field")
    return None if body[name] is None else _string_field(body, name)


def _optional_version(body: dict[str, Any], name: str) -> Version | None:
    """A version field that may be ``null``: a link for every version."""
    value = _optional_string_field(body, name)
    return None if value is None else parse_version(value, name)


def _json_object(*fields: str) -> dict[str, Any]:
    """The body: a JSON object with these fields (and no other)."""
    return json_object_body(fields, empty_ok=False)


def _query_arg(name: str) -> str:
    value = flask.request.args.get(name)
    if value is None:
        raise BadRequest(f"the query string needs a {name!r} argument")
    return value


class OpStoreServer(JsonApiServer):
    """A Flask app serving ``op_store`` under ``/v1/`` (see the module documentation).

    Built on an :class:`OpStore`, or as the original chariots built it, on a saver and a
    database URL: ``OpStoreServer(saver, db_url)`` (``db_url`` defaults to an in-memory SQLite
    database, as it did; give a file or PostgreSQL to keep the records); ``server.flask`` is the
    server itself (it is the Flask app).

    ``server.db`` is the store's :class:`~chariots_core.database.Database`, so that
    ``server.db.create_all()`` makes the schema before the first request.

    Security (see ``docs/security.md``): ``api_tokens`` and ``readonly_api_tokens`` are the
    bearer tokens accepted, each a list or a string separated by commas; left ``None``, they are
    read from ``CHARIOTS_API_TOKENS`` and ``CHARIOTS_API_READONLY_TOKENS``. With no token at all
    every route is open. A read-only token may read ops, versions and links, not save op bytes,
    register links or pipelines (403); ``GET /v1/health_check`` and ``GET /openapi.json`` need
    no token. ``max_request_bytes`` bounds a request body, op bytes included (413 beyond,
    chunked bodies too).
    """

    def __init__(
        self,
        op_store: OpStore | BaseSaver | None = None,
        db_url: str | URL | Database | None = None,
        import_name: str = "chariots_op_store",
        *,
        saver: BaseSaver | None = None,
        api_tokens: TokenSetting = None,
        readonly_api_tokens: TokenSetting = None,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        super().__init__(
            import_name,
            api_tokens=api_tokens,
            readonly_api_tokens=readonly_api_tokens,
            max_request_bytes=max_request_bytes,
        )
        self.op_store = _op_store(op_store, db_url, saver)
        self.db: Database = self.op_store.db
        self.serve_operations(
            _operations(self.op_store),
            title="chariots op store",
            version=__version__,
            schemas=_SCHEMAS,
            meanings=_MEANINGS,
        )

    @property
    def flask(self) -> flask.Flask:
        """The Flask app: the server itself (the original chariots' server held one here)."""
        return self

    @property
    def saver(self) -> BaseSaver:
        """Where the op bytes are kept (``server.op_store.saver``; the original's ``_saver``)."""
        return self.op_store.saver

    def get_or_register_db_op(self, op_name: str) -> OpRecord:
        """The op's database record (``.id``, ``.name``), created if the op is new."""
        return self.op_store.get_or_register_op(op_name)


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


def _operations(store: OpStore) -> list[Operation]:
    def health_check() -> flask.Response:
        return flask.jsonify(status="ok")

    def get_all_versions_of_op() -> flask.Response:
        op_name = _string_field(_json_object("op_name"), "op_name")
        saved = store.get_all_versions_of_op(op_name)
        return flask.jsonify(versions=[saved_op_version_to_json(item) for item in saved])

    def get_latest_versions() -> flask.Response:
        op_names = _string_list_field(_json_object("op_names"), "op_names")
        latest = store.get_latest_versions(op_names)
        return flask.jsonify(
            versions={name: saved_op_version_to_json(item) for name, item in latest.items()}
        )

    def get_op_bytes_for_version() -> flask.Response:
        body = _json_object("op_name", "version")
        op_bytes = store.get_op_bytes_for_version(
            _string_field(body, "op_name"), parse_version(_string_field(body, "version"))
        )
        return flask.Response(op_bytes, mimetype=BYTES_TYPE)

    def save_op_bytes() -> flask.Response:
        op_name = _query_arg("op_name")
        version = parse_version(_query_arg("version"))
        class_version = parse_version(_query_arg("class_version"), "class_version")
        training_version = flask.request.args.get("training_version")
        store.save_op_bytes(
            op_name,
            version,
            read_body(),
            class_version=class_version,
            training_version=(
                None
                if training_version is None
                else parse_version(training_version, "training_version")
            ),
        )
        return flask.jsonify({})

    def register_valid_link() -> flask.Response:
        body = _json_object(
            "downstream_op_name", "downstream_version", "upstream_op_name", "upstream_version"
        )
        downstream_version = _optional_version(body, "downstream_version")
        downstream = _optional_string_field(body, "downstream_op_name")
        upstream = _string_field(body, "upstream_op_name")
        upstream_version = parse_version(
            _string_field(body, "upstream_version"), "upstream_version"
        )
        if downstream is None or downstream_version is None:  # the original chariots' form
            store.register_valid_link(downstream, upstream, upstream_op_version=upstream_version)
        else:
            store.register_valid_link(downstream, downstream_version, upstream, upstream_version)
        return flask.jsonify({})

    def get_validated_links() -> flask.Response:
        body = _json_object("downstream_op_name", "downstream_version", "upstream_op_name")
        downstream_version = _optional_version(body, "downstream_version")
        downstream = _string_field(body, "downstream_op_name")
        upstream = _string_field(body, "upstream_op_name")
        versions = (
            store.get_validated_links(downstream, upstream)
            if downstream_version is None
            else store.get_validated_links(downstream, downstream_version, upstream)
        )
        return flask.jsonify(upstream_versions=versions_to_json(versions))

    def register_new_pipeline() -> flask.Response:
        body = _json_object("pipeline_name", "op_names")
        store.register_new_pipeline(
            _string_field(body, "pipeline_name"), _string_list_field(body, "op_names")
        )
        return flask.jsonify({})

    def pipeline_exists() -> flask.Response:
        pipeline_name = _string_field(_json_object("pipeline_name"), "pipeline_name")
        return flask.jsonify(exists=store.pipeline_exists(pipeline_name))

    def post(
        view: Any,
        summary: str,
        fields: dict[str, Any],
        answer: dict[str, Any],
        *,
        access: Access = Access.read,
        errors: tuple[int, ...] = (),
        answer_type: str = JSON_TYPE,
    ) -> Operation:
        return Operation(
            f"/v1/{view.__name__}",
            "POST",
            summary,
            view,
            access=access,
            body={
                "type": "object",
                "properties": fields,
                "required": list(fields),
                "additionalProperties": False,
            },
            body_required=True,
            answer=answer,
            answer_type=answer_type,
            errors=errors,
        )

    return [
        Operation(
            "/v1/health_check",
            "GET",
            "Whether the op store is up.",
            health_check,
            access=Access.open,
            answer=_object({"status": {"const": "ok"}}),
        ),
        post(
            get_all_versions_of_op,
            "Every saved version of an op, newest first.",
            {"op_name": _OP_NAME},
            _object({"versions": {"type": "array", "items": _SAVED}}),
        ),
        post(
            get_latest_versions,
            "The newest saved version of each op that has one.",
            {"op_names": {"type": "array", "items": _OP_NAME}},
            _object({"versions": {"type": "object", "additionalProperties": _SAVED}}),
        ),
        post(
            get_op_bytes_for_version,
            "The bytes saved for a version of an op.",
            {"op_name": _OP_NAME, "version": _VERSION},
            {"type": "string", "format": "binary"},
            errors=(404,),
            answer_type=BYTES_TYPE,
        ),
        Operation(
            "/v1/save_op_bytes",
            "POST",
            "Save the bytes of a version of an op (the body, raw).",
            save_op_bytes,
            access=Access.write,
            raw_body=True,
            query={
                "op_name": _OP_NAME,
                "version": _VERSION,
                "class_version": _VERSION,
                "training_version": _VERSION,
            },
            required_query=frozenset({"op_name", "version", "class_version"}),
            answer=_object({}),
        ),
        post(
            register_valid_link,
            "Record that a version of a downstream op was validated on a version of an "
            "upstream op.",
            {
                "downstream_op_name": _NULLABLE_OP_NAME,
                "downstream_version": _NULLABLE_VERSION,
                "upstream_op_name": _OP_NAME,
                "upstream_version": _VERSION,
            },
            _object({}),
            access=Access.write,
        ),
        post(
            get_validated_links,
            "The versions of an upstream op that a version of a downstream op was validated on.",
            {
                "downstream_op_name": _OP_NAME,
                "downstream_version": _NULLABLE_VERSION,
                "upstream_op_name": _OP_NAME,
            },
            _object({"upstream_versions": {"type": "array", "items": _VERSION}}),
        ),
        post(
            register_new_pipeline,
            "Record a pipeline and the ops it holds.",
            {
                "pipeline_name": _PIPELINE_NAME,
                "op_names": {"type": "array", "items": _OP_NAME},
            },
            _object({}),
            access=Access.write,
        ),
        post(
            pipeline_exists,
            "Whether a pipeline was recorded.",
            {"pipeline_name": _PIPELINE_NAME},
            _object({"exists": {"type": "boolean"}}),
        ),
    ]


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


_OP_NAME = {"$ref": "#/components/schemas/OpName"}
_PIPELINE_NAME = {"$ref": "#/components/schemas/PipelineName"}
_VERSION = {"$ref": "#/components/schemas/Version"}
_SAVED = {"$ref": "#/components/schemas/SavedOpVersion"}
#: a link with no downstream version holds for every version of the downstream op; with no
#: downstream op it registers the upstream op alone (the original chariots' forms)
_NULLABLE_VERSION = {"anyOf": [_VERSION, {"type": "null"}]}
_NULLABLE_OP_NAME = {"anyOf": [_OP_NAME, {"type": "null"}]}
_SCHEMAS: dict[str, Any] = {
    "OpName": {
        "type": "string",
        "minLength": 1,
        "maxLength": NAME_LENGTH,
        "pattern": OP_NAME_PATTERN,
    },
    "PipelineName": {
        "type": "string",
        "minLength": 1,
        "maxLength": NAME_LENGTH,
        "pattern": PIPELINE_NAME_PATTERN,
    },
    "Version": {
        "type": "string",
        "pattern": VERSION_PATTERN,
        "description": "str(version): major_minor_patch_creationtime",
    },
    "SavedOpVersion": {
        "type": "object",
        "properties": {
            "op_name": {"type": "string"},
            "version": _VERSION,
            "class_version": _VERSION,
            "training_version": {"anyOf": [_VERSION, {"type": "null"}]},
            "saved_at": {"type": "string", "format": "date-time"},
        },
        "required": ["op_name", "version", "class_version", "training_version", "saved_at"],
    },
}
_MEANINGS = {404: "no such op, or no such version of it"}
