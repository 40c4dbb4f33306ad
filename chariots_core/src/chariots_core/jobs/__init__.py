"""Jobs: asynchronous runs of pipelines, and the durable records that answer for them."""

from chariots_core.errors import JobExpired, JobNotFound
from chariots_core.jobs._job import Job
from chariots_core.jobs._message import JobMessage, JobOptions
from chariots_core.jobs._page import COUNT_AHEAD, JobPage
from chariots_core.jobs._status import JobStatus
from chariots_core.jobs._store import DEFAULT_HEARTBEAT_TIMEOUT, JobStore

__all__ = [
    "COUNT_AHEAD",
    "DEFAULT_HEARTBEAT_TIMEOUT",
    "Job",
    "JobExpired",
    "JobMessage",
    "JobNotFound",
    "JobOptions",
    "JobPage",
    "JobStatus",
    "JobStore",
]
