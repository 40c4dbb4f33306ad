"""How an HTTP client of a chariots server sends a request: over the network or in-process.

One request/response shape, two transports: :class:`RequestsTransport` (a ``requests.Session``
to a URL) and :class:`FlaskTestTransport` (a Flask app's test client, for tests and docs). The
clients build requests and read responses once, whichever transport carries them.
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import flask
import requests

from chariots_core.errors import (
    BadRequest,
    ChariotsError,
    RemoteError,
    RequestTooLarge,
    error_from_payload,
)

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


class HttpTransport(ABC):
    """Sends one POST to a route of a chariots server and returns what it answered."""

    @abstractmethod
    def post(
        self,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """POST ``json_body`` (as JSON) or ``data`` (raw bytes) to ``route`` (``/v1/...``)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default holds none."""


def _body(json_body: Any, data: bytes | None) -> tuple[bytes, str]:
    if data is not None:
        return data, BYTES_TYPE
    return json.dumps(json_body).encode("utf-8"), JSON_TYPE


class RequestsTransport(HttpTransport):
    """Requests to a server at ``url`` through a ``requests.Session`` (connections are reused)."""

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        timeout: float | None = 60.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout

    def post(
        self,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        body, content_type = _body(json_body, data)
        try:
            response = self.session.post(
                self.url + route,
                data=body,
                params=dict(params or {}),
                headers={"Content-Type": content_type},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise RemoteError(f"could not reach {self.url}: {error}", 503) from error
        return HttpResponse(
            response.status_code, response.content, response.headers.get("Content-Type", "")
        )

    def close(self) -> None:
        self.session.close()


class FlaskTestTransport(HttpTransport):
    """Requests to a Flask app in this process, through its test client."""

    def __init__(self, app: flask.Flask) -> None:
        self.app = app
        self.client = app.test_client()

    def post(
        self,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        body, content_type = _body(json_body, data)
        response = self.client.post(
            route, data=body, query_string=dict(params or {}), content_type=content_type
        )
        return HttpResponse(response.status_code, response.get_data(), response.content_type or "")


def error_from_response(
    response: HttpResponse, *, not_found: type[ChariotsError] | None = None
) -> ChariotsError:
    """The Python exception for an error answer of a chariots server.

    The ``error`` field of the JSON body names the exception when chariots knows it
    (:func:`~chariots_core.errors.error_from_payload`); otherwise the status decides: 400 is
    :class:`BadRequest`, 404 is ``not_found`` (when given), 413 is :class:`RequestTooLarge`, and
    anything else :class:`RemoteError` with the status.
    """
    payload: object = response.body[:500].decode("utf-8", "replace")
    if response.content_type.startswith(JSON_TYPE):
        with contextlib.suppress(ValueError):
            payload = json.loads(response.body)
    error = error_from_payload(response.status, payload)
    if not isinstance(error, RemoteError):
        return error
    fallback = {400: BadRequest, 404: not_found, 413: RequestTooLarge}.get(response.status)
    if fallback is None:
        return error
    message = payload.get("message", payload) if isinstance(payload, dict) else payload
    return fallback(str(message))
