"""The exceptions chariots raises, each with the HTTP status the servers answer it with."""

from __future__ import annotations


class ChariotsError(Exception):
    """Base of every error chariots raises on purpose."""

    http_status: int = 500


class VersionError(ChariotsError):
    """A saved op, or a link between two ops, does not fit the versions in hand (HTTP 419)."""

    http_status = 419


class PipelineGraphError(ChariotsError, ValueError):
    """A pipeline's nodes do not form a valid graph; the message names the broken node."""

    http_status = 400


class PipelineNotFound(ChariotsError, LookupError):
    """No pipeline of that name in this app (HTTP 404)."""

    http_status = 404


class OpNotFound(ChariotsError, LookupError):
    """The op store holds no such op, or no such version of it (HTTP 404)."""

    http_status = 404


class BadRequest(ChariotsError, ValueError):
    """A request whose body is not JSON or not of the expected shape (HTTP 400)."""

    http_status = 400


class RequestTooLarge(ChariotsError, ValueError):
    """A request body over the server's limit (HTTP 413)."""

    http_status = 413


class RemoteError(ChariotsError):
    """A server answered with an error that has no more precise Python exception."""

    def __init__(self, message: str, http_status: int = 500) -> None:
        super().__init__(message)
        self.http_status = http_status
