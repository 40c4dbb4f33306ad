"""What a worker pool can do beyond running jobs: declared, and proven by the conformance suite."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from enum import Enum

__all__ = ["PRIORITY_PROBES", "Capability", "honoured_priorities"]

#: the priorities a pool that declares ``priority`` must tell apart, in order: jobs of these
#: start highest first (the conformance suite submits them lowest first and checks)
PRIORITY_PROBES = (-10, 0, 10)


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


def honoured_priorities(
    capabilities: frozenset[Capability], level_of: Callable[[int], Hashable]
) -> frozenset[Capability]:
    """``capabilities``, less ``priority`` unless ``level_of`` (a chariots priority → the level
    the pool's broker gives it: a queue, a broker priority) gives each of
    ``PRIORITY_PROBES`` a level of its own: a pool whose settings leave fewer levels (two
    queues, ``x-max-priority`` 1) does not declare ``priority``."""
    levels = {level_of(priority) for priority in PRIORITY_PROBES}
    if len(levels) == len(PRIORITY_PROBES):
        return capabilities
    return capabilities - {Capability.priority}
