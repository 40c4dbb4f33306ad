"""Reading what a request carries: its body (within the server's limit) and query arguments."""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from chariots_core._json import loads_strict
from chariots_core.errors import BadRequest, NotStrictJSON, RequestTooLarge

_READ_SIZE = 64 * 1024
_INTEGER = re.compile(r"-?[0-9]{1,19}(?:\.0+)?")  # '3.0' is the integer 3, as in JSON
_NUMBER = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,3})?")


def max_request_bytes() -> int:
    """The largest body the current app takes."""
    limit: int = current_app.config["CHARIOTS_MAX_REQUEST_BYTES"]
    return limit


def too_large() -> RequestTooLarge:
    return RequestTooLarge(
        f"the request body is too large: this server takes at most {max_request_bytes()} bytes"
    )


def read_body() -> bytes:
    """The request body; :class:`RequestTooLarge` (413) when it is over the limit, whether its
    ``Content-Length`` says so (refused before reading) or it comes in chunks (refused once the
    limit is passed, never read further)."""
    limit = max_request_bytes()
    cached = getattr(request, "_chariots_body", None)
    if cached is not None:
        return bytes(cached)
    body = bytearray()
    try:
        # Flask's MAX_CONTENT_LENGTH is the limit + 1: a chunked body one byte over it is read
        # here and refused, rather than cut at the limit by werkzeug and read as if whole
        stream = request.stream
        while len(body) <= limit:
            chunk = stream.read(min(_READ_SIZE, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
    except RequestEntityTooLarge:
        raise too_large() from None
    if len(body) > limit:
        raise too_large()
    request._chariots_body = bytes(body)  # type: ignore[attr-defined]
    return bytes(body)


def json_object_body(
    allowed: Collection[str], *, required: Collection[str] = (), empty_ok: bool = True
) -> dict[str, Any]:
    """The body as a strict JSON object with no key but ``allowed`` and every ``required`` one.

    An empty body is ``{}`` when ``empty_ok``; anything else that is not such an object is a
    :class:`BadRequest` (400) saying why.
    """
    raw = read_body()
    if not raw.strip():
        if empty_ok and not required:
            return {}
        raise BadRequest("the request body must be a JSON object, and it is empty")
    try:
        body = loads_strict(raw, "the request body (a JSON object)")
    except NotStrictJSON as error:  # answered as the plain 400 it is
        raise BadRequest(str(error)) from None
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a JSON object, not {_json_type(body)}")
    unknown = set(body) - set(allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "no key"
        raise BadRequest(
            f"unexpected keys {sorted(unknown)[:10]} in the body (it takes {expected})"
        )
    missing = [name for name in required if name not in body]
    if missing:
        raise BadRequest(f"the request body needs a {missing[0]!r} field")
    return body


def integer_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    """Query argument ``name`` as a decimal integer within bounds; :class:`BadRequest` else."""
    text = request.args.get(name)
    if text is None:
        return default
    if not _INTEGER.fullmatch(text):
        raise BadRequest(f"query parameter {name!r} must be an integer, not {text[:40]!r}")
    value = int(text.split(".")[0])
    if not minimum <= value <= maximum:
        raise BadRequest(f"query parameter {name!r} must be between {minimum} and {maximum}")
    return value


def number_arg(name: str, default: float, minimum: float = 0.0) -> float:
    """Query argument ``name`` as a finite decimal number >= ``minimum``; :class:`BadRequest`
    else (``inf``, ``nan`` and the like are not numbers here)."""
    text = request.args.get(name)
    if text is None:
        return default
    if not _NUMBER.fullmatch(text):
        raise BadRequest(f"query parameter {name!r} must be a number, not {text[:40]!r}")
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest(f"query parameter {name!r} must be a finite number")
    if value < minimum:
        raise BadRequest(f"query parameter {name!r} must be >= {minimum:g}")
    return value


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
