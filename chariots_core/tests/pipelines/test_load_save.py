"""Saving pipelines to the op store and loading them back: versions, links, failures."""

from __future__ import annotations

import pytest

from chariots_core.errors import VersionError
from chariots_core.ml import BaseMLOp, MLMode
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.callbacks import OpCallBack
from chariots_core.pipelines.nodes import PIPELINE_INPUT, PIPELINE_OUTPUT, Node
from chariots_core.pipelines.ops import BaseOp, LoadableOp
from chariots_core.pipelines.runners import SequentialRunner
from chariots_core.versioning import Version, VersionedField, VersionType


class Offset(BaseMLOp):
    """Learns the mean of what it is fitted on; predicts by adding it. Fits change MAJOR."""

    training_update_version = VersionType.MAJOR
    kind = VersionedField("offset", VersionType.MAJOR)

    def __init__(self, mode, op_callbacks=None):
        super().__init__(mode, op_callbacks)
        self.offset = 0

    def fit(self, values):
        self.offset = sum(values) / len(values)

    def predict(self, values):
        return [value + self.offset for value in values]

    def serialize(self):
        return repr(self.offset).encode()

    def load(self, serialized_object):
        self.offset = float(serialized_object)


class Scale(BaseMLOp):
    """Learns the max of what it is fitted on; predicts by dividing by it. Fits change PATCH."""

    training_update_version = VersionType.PATCH

    def __init__(self, mode, op_callbacks=None):
        super().__init__(mode, op_callbacks)
        self.scale = 1

    def fit(self, values):
        self.scale = max(values)

    def predict(self, values):
        return [value / self.scale for value in values]

    def serialize(self):
        return repr(self.scale).encode()

    def load(self, serialized_object):
        self.scale = float(serialized_object)


class Vocabulary(LoadableOp):
    """A loadable op that is not an ML op: its state is set by hand."""

    def __init__(self, words=()):
        super().__init__()
        self.words = list(words)

    def execute(self, text):
        return [word for word in text.split() if word in self.words]

    def serialize(self):
        return " ".join(self.words).encode()

    def load(self, serialized_object):
        self.words = serialized_object.decode().split()


class Data(BaseOp):
    def execute(self):
        return [1.0, 2.0, 3.0]


class CallCounter(LoadableOp):
    """Counts the values it passed on: state that changes without any version change."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def execute(self, value):
        self.calls += 1
        return value

    def serialize(self):
        return str(self.calls).encode()

    def load(self, serialized_object):
        self.calls = int(serialized_object)


def _counting():
    return Pipeline([Node(CallCounter(), PIPELINE_INPUT, PIPELINE_OUTPUT)], "counting")


def _run(pipeline, pipeline_input=None):
    return SequentialRunner().run(pipeline, pipeline_input)


def _versioned(name, base, **fields):
    """A new class ``name`` deriving ``base`` (same op name: as if the op's code had changed)."""
    return type(name, (base,), {"op_name": base.__name__.lower(), **fields})


def train_offset(offset_class=Offset):
    return Pipeline(
        [Node(Data(), output_nodes="data"), Node(offset_class(MLMode.FIT), ["data"])],
        "train_offset",
    )


def train_scale(offset_class=Offset, scale_class=Scale):
    return Pipeline(
        [
            Node(Data(), output_nodes="data"),
            Node(offset_class(MLMode.PREDICT), ["data"], "shifted"),
            Node(scale_class(MLMode.FIT), ["shifted"]),
        ],
        "train_scale",
    )


def predict(offset_class=Offset, scale_class=Scale, op_callbacks=None):
    return Pipeline(
        [
            Node(offset_class(MLMode.PREDICT, op_callbacks), [PIPELINE_INPUT], "shifted"),
            Node(scale_class(MLMode.PREDICT), ["shifted"], PIPELINE_OUTPUT),
        ],
        "predict",
    )


def _train_all(op_store):
    """Train and save the offset (mean 2) then the scale (max 5) on it."""
    pipeline = train_offset()
    _run(pipeline)
    pipeline.save(op_store)
    pipeline = train_scale()
    pipeline.load(op_store)
    _run(pipeline)
    pipeline.save(op_store)


def _snapshot(pipeline):
    """What a failed load must not change: node and op objects, versions, op state."""
    return [
        (node, node.op, node.node_version.hashes, node.saved_version, dict(vars(node.op)))
        for node in pipeline.nodes
    ]


# -- save -------------------------------------------------------------------------------------


def test_save_stores_each_loadable_op_with_its_versions(op_store):
    pipeline = train_offset()
    _run(pipeline)
    pipeline.save(op_store)
    op = pipeline.node_for_name["offset"].op
    (saved,) = op_store.get_all_versions_of_op("offset")
    assert saved.version == op.op_version
    assert saved.class_version == Offset.__version__
    assert saved.training_version == op.training_version
    assert op_store.get_op_bytes_for_version("offset", op.op_version) == b"2.0"
    assert pipeline.node_for_name["offset"].saved_version == op.op_version
    # stateless ops are not saved
    assert op_store.get_all_versions_of_op("data") == []


def test_save_registers_the_pipeline_and_its_ops(op_store):
    pipeline = train_scale()
    pipeline.save(op_store)
    assert op_store.pipeline_exists("train_scale")
    assert not op_store.pipeline_exists("predict")
    assert set(op_store.get_pipeline_op_names("train_scale")) == {"data", "offset", "scale"}


def test_save_registers_links_keyed_by_the_downstream_version(op_store):
    _train_all(op_store)
    trained = train_scale()
    trained.load(op_store)
    offset = trained.node_for_name["offset"]
    scale = op_store.get_all_versions_of_op("scale")[0]
    assert op_store.get_validated_links("scale", scale.version, "offset") == {offset.node_version}
    assert op_store.get_validated_links("offset", offset.saved_version, "data") == {
        Data.__version__
    }
    assert op_store.get_validated_links("scale", Version().update_major(b"other"), "offset") == (
        set()
    )


# -- load -------------------------------------------------------------------------------------


def test_a_saved_pipeline_loads_and_runs(op_store):
    _train_all(op_store)
    pipeline = predict()
    pipeline.load(op_store)
    # (x + mean(1, 2, 3)) / max(1 + 2, 2 + 2, 3 + 2)
    assert _run(pipeline, [2.0, 4.0]) == pytest.approx([0.8, 1.2])


def test_load_restores_state_versions_and_saved_version(op_store):
    pipeline = train_offset()
    _run(pipeline)
    pipeline.save(op_store)
    trained = pipeline.node_for_name["offset"].op

    loaded = predict()
    loaded.load(op_store)
    node = loaded.node_for_name["offset"]
    assert node.op.offset == 2.0
    assert node.op.training_version == trained.training_version
    assert node.op.op_version == trained.op_version
    assert node.saved_version == trained.op_version
    assert node.op.mode is MLMode.PREDICT


def test_load_with_nothing_saved_leaves_the_pipeline_as_it_is(op_store):
    pipeline = predict()
    before = _snapshot(pipeline)
    pipeline.load(op_store)
    assert _snapshot(pipeline) == before


def test_load_does_not_change_the_op_objects_it_started_from(op_store):
    _train_all(op_store)
    pipeline = predict()
    op = pipeline.node_for_name["offset"].op
    pipeline.load(op_store)
    assert op.offset == 0
    assert op.training_version is None
    assert pipeline.node_for_name["offset"].op.offset == 2.0


def test_loaded_copy_leaves_the_original_pipeline(op_store):
    _train_all(op_store)
    pipeline = predict()
    before = _snapshot(pipeline)
    copy = pipeline.loaded_copy(op_store)
    assert _snapshot(pipeline) == before
    assert copy.name == pipeline.name
    assert copy.node_for_name["offset"].op.offset == 2.0


def test_load_takes_the_newest_saved_version(op_store):
    pipeline = train_offset()
    for _ in range(3):
        _run(pipeline)
        pipeline.save(op_store)
    newest = pipeline.node_for_name["offset"].op.op_version
    assert len(op_store.get_all_versions_of_op("offset")) == 3
    loaded = train_offset()
    loaded.load(op_store)
    assert loaded.node_for_name["offset"].op.op_version == newest


def test_op_callbacks_still_run_after_a_load(op_store):
    _train_all(op_store)
    seen = []

    class Seen(OpCallBack):
        def after_execution(self, op, args, output):
            seen.append(output)

    callback = Seen()
    pipeline = predict(op_callbacks=[callback])
    pipeline.load(op_store)
    _run(pipeline, [3.0])
    assert pipeline.node_for_name["offset"].op.callbacks == [callback]
    assert seen == [[5.0]]


def test_a_loadable_op_that_is_not_an_ml_op_round_trips(op_store):
    pipeline = Pipeline([Node(Vocabulary(["b", "a"]), PIPELINE_INPUT, PIPELINE_OUTPUT)], "vocab")
    pipeline.save(op_store)
    loaded = Pipeline([Node(Vocabulary(), PIPELINE_INPUT, PIPELINE_OUTPUT)], "vocab")
    loaded.load(op_store)
    assert _run(loaded, "a c b") == ["a", "b"]


def test_nested_pipelines_are_saved_and_loaded(op_store):
    inner = train_offset()
    _run(inner)
    outer = Pipeline([Node(inner, output_nodes="unused")], "outer")
    outer.save(op_store)
    assert op_store.pipeline_exists("outer")
    assert op_store.pipeline_exists("train_offset")
    assert len(op_store.get_all_versions_of_op("offset")) == 1

    fresh = Pipeline(
        [
            Node(
                Pipeline([Node(Offset(MLMode.PREDICT), PIPELINE_INPUT, PIPELINE_OUTPUT)], "p"),
                PIPELINE_INPUT,
                PIPELINE_OUTPUT,
            )
        ],
        "outer_pred",
    )
    fresh.load(op_store)
    assert _run(fresh, [1.0]) == [3.0]


# -- class versions ---------------------------------------------------------------------------


def test_a_major_change_of_the_op_class_refuses_the_old_save(op_store):
    _train_all(op_store)
    changed = _versioned("offset", Offset, kind=VersionedField("other", VersionType.MAJOR))
    assert changed.__version__.major != Offset.__version__.major
    pipeline = predict(offset_class=changed)
    before = _snapshot(pipeline)
    with pytest.raises(VersionError, match="'offset'"):
        pipeline.load(op_store)
    assert _snapshot(pipeline) == before


@pytest.mark.parametrize("version_type", [VersionType.MINOR, VersionType.PATCH])
def test_a_minor_or_patch_change_of_the_op_class_loads_the_old_save(op_store, version_type):
    _train_all(op_store)
    changed = _versioned("offset", Offset, note=VersionedField("changed", version_type))
    assert changed.__version__.major == Offset.__version__.major
    assert changed.__version__ != Offset.__version__
    pipeline = predict(offset_class=changed)
    pipeline.load(op_store)
    assert pipeline.node_for_name["offset"].op.offset == 2.0
    assert _run(pipeline, [2.0, 4.0]) == pytest.approx([0.8, 1.2])


def test_an_op_about_to_be_trained_ignores_saves_of_another_major(op_store):
    _train_all(op_store)
    changed = _versioned("offset", Offset, kind=VersionedField("other", VersionType.MAJOR))
    pipeline = train_offset(offset_class=changed)
    node = pipeline.node_for_name["offset"]
    pipeline.load(op_store)
    assert pipeline.node_for_name["offset"] is node
    _run(pipeline)
    pipeline.save(op_store)
    # now the new class has a save of its own, which PREDICT loads
    loaded = Pipeline([Node(changed(MLMode.PREDICT), PIPELINE_INPUT, PIPELINE_OUTPUT)], "p")
    loaded.load(op_store)
    assert loaded.node_for_name["offset"].op.offset == 2.0


def test_load_takes_the_newest_save_of_a_compatible_class(op_store):
    pipeline = train_offset()
    _run(pipeline)
    pipeline.save(op_store)
    compatible = pipeline.node_for_name["offset"].op.op_version
    # a newer save by a class of another major version
    changed = _versioned("offset", Offset, kind=VersionedField("other", VersionType.MAJOR))
    other = Pipeline([Node(changed(MLMode.FIT), PIPELINE_INPUT)], "other")
    _run(other, [10.0])
    other.save(op_store)
    assert len(op_store.get_all_versions_of_op("offset")) == 2

    loaded = predict()
    loaded.load(op_store)
    node = loaded.node_for_name["offset"]
    assert node.op.op_version == compatible
    assert node.op.offset == 2.0


# -- links ------------------------------------------------------------------------------------


def test_retraining_an_upstream_major_op_breaks_its_downstream_until_retrained(op_store):
    _train_all(op_store)
    pipeline = predict()
    pipeline.load(op_store)
    assert _run(pipeline, [2.0]) == pytest.approx([0.8])

    retrain = train_offset()
    retrain.load(op_store)
    _run(retrain)
    retrain.save(op_store)

    before = _snapshot(pipeline)
    with pytest.raises(VersionError, match=r"'scale'.*'offset'"):
        pipeline.load(op_store)
    assert _snapshot(pipeline) == before
    assert _run(pipeline, [2.0]) == pytest.approx([0.8])

    # a downstream op about to be retrained loads on the new upstream
    retrain_scale = train_scale()
    retrain_scale.load(op_store)
    _run(retrain_scale)
    retrain_scale.save(op_store)
    pipeline.load(op_store)
    assert _run(pipeline, [2.0]) == pytest.approx([0.8])


def test_retraining_an_upstream_patch_op_keeps_its_downstream_valid(op_store):
    # Scale (PATCH fits) upstream of Offset: retraining Scale does not break Offset
    def chain(scale_mode, offset_mode, name):
        return Pipeline(
            [
                Node(Data(), output_nodes="data"),
                Node(Scale(scale_mode), ["data"], "scaled"),
                Node(Offset(offset_mode), ["scaled"], PIPELINE_OUTPUT),
            ],
            name,
        )

    first = chain(MLMode.FIT_PREDICT, MLMode.FIT, "train")
    _run(first)
    first.save(op_store)
    retrain = Pipeline(
        [Node(Data(), output_nodes="data"), Node(Scale(MLMode.FIT), ["data"])], "retrain"
    )
    _run(retrain)
    retrain.save(op_store)
    old_scale = first.node_for_name["scale"].op.op_version
    new_scale = retrain.node_for_name["scale"].op.op_version
    assert old_scale.major == new_scale.major
    assert old_scale != new_scale

    loaded = chain(MLMode.PREDICT, MLMode.PREDICT, "pred")
    loaded.load(op_store)
    assert loaded.node_for_name["scale"].op.op_version == new_scale
    # Offset was validated on the old Scale only: same major, so it still loads
    assert op_store.get_validated_links(
        "offset", loaded.node_for_name["offset"].saved_version, "scale"
    ) == {old_scale}


def test_a_major_change_of_a_stateless_upstream_op_breaks_a_predicting_downstream(op_store):
    _train_all(op_store)
    changed_data = _versioned("data", Data, source=VersionedField("v2", VersionType.MAJOR))
    pipeline = Pipeline(
        [
            Node(changed_data(), output_nodes="data"),
            Node(Offset(MLMode.PREDICT), ["data"], PIPELINE_OUTPUT),
        ],
        "p",
    )
    with pytest.raises(VersionError, match=r"'offset'.*'data'"):
        pipeline.load(op_store)
    minor_data = _versioned("data", Data, source=VersionedField("v2", VersionType.MINOR))
    pipeline = Pipeline(
        [
            Node(minor_data(), output_nodes="data"),
            Node(Offset(MLMode.PREDICT), ["data"], PIPELINE_OUTPUT),
        ],
        "p",
    )
    pipeline.load(op_store)
    assert _run(pipeline) == [3.0, 4.0, 5.0]


def test_a_failed_load_keeps_the_nodes_that_would_have_loaded(op_store):
    # the first node loads fine, the second fails: nothing of the first load may stay
    _train_all(op_store)
    pipeline = predict()
    pipeline.load(op_store)
    retrain = train_offset()
    _run(retrain, None)
    retrain.save(op_store)
    reference = pipeline.node_for_name["offset"].op.op_version

    before = _snapshot(pipeline)
    with pytest.raises(VersionError):
        pipeline.load(op_store)
    assert _snapshot(pipeline) == before
    assert pipeline.node_for_name["offset"].op.op_version == reference


def test_a_loadable_op_that_is_not_an_ml_op_refuses_saves_of_another_major(op_store):
    Pipeline([Node(Vocabulary(["a"]), PIPELINE_INPUT, PIPELINE_OUTPUT)], "vocab").save(op_store)
    changed = _versioned("vocabulary", Vocabulary, lang=VersionedField("fr", VersionType.MAJOR))
    pipeline = Pipeline([Node(changed(), PIPELINE_INPUT, PIPELINE_OUTPUT)], "vocab")
    with pytest.raises(VersionError, match="'vocabulary'"):
        pipeline.load(op_store)


def test_a_failed_load_inside_a_nested_pipeline_leaves_the_outer_one_as_it_was(op_store):
    _train_all(op_store)
    inner = predict()
    outer = Pipeline([Node(inner, PIPELINE_INPUT, PIPELINE_OUTPUT)], "outer")
    outer.load(op_store)
    assert _run(outer, [3.0]) == pytest.approx([1.0])
    retrain = train_offset()
    _run(retrain)
    retrain.save(op_store)

    (node,) = outer.nodes
    loaded_inner = node.op
    before = _snapshot(loaded_inner)
    with pytest.raises(VersionError, match="'scale'"):
        outer.load(op_store)
    assert outer.nodes == [node]
    assert node.op is loaded_inner
    assert _snapshot(loaded_inner) == before
    assert _run(outer, [3.0]) == pytest.approx([1.0])


def test_loading_twice_gives_the_same_versions(op_store):
    _train_all(op_store)
    pipeline = predict()
    pipeline.load(op_store)
    first = pipeline.get_pipeline_versions()
    pipeline.load(op_store)
    assert pipeline.get_pipeline_versions() == first


def test_saving_does_not_save_again_an_op_that_was_only_loaded(op_store):
    _train_all(op_store)
    [offset_before] = op_store.get_all_versions_of_op("offset")
    pipeline = train_scale()
    pipeline.load(op_store)
    _run(pipeline)  # refits Scale; Offset only predicts
    pipeline.save(op_store)
    [offset_after] = op_store.get_all_versions_of_op("offset")
    assert offset_after.saved_at == offset_before.saved_at
    assert len(op_store.get_all_versions_of_op("scale")) == 2


def test_an_op_version_cannot_change_its_class_version():
    op = Data()
    op.op_version.update_major(b"tampered")
    assert op.op_version == type(op).__version__
    assert op.op_version is not type(op).__version__


def test_saving_keeps_state_that_changed_without_a_version_change(op_store):
    pipeline = _counting()
    _run(pipeline, 1)
    pipeline.save(op_store)
    _run(pipeline, 2)
    _run(pipeline, 3)
    pipeline.save(op_store)  # same op version, other bytes: they are saved
    loaded = _counting()
    loaded.load(op_store)
    assert loaded.nodes[0].op.calls == 3


def test_saving_keeps_state_changed_after_a_load(op_store):
    pipeline = _counting()
    _run(pipeline, 1)
    pipeline.save(op_store)
    again = _counting()
    again.load(op_store)
    _run(again, 2)
    again.save(op_store)
    loaded = _counting()
    loaded.load(op_store)
    assert loaded.nodes[0].op.calls == 2


def test_saving_an_op_loaded_and_left_unchanged_does_not_write_it_again(op_store):
    pipeline = _counting()
    _run(pipeline, 1)
    pipeline.save(op_store)
    [before] = op_store.get_all_versions_of_op(CallCounter().name)
    loaded = _counting()
    loaded.load(op_store)
    loaded.save(op_store)
    pipeline.save(op_store)  # saved, then unchanged: not written again either
    [after] = op_store.get_all_versions_of_op(CallCounter().name)
    assert after.saved_at == before.saved_at
