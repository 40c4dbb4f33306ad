"""The suite catches broken pools, and its mechanics work as a third party's run sees them.

Each test writes a third party's test file (a subclass of ``WorkerPoolConformance`` around a
deliberately broken embedded pool), runs pytest on it in a subprocess, and reads its report: the
failure must name the broken behaviour.
"""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

POOLS = '''
import itertools
import threading
import time

import pytest
from sqlalchemy import update

from chariots_core.database import utc_now
from chariots_core.errors import JobTimeout
from chariots_core.jobs import JobMessage
from chariots_core.testing.conformance import WorkerPoolConformance
from chariots_core.workers import Capability, fail_run, get_app, run_job
from chariots_core.workers.embedded import THREAD_CAPABILITIES, EmbeddedWorkerPool
from chariots_core.workers.embedded._models import QueuedMessage
from chariots_core.workers.embedded._queue import MessageQueue
from chariots_core.workers.embedded._worker import WorkerGroup, WorkerLoop


class AbandonsAtTimeout(EmbeddedWorkerPool):
    """Declares timeouts: at a job's timeout it records the failure, and leaves the job's thread
    running."""

    def __init__(self, **options):
        super().__init__(**options)
        vars(self)["capabilities"] = THREAD_CAPABILITIES | {Capability.timeouts}

    def _threads(self, count):
        def run(message, worker_id):
            outcome = []
            thread = threading.Thread(
                target=lambda: outcome.append(run_job(message, worker_id)), daemon=True
            )
            thread.start()
            thread.join(message.options.timeout)
            if outcome:
                return outcome[0]
            return fail_run(message, worker_id, JobTimeout("past its timeout (left running)"))

        return WorkerGroup(
            self.message_queue, self.roster, run, self.poll_interval, count, self._label
        )


class HoldingLoop(WorkerLoop):
    """Runs the message it holds, if any, before it takes another."""

    held = None
    busy = False

    def work_once(self):
        taken = self.held or self.queue.take(self.worker_id, self.roster.live_since())
        self.held = None
        if taken is None:
            return False
        self.busy = True
        try:
            self._run(taken, JobMessage.from_json(taken.text))
        finally:
            self.busy = False
        return True


class PushesToBusyWorkers(EmbeddedWorkerPool):
    """When every worker is busy, hands a new message to one of them, which holds it until its
    job is done (a prefetch)."""

    def _threads(self, count):
        group = super()._threads(count)
        for loop in group.loops:
            loop.__class__ = HoldingLoop
        vars(self).setdefault("loops", []).extend(group.loops)
        return group

    def submit(self, message):
        super().submit(message)
        loops = vars(self).get("loops", [])
        if loops and all(loop.busy for loop in loops) and loops[0].held is None:
            loops[0].held = self.message_queue.take(loops[0].worker_id, self.roster.live_since())


class ReadyAtOnce(MessageQueue):
    """Makes every message available at once, whatever its delay."""

    def put(self, message):
        super().put(message)
        with self.database.session() as session:
            session.execute(
                update(QueuedMessage)
                .where(QueuedMessage.job_id == message.job_id)
                .values(available_at=utc_now())
            )


class SleepsOutDelays(EmbeddedWorkerPool):
    """Hands a delayed job to a worker at once, which sleeps out the delay before running it."""

    queues_with_record = False

    @property
    def message_queue(self):
        return ReadyAtOnce(self.database, self.queue)

    def _threads(self, count):
        def run(message, worker_id):
            job = get_app(message.app).job_store.get(message.job_id)
            time.sleep(job.options.get("delay") or 0)
            return run_job(message, worker_id)

        return WorkerGroup(
            self.message_queue, self.roster, run, self.poll_interval, count, self._label
        )


class TwoLevelQueue(MessageQueue):
    """Tells two priorities apart: above 0, and the rest."""

    def values_of(self, message):
        values = super().values_of(message)
        values["priority"] = 1 if values["priority"] > 0 else 0
        return values


class TwoPriorities(EmbeddedWorkerPool):
    """Declares priority, with two levels only."""

    @property
    def message_queue(self):
        return TwoLevelQueue(self.database, self.queue)


class ForgetsDeadWorkers(MessageQueue):
    """Drops the message of a dead worker instead of giving it to another."""

    def take(self, worker_id, live_since):
        taken = super().take(worker_id, live_since)
        if taken is not None and taken.taken_from is not None:
            self.delete(taken.row_id, worker_id)
            return None
        return taken


class NeverRedelivers(EmbeddedWorkerPool):
    """Declares redelivery, but never gives a dead worker's message back."""

    @property
    def message_queue(self):
        return ForgetsDeadWorkers(self.database, self.queue)


class AnswersANumber(EmbeddedWorkerPool):
    """submit() returns a number, not the backend's name for the job's state."""

    def submit(self, message):
        super().submit(message)
        return 7


class StopsWithoutWaiting(EmbeddedWorkerPool):
    """stop_workers() returns at once, its workers still in their jobs."""

    def stop_workers(self, timeout=30.0):
        super().stop_workers(timeout=0)


class RunWorkerDoesNothing(EmbeddedWorkerPool):
    """run_worker() (what `chariots worker` calls) returns at once."""

    def run_worker(self, concurrency=1):
        return None


class ShowsPassword(EmbeddedWorkerPool):
    """describe() shows the URL it was built from, password and all."""

    url = "(no URL)"

    @classmethod
    def from_url(cls, url):
        pool = super().from_url(url)
        pool.url = url
        return pool

    def describe(self):
        return f"broken pool on {self.url}"


class LosesEveryTenthJob(EmbeddedWorkerPool):
    """Drops every tenth message on the floor (and says nothing)."""

    queues_with_record = False

    def __init__(self, **options):
        super().__init__(**options)
        self._submitted = itertools.count(1)

    def submit(self, message):
        if next(self._submitted) % 10 == 0:
            return None
        return super().submit(message)


class IgnoresCancel(EmbeddedWorkerPool):
    """Claims cancel_queued, but its cancel() removes nothing (and says it did)."""

    def cancel(self, job_id):
        return True


class DeclaresNothing(EmbeddedWorkerPool):
    """Declares no capability at all."""

    capabilities = frozenset()

    def __init__(self, **options):
        super().__init__(**options)
        vars(self)["capabilities"] = frozenset()


class Base(WorkerPoolConformance):
    job_timeout = 10.0
    pool_class = EmbeddedWorkerPool

    @pytest.fixture
    def worker_pool(self):
        return self.pool_class(mode="thread", poll_interval=0.01)
'''


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs' summary lines carry their reasons only as far as the terminal is wide: make it
    wide, so that what these tests read does not depend on where they run."""
    monkeypatch.setenv("COLUMNS", "300")


def run_suite(pytester: pytest.Pytester, classes: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_pool=POOLS + textwrap.dedent(classes))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rfsxX", *args)


def test_a_pool_that_loses_every_tenth_job_fails_naming_the_lost_jobs(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        class TestLosesJobs(Base):
            pool_class = LosesEveryTenthJob
        """,
        "test_pool.py::TestLosesJobs::test_many_jobs_on_two_workers_each_run_exactly_once",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the pool lost 20 of 200 jobs: submitted but never finished ({'queued': 20}*"]
    )


def test_a_pool_that_claims_cancel_queued_without_honouring_it_fails_naming_the_capability(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        class TestIgnoresCancel(Base):
            pool_class = IgnoresCancel
        """,
        "test_pool.py::TestIgnoresCancel::test_cancelled_queued_job_never_runs",
        "test_pool.py::TestIgnoresCancel::test_pool_cancel_removes_a_queued_job",
    )
    # cancelling through the server still works (the runtime skips a cancelled job); the
    # pool's own cancel() is what lies
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*TestIgnoresCancel.test_pool_cancel_removes_a_queued_job*",
            "E * the pool declares cancel_queued and its cancel() returned True, but a worker "
            "still received the job it removed from its queue (it ran): job * (touch): done*",
            # pytest rewrote the suite's assertion in the third party's run: it explains it
            "E * where True = *exists*",
            "*chariots capability*",
            "this test proves the capability cancel_queued, which the pool declares: the pool "
            "over-claims it*",
            "FAILED test_pool.py::TestIgnoresCancel::test_pool_cancel_removes_a_queued_job*",
        ]
    )


def test_a_known_gap_is_a_strict_xfail(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class TestDeclaredGap(Base):
            pool_class = IgnoresCancel
            known_gaps = {"test_pool_cancel_removes_a_queued_job": "cancel() is a stub"}

        class TestGapThatIsNone(Base):
            known_gaps = {"test_pool_cancel_removes_a_queued_job": "believed broken"}
        """,
        "test_pool.py::TestDeclaredGap::test_pool_cancel_removes_a_queued_job",
        "test_pool.py::TestGapThatIsNone::test_pool_cancel_removes_a_queued_job",
    )
    # the gap of the broken pool is expected; the "gap" of a pool that works fails the run
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*TestGapThatIsNone.test_pool_cancel_removes_a_queued_job*",
            "[[]XPASS(strict)[]] known gap: believed broken",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            # the summary line may go on with the reason, as wide as the terminal allows
            "FAILED test_pool.py::TestGapThatIsNone::test_pool_cancel_removes_a_queued_job*",
            "XFAIL test_pool.py::TestDeclaredGap::test_pool_cancel_removes_a_queued_job - known "
            "gap: cancel() is a stub*",
        ],
        consecutive=False,
    )
    result.stdout.no_fnmatch_line("*chariots capability*")


def test_a_known_gap_must_name_a_test_of_the_suite(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class TestTypo(Base):
            known_gaps = {"test_cancel_queud": "typo"}
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*TestTypo.known_gaps names 'test_cancel_queud', which is not a test of the*"]
    )


def test_capabilities_a_pool_does_not_declare_are_skipped_with_a_reason(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        class TestDeclaresNothing(Base):
            pool_class = DeclaresNothing
        """,
        *(
            f"test_pool.py::TestDeclaresNothing::{name}"
            for name in (
                "test_higher_priority_jobs_start_first",
                "test_delayed_job_waits_its_delay",
                "test_failed_job_is_retried",
                "test_pool_cancel_removes_a_queued_job",
                "test_running_job_is_interrupted_between_nodes",
                "test_timeout_stops_a_job_inside_one_long_node",
            )
        ),
    )
    result.assert_outcomes(skipped=6)
    for capability in (
        "priority",
        "delay",
        "retries",
        "cancel_queued",
        "interrupt_running",
        "timeouts",
    ):
        result.stdout.fnmatch_lines(
            [f"SKIPPED*does not declare the capability {capability} (it declares: none)"]
        )


def test_the_command_line_runs_the_suite_on_a_named_pool_with_known_gaps(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        broken_pool="""
        from chariots_core.workers.embedded import EmbeddedWorkerPool

        class IgnoresCancel(EmbeddedWorkerPool):
            def cancel(self, job_id):
                return True
        """
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-rx",
        "--chariots-worker-pool",
        "broken_pool:IgnoresCancel",
        "--chariots-known-gap",
        "test_pool_cancel_removes_a_queued_job=cancel() is a stub",
        # full test names: -k also matches the names of the folders above the test file
        "-k",
        "test_cancelled_queued_job_never_runs or test_pool_cancel_removes_a_queued_job "
        "or test_unknown_job_id_is_not_found",
    )
    result.assert_outcomes(passed=2, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "chariots worker pool: broken_pool:IgnoresCancel -> broken_pool.IgnoresCancel",
            "*capabilities: cancel_queued, delay, interrupt_running, priority, redelivery, retries",
            "*XFAIL test_worker_pool.py::TestWorkerPoolConformance::"
            "test_pool_cancel_removes_a_queued_job - known gap: cancel() is a stub",
        ]
    )


@pytest.mark.parametrize(
    ("pool_class", "test", "failure"),
    [
        (
            "AbandonsAtTimeout",
            "test_timeout_stops_a_job_inside_one_long_node",
            "*the pool declares timeouts and recorded the job's timeout, but the job's node kept "
            "running (* more ticks after the failure was recorded): a timeout must stop the job*",
        ),
        (
            "PushesToBusyWorkers",
            "test_a_busy_worker_takes_no_second_message",
            "*a job queued while every worker was busy should run on the worker started "
            "meanwhile; a busy worker must not hold a second message while its job runs*",
        ),
        (
            "SleepsOutDelays",
            "test_delayed_job_waits_its_delay",
            "*the pool declares delay: 2 delayed jobs on 2 workers should not hold back a job "
            "submitted after them (a worker must not wait out a delay)*",
        ),
        (
            "StopsWithoutWaiting",
            "test_stop_workers_returns_once_the_jobs_in_hand_are_done",
            "*stop_workers() should return once the job in hand is done (it had 10s), but when it "
            "returned the job was job * (pause_then_touch): running*",
        ),
        (
            "TwoPriorities",
            "test_higher_priority_jobs_start_first",
            "*the pool declares priority: with one worker free, queued jobs of priorities 10, 0, "
            "-10 (2 each, submitted lowest first) should start highest first; their priorities in "
            "the order they started: [[]10, 10, -10, -10, 0, 0[]]*",
        ),
        (
            "AnswersANumber",
            "test_submit_answers_a_string_or_none",
            "*the server refused what the pool's submit() returned: the worker pool (*) refused "
            "job *: WorkerPoolError: test_pool.AnswersANumber.submit() returned 7 (type int): a "
            "pool's submit must return the backend's name for the job's state (a str) or None*",
        ),
        (
            "RunWorkerDoesNothing",
            "test_chariots_worker_runs_jobs_and_stops_gracefully_on_sigterm",
            "*`chariots worker --pool test_pool:RunWorkerDoesNothing --concurrency 2` exited "
            "(status 0) before its workers listened; the pool's run_worker must run workers*",
        ),
    ],
)
def test_a_pool_broken_this_way_fails_naming_the_broken_behaviour(
    pytester: pytest.Pytester, pool_class: str, test: str, failure: str
) -> None:
    result = run_suite(
        pytester,
        f"""
        class TestBroken(Base):
            pool_class = {pool_class}

            @pytest.fixture
            def worker_pool_url(self):
                return "test_pool:{pool_class}"
        """,
        f"test_pool.py::TestBroken::{test}",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([failure])


def test_a_pool_whose_description_shows_its_password_fails(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        """
        class TestShowsPassword(Base):
            pool_class = ShowsPassword

            @pytest.fixture
            def worker_pool_url(self):
                return "embedded+postgresql://chariots@127.0.0.1:5432/test?mode=thread"

        class TestNoHost(Base):
            pool_class = ShowsPassword

            @pytest.fixture
            def worker_pool_url(self):
                return "embedded://?mode=thread"
        """,
        "test_pool.py::TestShowsPassword::test_describe_never_shows_a_password",
        "test_pool.py::TestNoHost::test_describe_never_shows_a_password",
    )
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*describe(), repr(), str() of a pool built from a URL with a password show the "
            "password: {'describe()': 'broken pool on embedded+postgresql://chariots:chariots-"
            "secret-*@127.0.0.1:5432/test?mode=thread'*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "SKIPPED*the pool's URL form ('embedded://?mode=thread') names no host, so it "
            "carries no password: nothing for describe() to hide",
        ]
    )


def test_a_pool_whose_broker_never_gives_a_dead_worker_s_message_back_fails_on_redelivery(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        class TestNeverRedelivers(Base):
            pool_class = NeverRedelivers
            job_timeout = 30.0  # a `chariots worker` starting on a loaded machine

            @pytest.fixture
            def worker_pool_url(self):
                return "test_pool:NeverRedelivers"
        """,
        "test_pool.py::TestNeverRedelivers::"
        "test_the_broker_gives_a_dead_worker_s_message_back_by_itself",
    )
    # with the core's resend off, nothing but the broker could run the killed worker's job again:
    # it stays queued
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the pool declares redelivery, but with the core's resend off its broker did not "
            "give the killed worker's message back to the worker listening within 8s of the "
            "kill (the heartbeat timeout, 3s, + 5s): the job never ran again: job * (gated): "
            "queued*",
            "*this test proves the capability redelivery, which the pool declares: the pool "
            "over-claims it*",
        ]
    )


def test_redelivery_declared_but_not_proven_fails_naming_what_would_prove_it(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(
        pytester,
        """
        class TestNoURL(Base):
            pass

        class TestCannotKill(Base):
            @pytest.fixture
            def worker_pool_url(self):
                return "test_pool:EmbeddedWorkerPool"

            @pytest.fixture
            def kill_worker(self):
                def cannot(job):
                    pytest.skip("these workers cannot be killed from here")

                return cannot
        """,
        "test_pool.py::TestNoURL::test_worker_killed_mid_job_runs_the_job_again_when_it_has_retries",
        "test_pool.py::TestCannotKill::test_worker_killed_mid_job_runs_the_job_again_when_it_has_retries",
    )
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*TestNoURL gives no `worker_pool_url`: the suite runs `chariots worker --pool URL`*"
            "kills one to prove `redelivery`*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*the pool declares redelivery, but nothing proves it: the worker running the job "
            "could not be killed (these workers cannot be killed from here)*",
        ]
    )


def test_an_unknown_known_gap_on_the_command_line_is_an_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--chariots-worker-pool",
        "embedded",
        "--chariots-known-gap",
        "test_cancel_queud=typo",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--chariots-known-gap names 'test_cancel_queud', which is not a test of the*"]
    )
