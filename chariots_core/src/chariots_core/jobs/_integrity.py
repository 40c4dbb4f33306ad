"""What ties a job's message to its record, and optional signatures of messages.

The broker, and whoever can write to it, is trusted no more than it must be:

- **anchor**: at submit, the job's record keeps the SHA-256 digest of its message's canonical
  JSON (job id, app, pipeline, input, options); a worker claims the job only with a message of
  that digest, so a message naming a real job but another pipeline, input or options is refused;
- **signature** (optional): with ``CHARIOTS_SECRET_KEY`` set — one key, or several separated by
  commas, the first signing and any verifying, so that keys rotate — messages carry an
  HMAC-SHA256 of that canonical JSON, and a worker with keys refuses a message unsigned or
  signed with another key. Set it on servers and workers alike when the broker is shared with
  other systems: whoever can write to the broker then cannot make a worker run anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

#: the environment variable holding the signing keys (comma-separated; the first signs)
SECRET_KEY_ENV = "CHARIOTS_SECRET_KEY"
#: the message field holding the signature
SIGNATURE_FIELD = "signature"


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The one JSON text of ``payload`` that digests and signatures are taken over."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False
    ).encode()


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def secret_keys() -> tuple[bytes, ...]:
    """The signing keys of this process (``$CHARIOTS_SECRET_KEY``), the signing one first."""
    raw = os.environ.get(SECRET_KEY_ENV, "")
    return tuple(key.strip().encode() for key in raw.split(",") if key.strip())


def signature_of(body: bytes, key: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def signed_by(body: bytes, signature: str | None, keys: tuple[bytes, ...]) -> bool:
    """Whether ``signature`` is the HMAC of ``body`` under one of ``keys``."""
    if not isinstance(signature, str):
        return False
    return any(hmac.compare_digest(signature_of(body, key), signature) for key in keys)
