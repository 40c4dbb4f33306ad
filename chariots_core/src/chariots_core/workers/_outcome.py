"""What became of one delivery of a job message, and what the pool must do with the message."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from chariots_core.jobs import JobStatus

#: the error shape recorded for a job and carried by outcomes: ``type``, ``message``, ``traceback``
ErrorDetails = dict[str, str | None]


class MessageAction(Enum):
    """What a pool does with the message it handed to :func:`~chariots_core.workers.run_job`.

    - ``ack``: the delivery is over (the job ran and its end is recorded): acknowledge the
      message, remove it from the queue;
    - ``later``: keep the message and deliver it again ``outcome.delay`` seconds from now: the
      job failed and has retries left, it is not yet due (its ``delay``), or it is still held by
      a worker whose heartbeat is fresh (a take-over that came too early);
    - ``drop``: the message is not to be run, now or ever (an unknown job or app, a job that is
      cancelled or finished, a message that is not a job message): remove it without running it.
    """

    ack = "ack"
    later = "later"
    drop = "drop"


@dataclass(frozen=True)
class RunOutcome:
    """What became of one delivery of a message.

    ``action`` (and ``delay``, for :attr:`MessageAction.later`) says what the pool must do with
    the message. ``ran`` says whether this delivery ran the job; ``status`` is the status it
    recorded. ``retry`` is true for a failed run with retries left: pools with native retries may
    raise to their backend instead of delivering the message again themselves. ``reason`` says in
    a few words why a message was not run (for logs).
    """

    job_id: str
    ran: bool
    status: JobStatus | None = None
    retry: bool = False
    error: ErrorDetails | None = None
    action: MessageAction = MessageAction.ack
    delay: float = 0.0
    reason: str = ""

    @property
    def error_text(self) -> str:
        """``Type: message`` of the recorded error, for logs and exceptions ("" without one)."""
        error = self.error or {}
        return f"{error.get('type')}: {error.get('message')}" if error else ""

    @classmethod
    def dropped(cls, job_id: str, reason: str, error: ErrorDetails | None = None) -> RunOutcome:
        return cls(job_id, ran=False, action=MessageAction.drop, reason=reason, error=error)

    @classmethod
    def later(cls, job_id: str, delay: float, reason: str) -> RunOutcome:
        return cls(
            job_id, ran=False, action=MessageAction.later, delay=max(0.0, delay), reason=reason
        )
