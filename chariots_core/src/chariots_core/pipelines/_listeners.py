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
#: the longest a submission waits for the count; a slower count (Celery's waits for its workers'
#: answers) goes on in the background and only logs its warning
ANSWER_WITHIN = 0.25


class ListenerCheck:
    """Counts a pool's live workers after a submission, and says when there are none.

    A count above zero is kept :data:`TRUSTED_FOR` seconds; until one listens, each submission
    counts again (one count at a time). The warning is logged, and returned for the submission's
    answer when the count took less than :data:`ANSWER_WITHIN`. A pool that cannot count its
    workers is given the benefit of the doubt (no warning; the failure is logged at debug level).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen_at: float | None = None
        self._counting = False

    def warning(self, pool: BaseWorkerPool, job_id: str) -> str | None:
        """The warning for job ``job_id`` if no worker listens on ``pool`` (also logged)."""
        with self._lock:
            trusted = self._seen_at is not None and time.monotonic() - self._seen_at < TRUSTED_FOR
            if trusted or self._counting:
                return None
            self._counting = True
        answer: list[str | None] = []
        counted, late, handoff = threading.Event(), threading.Event(), threading.Lock()

        def count() -> None:
            try:
                text = self._count(pool, job_id)
            finally:
                with self._lock:
                    self._counting = False
            with handoff:
                if not late.is_set():
                    answer.append(text)
                    counted.set()
                    return
            if text is not None:  # the submission was answered without it: log it only
                logger.warning("%s", text)

        threading.Thread(target=count, name="chariots-count-workers", daemon=True).start()
        if not counted.wait(ANSWER_WITHIN):
            with handoff:
                if not counted.is_set():
                    late.set()
                    return None
        text = answer[0]
        if text is not None:
            logger.warning("%s", text)
        return text

    def _count(self, pool: BaseWorkerPool, job_id: str) -> str | None:
        try:
            count = pool.n_workers
        except Exception:
            logger.debug("cannot count the workers of %s", pool.describe(), exc_info=True)
            return None
        if count > 0:
            with self._lock:
                self._seen_at = time.monotonic()
            return None
        return (
            f"no worker listens on the worker pool ({pool.describe()}): job {job_id} stays "
            "queued until one starts (`chariots worker --app … --pool …`)"
        )
