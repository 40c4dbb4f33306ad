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

import pytest

from chariots_core.testing.conformance import WorkerPoolConformance
from chariots_core.workers import Capability
from chariots_core.workers.embedded import EmbeddedWorkerPool


class LosesEveryTenthJob(EmbeddedWorkerPool):
    """Drops every tenth message on the floor (and says nothing)."""

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
