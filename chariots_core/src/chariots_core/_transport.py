"""How clients reach a chariots server: over HTTP, or straight into a Flask app in-process.

One request/response shape, two transports: :class:`RequestsTransport` (a ``requests.Session``
to a URL) and :class:`FlaskTestTransport` (a Flask app's test client, for tests and docs). The
clients (op store, pipelines) build requests and read answers once, whichever transport carries
them; error answers become the Python exceptions of :mod:`chariots_core.errors`.
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from chariots_core._json import dumps
from chariots_core.errors import (
    BadRequest,
    ChariotsError,
    Forbidden,
    RemoteError,
    RequestTooLarge,
    Unauthorized,
    error_from_payload,
)

if TYPE_CHECKING:
    import flask  # a Flask app is in hand already when this transport is used

JSON_TYPE = "application/json"
BYTES_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class HttpResponse:
    """What a server answered: status, body and its content type."""

    status: int
    body: bytes
    content_type: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body read as JSON; :class:`RemoteError` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            raise RemoteError(
                f"server answered {self.status} with a body that is not JSON: {self.body[:200]!r}",
                self.status,
            ) from None


class Transport(ABC):
    """Sends one request to a route of a chariots server and returns what it answered."""

    @abstractmethod
    def request(
        self,
        method: str,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        """Send ``json_body`` (as JSON) or ``data`` (raw bytes), or no body, to ``route``."""

    def post(
        self,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> HttpResponse:
        return self.request("POST", route, json_body=json_body, data=data, params=params)

    def call(
        self,
        method: str,
        route: str,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        not_found: type[ChariotsError] | None = None,
    ) -> Any:
        """A JSON request and its JSON answer; an error answer raises its exception."""
        response = self.request(method, route, json_body=body, params=params, timeout=timeout)
        if not response.ok:
            raise error_from_response(response, not_found=not_found)
        return response.json() if response.body.strip() else None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default holds none."""


def _auth_headers(token: str | None) -> dict[str, str]:
    """The ``Authorization`` header carrying ``token`` (none without a token)."""
    if token is None:
        return {}
    if not isinstance(token, str) or not token or any(char.isspace() for char in token):
        raise ValueError("a token must be a non-empty string without white space")
    return {"Authorization": f"Bearer {token}"}


def _body(json_body: Any, data: bytes | None) -> tuple[bytes | None, str | None]:
    if data is not None:
        return data, BYTES_TYPE
    if json_body is None:
        return None, None
    return dumps(json_body).encode("utf-8"), JSON_TYPE


class RequestsTransport(Transport):
    """Requests to a server at ``url`` through a ``requests.Session`` (connections are reused).

    ``token``: the bearer token sent with every request, for a server that asks for one.
    """

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        timeout: float | None = 60.0,
        token: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self._auth = _auth_headers(token)

    def __repr__(self) -> str:  # never the token
        return f"RequestsTransport({self.url!r}, token={'set' if self._auth else None})"

    def request(
        self,
        method: str,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        body, content_type = _body(json_body, data)
        headers = dict(self._auth)
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self.session.request(
                method,
                self.url + route,
                data=body,
                params=dict(params or {}),
                headers=headers,
                timeout=self.timeout if timeout is None else timeout,
            )
        except requests.RequestException as error:
            raise RemoteError(f"could not reach {self.url}: {error}", 503) from error
        return HttpResponse(
            response.status_code, response.content, response.headers.get("Content-Type", "")
        )

    def close(self) -> None:
        self.session.close()


class FlaskTestTransport(Transport):
    """Requests to a Flask app in this process, through its test client (with ``token`` as
    the bearer token, when given)."""

    def __init__(self, app: flask.Flask, *, token: str | None = None) -> None:
        self.app = app
        self.client = app.test_client()
        self._auth = _auth_headers(token)

    def request(
        self,
        method: str,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        body, content_type = _body(json_body, data)
        response = self.client.open(
            route,
            method=method,
            data=body,
            query_string=dict(params or {}),
            content_type=content_type,
            headers=self._auth,
        )
        return HttpResponse(response.status_code, response.get_data(), response.content_type or "")


def error_from_response(
    response: HttpResponse, *, not_found: type[ChariotsError] | None = None
) -> ChariotsError:
    """The Python exception for an error answer of a chariots server.

    The ``error`` field of the JSON body names the exception when chariots knows it
    (:func:`~chariots_core.errors.error_from_payload`); otherwise the status decides: 400 is
    :class:`BadRequest`, 401 :class:`Unauthorized`, 403 :class:`Forbidden`, 404 is ``not_found``
    (when given), 413 is :class:`RequestTooLarge`, and anything else :class:`RemoteError` with
    the status.
    """
    payload: object = response.body[:500].decode("utf-8", "replace")
    if response.content_type.startswith(JSON_TYPE):
        with contextlib.suppress(ValueError):
            payload = json.loads(response.body)
    error = error_from_payload(response.status, payload)
    if not isinstance(error, RemoteError):
        return error
    fallback = {
        400: BadRequest,
        401: Unauthorized,
        403: Forbidden,
        404: not_found,
        413: RequestTooLarge,
    }.get(response.status)
    if fallback is None:
        return error
    message = payload.get("message", payload) if isinstance(payload, dict) else payload
    return fallback(str(message))
