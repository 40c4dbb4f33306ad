"""`JsonApiServer`: the Flask app both chariots servers are (pipelines, op store).

It holds what they share: bearer-token access (:mod:`._tokens`), the request body limit, strict
JSON answers, errors answered as JSON without internals (:mod:`._error_answers`), and the OpenAPI
document at ``GET /openapi.json`` written from the same :class:`Operation` list that registers
the routes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider

from chariots_core._serving._error_answers import install_error_handlers
from chariots_core._serving._openapi import openapi_document
from chariots_core._serving._operations import Operation
from chariots_core._serving._tokens import Access, ApiTokens, TokenSetting

#: the largest request body a server accepts unless told otherwise (413 beyond)
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
_REALM = 'Bearer realm="chariots"'


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing to write NaN or infinities (bare ``NaN`` is not JSON)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


class JsonApiServer(Flask):
    """A Flask app serving :class:`Operation` s as a JSON API (see the module documentation).

    ``api_tokens`` / ``readonly_api_tokens``: the bearer tokens accepted (a list, or one string
    separated by commas); each left ``None`` is read from ``CHARIOTS_API_TOKENS`` /
    ``CHARIOTS_API_READONLY_TOKENS``. With none, every route is open. ``max_request_bytes``: the
    largest body taken (413 beyond, chunked bodies included).
    """

    json_provider_class = StrictJSONProvider

    def __init__(
        self,
        import_name: str,
        *,
        api_tokens: TokenSetting = None,
        readonly_api_tokens: TokenSetting = None,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        **flask_kwargs: Any,
    ) -> None:
        super().__init__(import_name, **flask_kwargs)
        # '/jobs//wait' is no route: not a redirect to another one
        self.url_map.merge_slashes = False
        if isinstance(max_request_bytes, bool) or not isinstance(max_request_bytes, int):
            raise TypeError(f"max_request_bytes must be an integer, not {max_request_bytes!r}")
        if max_request_bytes < 0:
            raise ValueError("max_request_bytes must be >= 0")
        self.config["CHARIOTS_MAX_REQUEST_BYTES"] = max_request_bytes
        # one byte more: a chunked body just over the limit must be seen to be over it
        self.config["MAX_CONTENT_LENGTH"] = max_request_bytes + 1
        self.api_tokens = ApiTokens.configure(api_tokens, readonly_api_tokens)
        self.operations: list[Operation] = []
        self._access: dict[str, Access] = {}
        self.before_request(self._check_token)
        install_error_handlers(self)

    @property
    def max_request_bytes(self) -> int:
        limit: int = self.config["CHARIOTS_MAX_REQUEST_BYTES"]
        return limit

    def serve_operations(
        self,
        operations: Sequence[Operation],
        *,
        title: str,
        version: str,
        schemas: Mapping[str, Any],
        meanings: Mapping[int, str],
        description: str = "",
    ) -> None:
        """Register ``operations`` and ``GET /openapi.json``, their OpenAPI document."""
        for operation in operations:
            self.add_url_rule(
                operation.rule, operation.endpoint, operation.handler, methods=[operation.method]
            )
            self._access[operation.endpoint] = operation.access
            self.operations.append(operation)
        document = openapi_document(
            title,
            version,
            self.operations,
            schemas=schemas,
            meanings=meanings,
            auth_enabled=self.api_tokens.enabled,
            description=description,
        )
        self.openapi = document
        self.add_url_rule("/openapi.json", "openapi", lambda: jsonify(document), methods=["GET"])
        self._access["openapi"] = Access.open

    def access_of(self, endpoint: str | None) -> Access:
        """What a route needs; routes registered by other means need a read token."""
        return self._access.get(endpoint or "", Access.read)

    def _check_token(self) -> Response | None:
        if not self.api_tokens.enabled or request.method == "OPTIONS":
            return None
        if request.routing_exception is not None:  # 404 and 405 say only what the document says
            return None
        needed = self.access_of(request.endpoint)
        if needed is Access.open:
            return None
        authorization = request.headers.get("Authorization")
        granted = self.api_tokens.grant(authorization)
        if granted is None:
            sent = authorization is not None
            response = jsonify(
                {
                    "error": "Unauthorized",
                    "message": "the bearer token is not valid here"
                    if sent
                    else "this server needs a token: send 'Authorization: Bearer <token>'",
                }
            )
            response.status_code = 401
            challenge = f'{_REALM}, error="invalid_token"' if sent else _REALM
            response.headers["WWW-Authenticate"] = challenge
            return response
        if needed is Access.write and granted is not Access.write:
            response = jsonify(
                {
                    "error": "Forbidden",
                    "message": f"{request.method} {request.path} changes the server's state: "
                    "a read-only token may not do it",
                }
            )
            response.status_code = 403
            return response
        return None
