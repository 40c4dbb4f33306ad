"""The OpenAPI 3.1 document of a chariots server, written from its :class:`Operation` list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chariots_core._serving._operations import BYTES_TYPE, JSON_TYPE, Operation
from chariots_core._serving._tokens import Access

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    "required": ["error", "message"],
}

#: what each status means on any chariots server (a server may say more for its own routes)
COMMON_MEANINGS = {
    400: "the body or a parameter is not what the route takes",
    401: "no valid bearer token (this server asks for one)",
    403: "the token may not do this (a read-only token on a route that writes)",
    404: "no such resource",
    413: "the body is over the server's limit",
    500: "the server failed unexpectedly (its log holds the details)",
}


def openapi_document(
    title: str,
    version: str,
    operations: Sequence[Operation],
    *,
    schemas: Mapping[str, Any],
    meanings: Mapping[int, str],
    auth_enabled: bool,
    description: str = "",
) -> dict[str, Any]:
    """An OpenAPI 3.1 document of ``operations``; ``meanings`` names the statuses particular to
    this server, and ``auth_enabled`` adds the bearer security scheme and its 401/403."""
    all_meanings = {**COMMON_MEANINGS, **meanings}
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        item = _operation(operation, all_meanings, auth_enabled)
        paths.setdefault(operation.openapi_path, {})[operation.method.lower()] = item
    components: dict[str, Any] = {"schemas": {"Error": ERROR_SCHEMA, **schemas}}
    if auth_enabled:
        components["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "a token of CHARIOTS_API_TOKENS (read and write) or of "
                "CHARIOTS_API_READONLY_TOKENS (read only)",
            }
        }
    info: dict[str, Any] = {"title": title, "version": version}
    if description:
        info["description"] = description
    return {"openapi": "3.1.0", "info": info, "paths": paths, "components": components}


def _operation(
    operation: Operation, meanings: Mapping[int, str], auth_enabled: bool
) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": operation.path.get(name, {"type": "string"}),
        }
        for name in operation.path_names
    ]
    parameters += [
        {
            "name": name,
            "in": "query",
            "required": name in operation.required_query,
            "schema": schema,
        }
        for name, schema in operation.query.items()
    ]
    statuses = set(operation.errors) | {500}
    if operation.takes_body or operation.query:
        statuses |= {400}
    if operation.takes_body:
        statuses |= {413}
    if auth_enabled and operation.access is not Access.open:
        statuses |= {401}
        if operation.access is Access.write:
            statuses |= {403}
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {operation.answer_type: {"schema": operation.answer}},
        }
    }
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": meanings[status],
            "content": {JSON_TYPE: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    document: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": _operation_id(operation),
        "parameters": parameters,
        "responses": responses,
    }
    if operation.body is not None:
        document["requestBody"] = {
            "required": operation.body_required,
            "content": {JSON_TYPE: {"schema": operation.body}},
        }
    elif operation.raw_body:
        document["requestBody"] = {
            "required": operation.body_required,
            "content": {BYTES_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    if auth_enabled:
        document["security"] = [] if operation.access is Access.open else [{"bearer": []}]
    if operation.access is not Access.open:
        document["x-chariots-access"] = operation.access.value
    return document


def _operation_id(operation: Operation) -> str:
    path = operation.openapi_path.strip("/").replace("/", "_").replace("{", "").replace("}", "")
    return f"{operation.method.lower()}_{path or 'root'}"
