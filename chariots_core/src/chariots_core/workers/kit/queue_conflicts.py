"""A RabbitMQ queue that exists with other arguments than a pool declares, said in one line.

RabbitMQ refuses to declare a queue (or an exchange) again with other arguments
(``x-max-priority``, ``x-dead-letter-exchange``…): it closes the channel with ``406
PRECONDITION_FAILED - inequivalent arg …``. That is what two programs sharing a queue name on one
vhost get (pools of two backends, or one pool with other priorities), and the AMQP clients say it
as a traceback from deep in their code. :func:`queue_conflict` recognises it in an error of any
client (py-amqp and kombu, pika and Dramatiq, aio-pika), from the broker's own words, so no client
is imported; :func:`explaining_queue_conflicts` turns it into a :class:`QueueConflict`: a
:class:`~chariots_core.errors.WorkerPoolError` of one line (the server answers 503 with it,
``chariots worker`` exits with it) naming the queue, the vhost and the option choosing another
name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from chariots_core.errors import WorkerPoolError

__all__ = ["QueueConflict", "explaining_queue_conflicts", "queue_conflict"]

#: RabbitMQ's words (``reply_text`` of a channel closed with 406)
_INEQUIVALENT = re.compile(
    r"PRECONDITION_FAILED - inequivalent arg '(?P<argument>[^']*)' for "
    r"(?P<kind>queue|exchange) '(?P<name>[^']*)' in vhost '(?P<vhost>[^']*)'"
)


class QueueConflict(WorkerPoolError):
    """RabbitMQ has a queue (or an exchange) of the pool's name, declared with another
    ``argument`` than the pool's: another program uses that name on the vhost. The message says
    which, and that the pool's ``option`` (a URL query parameter and a keyword argument) chooses
    another name."""

    def __init__(self, kind: str, name: str, vhost: str, argument: str, option: str) -> None:
        self.kind, self.name, self.vhost, self.argument = kind, name, vhost, argument
        super().__init__(
            f"RabbitMQ {kind} {name!r} in vhost {vhost!r} exists with another {argument!r} than "
            "this pool's (another program declared it: another backend's pool, or one with other "
            f"options); choose another queue name: ?{option}=NAME in the pool's URL, or the "
            f"keyword {option}=NAME"
        )


def queue_conflict(error: BaseException, option: str = "queue") -> QueueConflict | None:
    """The :class:`QueueConflict` that ``error`` is, or wraps (as its cause, its context, or an
    argument: Dramatiq's ``ConnectionClosed`` holds pika's error), with ``option`` the pool's
    option that names its queue; ``None`` when it is something else."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        found = _INEQUIVALENT.search(str(current))
        if found is not None:
            return QueueConflict(
                found["kind"], found["name"], found["vhost"], found["argument"], option
            )
        pending += [current.__cause__, current.__context__, getattr(current, "message", None)]
        pending += current.args
    return None


@contextmanager
def explaining_queue_conflicts(option: str = "queue") -> Iterator[None]:
    """Raise a :class:`QueueConflict` for the error of the block that is one (see
    :func:`queue_conflict`); let any other error through as it is::

        with explaining_queue_conflicts():
            channel.queue_declare(self.queue, arguments={"x-max-priority": 9})
    """
    try:
        yield
    except Exception as error:
        conflict = queue_conflict(error, option)
        if conflict is None:
            raise
        raise conflict from error
