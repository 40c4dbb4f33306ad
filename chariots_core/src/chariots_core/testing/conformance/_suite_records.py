"""What a job's record tells: progress, provenance; and the lifecycle hooks around it."""

from __future__ import annotations

from chariots_core.jobs import JobStatus
from chariots_core.testing.conformance._fixtures import ConformanceFixtures
from chariots_core.testing.conformance._harness import Harness, describe_job, wait_until
from chariots_core.testing.conformance._recorder import HOOKS, read_calls

#: the op name of the conformance app's model (``MeanModel``: op names are class names in
#: lower case)
MODEL = "meanmodel"


class RecordTests(ConformanceFixtures):
    """Progress, provenance of a training job, lifecycle hooks."""

    def test_progress_is_recorded_node_by_node(self, harness: Harness) -> None:
        """A running job's progress counts its nodes done; a done job's, all of them."""
        gate = harness.gate()
        job = harness.submit("gated", {**gate.spec, "touch": str(harness.path("touch"))})
        harness.wait_for(
            job,
            lambda found: found.progress == (1, 3),
            "while a job of 3 nodes holds in its second node, its progress should read (1, 3)",
        )
        gate.open()
        final = harness.wait(job, "the gated job should run once its gate is open")
        assert (final.status, final.progress) == (JobStatus.done, (3, 3)), (
            f"a done job of 3 nodes should read progress (3, 3): {describe_job(final)}, "
            f"progress {final.progress}"
        )

    def test_training_job_records_its_provenance(self, harness: Harness) -> None:
        """A training job records the versions it loaded and the versions it saved; the jobs
        after it load what it saved (workers reload a pipeline whose ops changed)."""
        trained = harness.wait(harness.submit("train_mean", [1, 2, 3]), "a training job should run")
        assert trained.status is JobStatus.done, (
            f"the training job should end done: {describe_job(trained)}"
        )
        loaded, saved = trained.versions_loaded or {}, trained.versions_saved or {}
        assert MODEL in loaded.keys() & saved.keys(), (
            "a training job should record the versions it loaded and saved (provenance): loaded "
            f"{loaded}, saved {saved}"
        )
        assert saved[MODEL] != loaded[MODEL], (
            f"a training job saves a new version of the model it fitted: loaded {loaded[MODEL]}, "
            f"saved {saved[MODEL]}"
        )
        predicted = harness.wait(harness.submit("predict_mean"), "a prediction job should run")
        assert (predicted.status, predicted.result) == (JobStatus.done, 2.0), (
            "a prediction after training on [1, 2, 3] should give 2.0: "
            f"{describe_job(predicted)}, value {predicted.result!r}"
        )
        assert (predicted.versions_loaded or {}).get(MODEL) == saved[MODEL], (
            "a job should load the version the training job saved: it loaded "
            f"{predicted.versions_loaded}, the training job saved {saved}"
        )
        assert not predicted.versions_saved, (
            f"a prediction job changes nothing, so saves nothing: {predicted.versions_saved}"
        )
        retrained = harness.wait(
            harness.submit("train_mean", [10, 20]), "a second training job should run"
        )
        assert (retrained.versions_loaded or {}).get(MODEL) == saved[MODEL], (
            "a second training job should start from the version the first one saved: it "
            f"loaded {retrained.versions_loaded}, the first saved {saved}"
        )
        resaved = (retrained.versions_saved or {}).get(MODEL)
        assert resaved not in (None, saved[MODEL]), (
            f"a second training job should save a new version: {retrained.versions_saved}"
        )
        predicted = harness.wait(harness.submit("predict_mean"), "a second prediction should run")
        assert (predicted.result, (predicted.versions_loaded or {}).get(MODEL)) == (
            15.0,
            resaved,
        ), (
            "after retraining, workers should reload the pipeline with the newest saved version: "
            f"the prediction gave {predicted.result!r} (expected 15.0) with versions "
            f"{predicted.versions_loaded} (expected {MODEL} {resaved})"
        )
        response = harness.client.fetch_job(predicted.id)
        assert str(response.versions.get(MODEL)) == resaved, (
            f"fetched over HTTP, a job should give the versions it ran with: {response.versions}"
        )

    def test_lifecycle_hooks_fire_once_each(self, harness: Harness) -> None:
        """An observer sees ``chariots_job_submitted``, ``chariots_job_started`` and
        ``chariots_job_finished`` once each for a job (wherever its worker runs)."""
        job = harness.submit("echo", "observed")
        done = harness.wait(job, "the observed job should run")
        assert done.status is JobStatus.done, (
            f"the observed job should end done: {describe_job(done)}"
        )
        log = harness.home / "lifecycle.log"
        wait_until(
            lambda: all(read_calls(log, job.id).values()),
            harness.job_timeout,
            lambda: (
                "each lifecycle hook should fire for a job (started and finished in its worker): "
                f"calls seen {read_calls(log, job.id)}"
            ),
        )
        calls = read_calls(log, job.id)
        assert calls == dict.fromkeys(HOOKS, 1), (
            f"each lifecycle hook should fire exactly once for one job: calls seen {calls}"
        )
