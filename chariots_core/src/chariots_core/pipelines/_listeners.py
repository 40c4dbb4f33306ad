"""Whether a worker listens on a pool: the warning a submission carries when none does."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chariots_core.workers import BaseWorkerPool

logger = logging.getLogger("chariots_core.pipelines")

#: seconds a count of live workers above zero is trusted (counting costs the broker a round trip,
#: Celery's a broadcast): the hot path of a busy server does not pay it on every submit
TRUSTED_FOR = 30.0


class ListenerCheck:
    """Counts a pool's live workers after a submission, and says when there are none.

    A count above zero is kept :data:`TRUSTED_FOR` seconds; no worker is asked again at every
    submission until one listens. A pool that cannot count its workers is given the benefit of
    the doubt (no warning; the failure is logged at debug level).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen_at: float | None = None

    def warning(self, pool: BaseWorkerPool, job_id: str) -> str | None:
        """The warning for job ``job_id`` if no worker listens on ``pool`` (also logged)."""
        with self._lock:
            if self._seen_at is not None and time.monotonic() - self._seen_at < TRUSTED_FOR:
                return None
        try:
            count = pool.n_workers
        except Exception:
            logger.debug("cannot count the workers of %s", pool.describe(), exc_info=True)
            return None
        if count > 0:
            with self._lock:
                self._seen_at = time.monotonic()
            return None
        text = (
            f"no worker listens on the worker pool ({pool.describe()}): job {job_id} stays "
            "queued until one starts (`chariots worker --app … --pool …`)"
        )
        logger.warning("%s", text)
        return text
