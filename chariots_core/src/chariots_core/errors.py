"""The exceptions chariots raises, each with the HTTP status the servers answer it with."""

from __future__ import annotations


class ChariotsError(Exception):
    """Base of every error chariots raises on purpose."""

    http_status: int = 500


class VersionError(ChariotsError, TypeError):
    """A saved op, or a link between two ops, does not fit the versions in hand (HTTP 419).

    A ``TypeError``, as it was in the original chariots.
    """

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


class JobNotFound(ChariotsError, LookupError):
    """No job of that id was ever recorded (HTTP 404)."""

    http_status = 404


class JobExpired(ChariotsError, LookupError):
    """The job existed but its record was removed when its time to live ran out (HTTP 410)."""

    http_status = 410


class WorkerPoolError(ChariotsError):
    """A worker pool cannot be found, built or reached; the message says what to install or fix."""

    http_status = 503


class BackendError(ChariotsError, ImportError):
    """A library that an optional part of chariots needs is not installed (a serializer's, a
    saver's, the config file reader's); the message names the extra to install.

    An ``ImportError``, as it was in the original chariots. (A worker pool backend that is not
    installed raises :class:`~chariots_core.workers.BackendNotInstalled`, a subclass.)
    """


class BadRequest(ChariotsError, ValueError):
    """A request whose body is not JSON or not of the expected shape (HTTP 400)."""

    http_status = 400


class RequestTooLarge(ChariotsError, ValueError):
    """A request body over the server's limit (HTTP 413)."""

    http_status = 413


class NotStrictJSON(BadRequest):
    """A value that strict JSON cannot hold: NaN, an infinity, an integer too long to read back,
    nesting too deep. The message names where the value is (``input[2][1] is NaN``). HTTP 400
    for a request's input; a pipeline's output that is not strict JSON is
    :class:`OutputNotJSON`."""


class OutputNotJSON(ChariotsError):
    """A pipeline's output (or a job's stored result) that strict JSON cannot hold, so that the
    server cannot send it (HTTP 422); the message names where the value is."""

    http_status = 422


class Unauthorized(ChariotsError):
    """A request without a valid bearer token to a server that asks for one (HTTP 401)."""

    http_status = 401


class Forbidden(ChariotsError):
    """A request whose token may not do what it asks, e.g. a read-only token saving (HTTP 403)."""

    http_status = 403


class RemoteError(ChariotsError):
    """A server answered with an error that has no more precise Python exception."""

    def __init__(self, message: str, http_status: int = 500) -> None:
        super().__init__(message)
        self.http_status = http_status


class JobCancelled(ChariotsError):
    """A running job stopped because its cancellation was asked (recorded as the job's error)."""


class JobTimeout(ChariotsError):
    """A job ran past its ``timeout`` option: stopped between two nodes, or its work horse killed
    inside one (recorded as the job's error)."""


class WorkerStopped(ChariotsError):
    """The worker running a job was stopped (or died) before the job ended."""


class WorkHorseDied(ChariotsError):
    """The process running a job died without recording the job's end (killed, out of memory,
    a crash in native code)."""


class PipelineExecutionError(ChariotsError):
    """A pipeline raised while it ran (HTTP 500, with the error's type and message)."""

    http_status = 500


def error_payload(error: BaseException) -> dict[str, str]:
    """The JSON body servers answer an error with: its type name and its message."""
    return {"error": type(error).__name__, "message": str(error)}


def _known_errors() -> dict[str, type[ChariotsError]]:
    known: dict[str, type[ChariotsError]] = {}
    pending: list[type[ChariotsError]] = [ChariotsError]
    while pending:
        klass = pending.pop()
        known[klass.__name__] = klass
        pending.extend(klass.__subclasses__())
    return known


def error_from_payload(http_status: int, payload: object) -> ChariotsError:
    """The Python exception for an error answer (the inverse of :func:`error_payload`)."""
    name = message = None
    if isinstance(payload, dict):
        name, message = payload.get("error"), payload.get("message")
    message = str(message if message is not None else payload)
    klass = _known_errors().get(str(name))
    if klass is None or klass is RemoteError or klass is ChariotsError:
        return RemoteError(f"{name or 'HTTP ' + str(http_status)}: {message}", http_status)
    try:
        return klass(message)
    except TypeError:  # an error class whose constructor takes more than a message
        return RemoteError(f"{name}: {message}", http_status)
