"""The kit's reading of RabbitMQ's ``PRECONDITION_FAILED - inequivalent arg`` in any client's
error, however wrapped, and nothing else (the real clients' errors: ``tests/test_rabbitmq_queues``).
"""

from __future__ import annotations

import pytest

from chariots_core.errors import WorkerPoolError
from chariots_core.workers.kit import QueueConflict, explaining_queue_conflicts, queue_conflict

#: RabbitMQ's reply text, as py-amqp (kombu, Celery) and pika (Dramatiq) carry it
REPLY = (
    "PRECONDITION_FAILED - inequivalent arg 'x-max-priority' for queue 'jobs' in vhost 'ml': "
    "received the value '3' of type 'signedint' but current is none"
)


class ClientError(Exception):
    """A client library's error whose text is the broker's (py-amqp's, pika's)."""


class Wrapper(Exception):
    """A wrapper that keeps the client's error as ``.message`` and raises ``from None``
    (Dramatiq's ``ConnectionClosed``)."""

    def __init__(self, message: BaseException) -> None:
        super().__init__("connection closed")
        self.message = message


def test_the_broker_words_in_a_client_error_are_a_conflict() -> None:
    conflict = queue_conflict(ClientError(406, REPLY))

    assert isinstance(conflict, QueueConflict)
    assert isinstance(conflict, WorkerPoolError)
    assert (conflict.kind, conflict.name, conflict.vhost) == ("queue", "jobs", "ml")
    assert conflict.argument == "x-max-priority"
    assert str(conflict) == (
        "RabbitMQ queue 'jobs' in vhost 'ml' exists with another 'x-max-priority' than this "
        "pool's (another program declared it: another backend's pool, or one with other "
        "options); choose another queue name: ?queue=NAME in the pool's URL, or the keyword "
        "queue=NAME"
    )


def test_a_wrapped_conflict_is_found_and_the_option_named() -> None:
    try:
        try:
            raise ClientError(REPLY)
        except ClientError as error:
            raise Wrapper(error) from None
    except Wrapper as wrapper:
        conflict = queue_conflict(wrapper, option="topic")

    assert conflict is not None
    assert "?topic=NAME in the pool's URL, or the keyword topic=NAME" in str(conflict)


def test_an_exchange_of_the_queues_name_is_a_conflict_too() -> None:
    reply = REPLY.replace("'x-max-priority' for queue", "'type' for exchange")
    conflict = queue_conflict(ClientError(reply))

    assert conflict is not None
    assert (conflict.kind, conflict.argument) == ("exchange", "type")
    assert str(conflict).startswith("RabbitMQ exchange 'jobs' in vhost 'ml' exists")


def test_other_errors_are_not_conflicts_and_pass_through() -> None:
    other = ClientError("PRECONDITION_FAILED - unknown delivery tag 7")
    assert queue_conflict(other) is None
    assert queue_conflict(ConnectionRefusedError(111, "Connection refused")) is None

    with pytest.raises(ClientError) as passed, explaining_queue_conflicts():
        raise other
    assert passed.value is other

    with pytest.raises(QueueConflict) as explained, explaining_queue_conflicts():
        raise ClientError(REPLY)
    assert isinstance(explained.value.__cause__, ClientError)
