"""What a worker pool can do beyond running jobs: declared, and proven by the conformance suite."""

from __future__ import annotations

from enum import Enum


class Capability(Enum):
    """A feature a pool declares in ``BaseWorkerPool.capabilities``.

    The conformance suite runs the tests of each declared capability and skips the others, so a
    pool that declares one must honour it.
    """

    #: ``cancel`` removes a queued job before any worker takes it
    cancel_queued = "cancel_queued"
    #: ``cancel`` stops a running job (at the latest between two of its nodes)
    interrupt_running = "interrupt_running"
    #: ``JobOptions.timeout`` fails a job that runs longer, even inside one long node
    timeouts = "timeouts"
    #: ``JobOptions.retries`` runs a failed job again, ``retry_interval`` seconds later
    retries = "retries"
    #: ``JobOptions.delay`` holds a job back that many seconds
    delay = "delay"
    #: ``JobOptions.priority``: among queued jobs, higher priorities start first
    priority = "priority"
    #: a job whose worker died is run again by another worker (else it ends ``lost``)
    redelivery = "redelivery"
