"""`Operation`: one route of a chariots server, with what it needs and what it answers.

The same description registers the Flask view, decides who may call it (its :class:`Access`)
and writes its part of the server's OpenAPI document, so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response

from chariots_core._serving._tokens import Access

JSON_TYPE = "application/json"
BYTES_TYPE = "application/octet-stream"
OBJECT: dict[str, Any] = {"type": "object"}
#: a body that must be empty or ``{}``
NO_FIELDS: dict[str, Any] = {"type": "object", "additionalProperties": False}


@dataclass(frozen=True)
class Operation:
    """A route: ``rule`` (Flask syntax) and ``method``, served by ``handler``.

    ``body`` is the JSON schema of a JSON body (``body_required``: whether an empty body is
    refused), or ``raw_body`` for one of raw bytes; ``query`` maps query arguments to their
    schemas (``required_query`` names those that must be there); ``path`` gives path arguments a
    schema other than a plain string. ``answer`` is the schema of a 200 answer of type
    ``answer_type``; ``errors`` are the statuses particular to the route (the server adds those
    that every route of its kind can answer: 400, 401, 403, 413, 500).
    """

    rule: str
    method: str
    summary: str
    handler: Callable[..., Response]
    access: Access = Access.read
    body: dict[str, Any] | None = None
    body_required: bool = False
    raw_body: bool = False
    query: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    required_query: frozenset[str] = frozenset()
    path: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=lambda: dict(OBJECT))
    answer_type: str = JSON_TYPE
    errors: tuple[int, ...] = ()

    @property
    def endpoint(self) -> str:
        return f"{self.method.lower()}:{self.rule}"

    @property
    def takes_body(self) -> bool:
        return self.body is not None or self.raw_body

    @property
    def path_names(self) -> list[str]:
        return [part[1:-1].split(":")[-1] for part in self.rule.split("/") if part.startswith("<")]

    @property
    def openapi_path(self) -> str:
        parts = [
            "{" + part[1:-1].split(":")[-1] + "}" if part.startswith("<") else part
            for part in self.rule.split("/")
        ]
        return "/".join(parts)
