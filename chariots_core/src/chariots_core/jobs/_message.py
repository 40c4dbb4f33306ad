"""`JobMessage`: what crosses the broker. JSON only: no pickled code ever travels."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from chariots_core._json import to_jsonable
from chariots_core.errors import BadRequest


@dataclass(frozen=True)
class JobOptions:
    """What a caller may ask of a job; a pool honours what its capabilities declare.

    ``timeout`` (seconds a run may take), ``retries`` (runs after a failed one) with
    ``retry_interval`` seconds between, ``delay`` (seconds before it may start), ``priority``
    (higher runs first), ``ttl`` (seconds the finished record is kept).
    """

    timeout: float | None = None
    retries: int = 0
    retry_interval: float = 0.0
    delay: float | None = None
    priority: int = 0
    ttl: float | None = None

    @classmethod
    def from_json(cls, payload: Any) -> JobOptions:
        if payload is None:
            return cls()
        if not isinstance(payload, dict):
            raise BadRequest(f"job options must be a JSON object, not {type(payload).__name__}")
        unknown = set(payload) - set(cls.__dataclass_fields__)
        if unknown:
            raise BadRequest(
                f"unknown job options {sorted(unknown)} (known: {sorted(cls.__dataclass_fields__)})"
            )
        options = cls(**payload)
        options.validate()
        return options

    def validate(self) -> None:
        def number(name: str, value: Any, *, positive: bool) -> None:
            if value is None:
                return
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadRequest(f"job option {name!r} must be a number, not {value!r}")
            if value < 0 or (positive and value == 0):
                raise BadRequest(f"job option {name!r} must be {'>' if positive else '>='} 0")

        number("timeout", self.timeout, positive=True)
        number("retry_interval", self.retry_interval, positive=False)
        number("delay", self.delay, positive=False)
        number("ttl", self.ttl, positive=True)
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise BadRequest(f"job option 'retries' must be an integer >= 0, not {self.retries!r}")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise BadRequest(f"job option 'priority' must be an integer, not {self.priority!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JobMessage:
    """One job to run: which app and pipeline, on what input, with what options."""

    job_id: str
    app: str
    pipeline: str
    input: Any = None
    options: JobOptions = field(default_factory=JobOptions)

    def to_json(self) -> str:
        """The message as JSON text; refuses an input that is not JSON-serialisable."""
        try:
            input_json = to_jsonable(self.input)
        except TypeError as error:
            raise BadRequest(f"a job's input must be JSON-serialisable: {error}") from None
        try:
            return self._dumps(input_json)
        except ValueError as error:  # NaN or infinity
            raise BadRequest(f"a job's input must be JSON-serialisable: {error}") from None

    def _dumps(self, input_json: Any) -> str:
        return json.dumps(
            {
                "job_id": self.job_id,
                "app": self.app,
                "pipeline": self.pipeline,
                "input": input_json,
                "options": self.options.to_json(),
            },
            separators=(",", ":"),
            allow_nan=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> JobMessage:
        try:
            payload = json.loads(text)
        except ValueError as error:
            raise BadRequest(f"a job message must be JSON: {error}") from None
        if not isinstance(payload, dict):
            raise BadRequest("a job message must be a JSON object")
        missing = {"job_id", "app", "pipeline"} - set(payload)
        if missing:
            raise BadRequest(f"a job message lacks {sorted(missing)}")
        return cls(
            job_id=str(payload["job_id"]),
            app=str(payload["app"]),
            pipeline=str(payload["pipeline"]),
            input=payload.get("input"),
            options=JobOptions.from_json(payload.get("options")),
        )
