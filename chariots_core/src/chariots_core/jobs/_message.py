"""`JobMessage`: what crosses the broker. JSON only: no pickled code ever travels."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from chariots_core._json import to_jsonable
from chariots_core.errors import BadRequest
from chariots_core.jobs._integrity import (
    SIGNATURE_FIELD,
    canonical_json,
    digest_of,
    secret_keys,
    signature_of,
    signed_by,
)


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
    """One job to run: which app and pipeline, on what input, with what options.

    Its JSON text is canonical (see :mod:`chariots_core.jobs._integrity`): :attr:`digest`, the
    SHA-256 of that text, anchors the message to its job's record, and with
    ``CHARIOTS_SECRET_KEY`` set the text carries an HMAC signature of it (:attr:`signature`).
    """

    job_id: str
    app: str
    pipeline: str
    input: Any = None
    options: JobOptions = field(default_factory=JobOptions)
    #: the signature the message arrived with (``None``: unsigned, or made in this process)
    signature: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        """The message as JSON text (signed when this process has keys); refuses an input
        that is not JSON-serialisable."""
        body = self.canonical_body()
        keys = secret_keys()
        if not keys:
            return body.decode()
        signed = json.loads(body)
        signed[SIGNATURE_FIELD] = signature_of(body, keys[0])
        return json.dumps(signed, separators=(",", ":"), allow_nan=False, ensure_ascii=False)

    def canonical_body(self) -> bytes:
        """The canonical JSON of the message, without its signature (made once: a message is
        not changed once made)."""
        cached: bytes | None = self.__dict__.get("_canonical_body")
        if cached is None:
            cached = self.__dict__["_canonical_body"] = self._make_canonical_body()
        return cached

    def _make_canonical_body(self) -> bytes:
        try:
            input_json = to_jsonable(self.input)
        except TypeError as error:
            raise BadRequest(f"a job's input must be JSON-serialisable: {error}") from None
        try:
            return canonical_json(
                {
                    "job_id": self.job_id,
                    "app": self.app,
                    "pipeline": self.pipeline,
                    "input": input_json,
                    "options": self.options.to_json(),
                }
            )
        except ValueError as error:  # NaN or infinity
            raise BadRequest(f"a job's input must be JSON-serialisable: {error}") from None

    @property
    def digest(self) -> str:
        """The SHA-256 of the canonical JSON: what the job's record keeps at submit."""
        return digest_of(self.canonical_body())

    def signed_by(self, keys: tuple[bytes, ...]) -> bool:
        """Whether the message arrived signed with one of ``keys``."""
        return signed_by(self.canonical_body(), self.signature, keys)

    @classmethod
    def from_json(cls, text: str | bytes) -> JobMessage:
        """Parse a message (text from a broker: untrusted); :class:`BadRequest` if it is not a
        job message."""
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise BadRequest(f"a job message must be JSON: {error}") from None
        if not isinstance(payload, dict):
            raise BadRequest("a job message must be a JSON object")
        missing = {"job_id", "app", "pipeline"} - set(payload)
        if missing:
            raise BadRequest(f"a job message lacks {sorted(missing)}")
        unknown = set(payload) - {"job_id", "app", "pipeline", "input", "options", SIGNATURE_FIELD}
        if unknown:
            raise BadRequest(f"a job message has unknown fields {sorted(unknown)}")
        for name in ("job_id", "app", "pipeline"):
            if not isinstance(payload[name], str) or not payload[name]:
                raise BadRequest(f"a job message's {name!r} must be a non-empty string")
        signature = payload.get(SIGNATURE_FIELD)
        return cls(
            job_id=payload["job_id"],
            app=payload["app"],
            pipeline=payload["pipeline"],
            input=payload.get("input"),
            options=JobOptions.from_json(payload.get("options")),
            signature=signature if isinstance(signature, str) else None,
        )
