"""How clients reach a chariots server: over HTTP, or straight into a Flask app in-process.

Both transports speak JSON and turn error answers into the Python exceptions of
:mod:`chariots_core.errors`, so a client is written once over either.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from flask import Flask

from chariots_core._json import dumps
from chariots_core.errors import RemoteError, error_from_payload


class Transport(ABC):
    """Sends one JSON request and returns the JSON answer, raising on an error status."""

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        data = None if body is None else dumps(body).encode()
        status, raw = self._send(method, path, data, params or {}, timeout)
        try:
            payload = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise RemoteError(
                f"{method} {path} answered {status} with a body that is not JSON: {raw[:200]!r}",
                status,
            ) from None
        if status >= 400:
            raise error_from_payload(status, payload)
        return payload

    @abstractmethod
    def _send(
        self,
        method: str,
        path: str,
        data: bytes | None,
        params: dict[str, Any],
        timeout: float | None,
    ) -> tuple[int, bytes]:
        """Send the request; return the status and the raw body."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default holds none."""


class HTTPTransport(Transport):
    """A pooled HTTP connection to ``base_url`` (``requests``)."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def _send(
        self,
        method: str,
        path: str,
        data: bytes | None,
        params: dict[str, Any],
        timeout: float | None,
    ) -> tuple[int, bytes]:
        response = self._session.request(
            method,
            self.base_url + path,
            data=data,
            params=params,
            headers={"Content-Type": "application/json"} if data is not None else None,
            timeout=self.timeout if timeout is None else timeout,
        )
        return response.status_code, response.content

    def close(self) -> None:
        self._session.close()


class FlaskTestTransport(Transport):
    """Requests go straight into a Flask app through its test client (no socket)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._client = app.test_client()

    def _send(
        self,
        method: str,
        path: str,
        data: bytes | None,
        params: dict[str, Any],
        timeout: float | None,
    ) -> tuple[int, bytes]:
        response = self._client.open(
            path,
            method=method,
            data=data,
            query_string=params,
            content_type="application/json" if data is not None else None,
        )
        return response.status_code, response.get_data()
