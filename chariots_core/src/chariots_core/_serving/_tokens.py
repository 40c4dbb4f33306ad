"""Bearer tokens: who may read and who may write, for both chariots servers.

Tokens come from the server's constructor or, when it is given none, from the environment:
``CHARIOTS_API_TOKENS`` (full access) and ``CHARIOTS_API_READONLY_TOKENS`` (read-only), each a
list separated by commas or white space, so that a new token can be added before the old one is
removed (rotation). With no token at all, a server asks for none (the default, for loopback and
tests). A presented token is compared with every configured one in constant time
(``hmac.compare_digest``).
"""

from __future__ import annotations

import enum
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: environment variable holding the tokens with full access (read and write)
TOKENS_ENV = "CHARIOTS_API_TOKENS"
#: environment variable holding the read-only tokens
READONLY_TOKENS_ENV = "CHARIOTS_API_READONLY_TOKENS"
#: the shortest token accepted: a guessable token protects nothing
MIN_TOKEN_LENGTH = 16

# RFC 6750's token68 characters: what may follow "Bearer " in an Authorization header
_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

TokenSetting = str | Iterable[str] | None


class Access(enum.Enum):
    """What a route needs, and what a token grants."""

    open = "open"  # anyone: health checks, the OpenAPI document
    read = "read"  # any valid token: call pipelines, read jobs, read the op store
    write = "write"  # a full token: load, save, cancel, write to the op store


@dataclass(frozen=True)
class ApiTokens:
    """The tokens a server accepts; ``enabled`` is false when there are none."""

    full: tuple[bytes, ...] = ()
    readonly: tuple[bytes, ...] = ()

    def __repr__(self) -> str:  # never the tokens themselves
        return f"ApiTokens(full={len(self.full)}, readonly={len(self.readonly)})"

    @property
    def enabled(self) -> bool:
        return bool(self.full or self.readonly)

    @classmethod
    def configure(
        cls,
        tokens: TokenSetting = None,
        readonly_tokens: TokenSetting = None,
        environ: Mapping[str, str] | None = None,
    ) -> ApiTokens:
        """Tokens from the arguments; each one left ``None`` is read from its environment
        variable. ``ValueError`` (naming the setting, never the token) for a malformed one."""
        environ = os.environ if environ is None else environ
        full = _tokens(tokens, environ.get(TOKENS_ENV), "api_tokens", TOKENS_ENV)
        readonly = _tokens(
            readonly_tokens,
            environ.get(READONLY_TOKENS_ENV),
            "readonly_api_tokens",
            READONLY_TOKENS_ENV,
        )
        return cls(full, readonly)

    def grant(self, authorization: str | None) -> Access | None:
        """What the ``Authorization`` header's bearer token may do; ``None`` if it is missing or
        unknown. Every configured token is compared, in constant time, whatever matched."""
        presented = bearer_token(authorization)
        if presented is None:
            return None
        is_full = _matches_any(presented, self.full)
        is_readonly = _matches_any(presented, self.readonly)
        if is_full:
            return Access.write
        if is_readonly:
            return Access.read
        return None


def bearer_token(authorization: str | None) -> bytes | None:
    """The token of a ``Bearer`` ``Authorization`` header, as the bytes sent; ``None`` else."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    # werkzeug reads headers as latin-1: this gives back the bytes that were sent
    return token.strip().encode("latin-1", errors="replace")


def _matches_any(presented: bytes, known: tuple[bytes, ...]) -> bool:
    found = False
    for token in known:  # no early exit: the time taken does not say which token matched
        found |= hmac.compare_digest(presented, token)
    return found


def _tokens(setting: TokenSetting, from_env: str | None, name: str, env: str) -> tuple[bytes, ...]:
    source = f"the {name} argument"
    if setting is None:
        setting, source = (from_env or ""), f"${env}"
    texts = setting.replace(",", " ").split() if isinstance(setting, str) else list(setting)
    tokens = []
    for position, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise TypeError(f"token {position} of {source} must be a string")
        if not _TOKEN_SYNTAX.fullmatch(text):
            raise ValueError(
                f"token {position} of {source} holds characters a bearer token cannot "
                "(letters, digits and -._~+/ only, '=' at the end)"
            )
        if len(text) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"token {position} of {source} is shorter than {MIN_TOKEN_LENGTH} characters: "
                "make one with python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        tokens.append(text.encode("ascii"))
    return tuple(tokens)
