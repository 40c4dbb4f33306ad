"""Running pipelines: data flow, outputs, nested pipelines, op and pipeline callbacks."""

from __future__ import annotations

import pytest

from chariots_core.errors import PipelineGraphError
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.callbacks import OpCallBack, PipelineCallback
from chariots_core.pipelines.nodes import PIPELINE_INPUT, PIPELINE_OUTPUT, Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.pipelines.runners import BaseRunner, SequentialRunner


class AddOne(BaseOp):
    def execute(self, number):
        return number + 1


class Double(BaseOp):
    def execute(self, number):
        return 2 * number


class Subtract(BaseOp):
    def execute(self, left, right):
        return left - right


class DivMod(BaseOp):
    def execute(self, number):
        return divmod(number, 3)


class Returns(BaseOp):
    """Returns what it was built with, whatever its input."""

    def __init__(self, value, op_callbacks=None):
        super().__init__(op_callbacks)
        self.value = value

    def execute(self, *args):
        return self.value


class Recorder(BaseOp):
    """Keeps its arguments, returns nothing."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def execute(self, *args):
        self.calls.append(args)


def run(pipeline, pipeline_input=None, extra_callbacks=()):
    return SequentialRunner().run(pipeline, pipeline_input, extra_callbacks=extra_callbacks)


def test_sequential_runner_is_a_runner():
    assert isinstance(SequentialRunner(), BaseRunner)


def test_a_chain_passes_each_output_to_the_next_node():
    pipeline = Pipeline(
        [
            Node(AddOne(), PIPELINE_INPUT, "plus_one"),
            Node(Double(), "plus_one", PIPELINE_OUTPUT),
        ],
        "chain",
    )
    assert run(pipeline, 4) == 10
    assert run(pipeline, 0) == 2


def test_inputs_are_passed_positionally_in_declared_order():
    pipeline = Pipeline(
        [
            Node(Returns(10), output_nodes="ten"),
            Node(Returns(3), output_nodes="three"),
            Node(Subtract(), ["three", "ten"], PIPELINE_OUTPUT),
        ],
        "order",
    )
    assert run(pipeline) == -7


def test_an_output_can_feed_several_nodes_and_the_same_node_twice():
    pipeline = Pipeline(
        [
            Node(AddOne(), PIPELINE_INPUT, "x"),
            Node(Double(), "x", "doubled"),
            Node(Subtract(), ["doubled", "x"], "difference"),
            Node(Subtract(), ["difference", "difference"], PIPELINE_OUTPUT),
        ],
        "fan-out",
    )
    assert run(pipeline, 2) == 0


def test_the_pipeline_input_can_be_read_by_several_nodes():
    pipeline = Pipeline(
        [
            Node(AddOne(), PIPELINE_INPUT, "x"),
            Node(Subtract(), [PIPELINE_INPUT, "x"], PIPELINE_OUTPUT),
        ],
        "twice",
    )
    assert run(pipeline, 5) == -1


def test_a_pipeline_without_output_returns_none_and_still_runs():
    recorder = Recorder()
    pipeline = Pipeline([Node(recorder, PIPELINE_INPUT)], "sink")
    assert run(pipeline, "hello") is None
    assert recorder.calls == [("hello",)]


def test_nodes_declared_out_of_order_run_in_graph_order():
    pipeline = Pipeline(
        [Node(Double(), "x", PIPELINE_OUTPUT), Node(AddOne(), PIPELINE_INPUT, "x")], "reordered"
    )
    assert run(pipeline, 1) == 4


def test_several_outputs_unpack_a_returned_sequence():
    pipeline = Pipeline(
        [
            Node(DivMod(), PIPELINE_INPUT, ["quotient", "remainder"]),
            Node(Subtract(), ["quotient", "remainder"], PIPELINE_OUTPUT),
        ],
        "unpack",
    )
    assert run(pipeline, 14) == 4 - 2


def test_a_single_output_keeps_a_returned_sequence_whole():
    pipeline = Pipeline([Node(DivMod(), PIPELINE_INPUT, PIPELINE_OUTPUT)], "whole")
    assert run(pipeline, 7) == (2, 1)


@pytest.mark.parametrize("returned", [(1, 2, 3), [1], 5, None])
def test_a_return_value_of_the_wrong_length_names_the_node(returned):
    op = type("Unpacker", (Returns,), {})(returned)
    pipeline = Pipeline(
        [
            Node(op, PIPELINE_INPUT, ["a", "b"]),
            Node(Subtract(), ["a", "b"], PIPELINE_OUTPUT),
        ],
        "wrong-length",
    )
    with pytest.raises(PipelineGraphError, match=r"'unpacker'.*2 outputs"):
        run(pipeline, 0)


def test_an_op_error_propagates_and_stops_the_run():
    after = Recorder()
    pipeline = Pipeline(
        [Node(Double(), PIPELINE_INPUT, "x"), Node(after, "x")],
        "error",
    )
    with pytest.raises(TypeError):
        run(pipeline, None)
    assert after.calls == []


# -- nested pipelines -------------------------------------------------------------------------


def _inner():
    return Pipeline(
        [
            Node(AddOne(), PIPELINE_INPUT, "y"),
            Node(Double(), "y", PIPELINE_OUTPUT),
        ],
        "inner",
    )


def test_a_pipeline_can_be_the_op_of_a_node():
    outer = Pipeline(
        [
            Node(AddOne(), PIPELINE_INPUT, "x"),
            Node(_inner(), "x", "from_inner"),
            Node(AddOne(), "from_inner", PIPELINE_OUTPUT),
        ],
        "outer",
    )
    # (3 + 1 + 1) * 2 + 1
    assert run(outer, 3) == 11


def test_a_pipeline_node_without_input_runs_its_pipeline_on_none():
    inner = Pipeline([Node(Returns("constant"), PIPELINE_INPUT, PIPELINE_OUTPUT)], "const")
    outer = Pipeline([Node(inner, output_nodes=PIPELINE_OUTPUT)], "outer")
    assert run(outer) == "constant"


def test_a_pipeline_node_takes_at_most_one_input():
    outer = Pipeline(
        [
            Node(Returns(1), output_nodes="a"),
            Node(Returns(2), output_nodes="b"),
            Node(_inner(), ["a", "b"], PIPELINE_OUTPUT),
        ],
        "outer",
    )
    with pytest.raises(PipelineGraphError, match="'inner'"):
        run(outer)


def test_pipeline_versions_cover_nested_pipelines():
    inner = _inner()
    outer = Pipeline([Node(inner, PIPELINE_INPUT, PIPELINE_OUTPUT)], "outer")
    versions = outer.get_pipeline_versions()
    assert set(versions) == {"inner"}
    assert versions["inner"] == Node(_inner()).node_version
    assert versions["inner"] != AddOne.__version__
    assert outer.op_names() == ["addone", "double"]


# -- callbacks --------------------------------------------------------------------------------


class EventsPipelineCallback(PipelineCallback):
    def __init__(self, events, label):
        self.events = events
        self.label = label

    def before_execution(self, pipeline, pipeline_input):
        self.events.append((self.label, "before", pipeline.name, pipeline_input))

    def after_execution(self, pipeline, pipeline_input, output):
        self.events.append((self.label, "after", pipeline.name, pipeline_input, output))

    def before_node_execution(self, pipeline, node, args):
        self.events.append((self.label, "before_node", pipeline.name, node.name, list(args)))

    def after_node_execution(self, pipeline, node, args, output):
        self.events.append((self.label, "after_node", pipeline.name, node.name, list(args), output))


class EventsOpCallback(OpCallBack):
    def __init__(self, events):
        self.events = events

    def before_execution(self, op, args):
        self.events.append(("op", "before", op.name, list(args)))

    def after_execution(self, op, args, output):
        self.events.append(("op", "after", op.name, list(args), output))


def test_callbacks_run_in_order_with_their_arguments():
    events = []
    pipeline = Pipeline(
        [
            Node(AddOne(op_callbacks=[EventsOpCallback(events)]), PIPELINE_INPUT, "x"),
            Node(Double(), "x", PIPELINE_OUTPUT),
        ],
        "observed",
        pipeline_callbacks=[EventsPipelineCallback(events, "own")],
    )
    output = run(pipeline, 1, extra_callbacks=[EventsPipelineCallback(events, "extra")])
    assert output == 4
    assert events == [
        ("own", "before", "observed", 1),
        ("extra", "before", "observed", 1),
        ("own", "before_node", "observed", "addone", [1]),
        ("extra", "before_node", "observed", "addone", [1]),
        ("op", "before", "addone", [1]),
        ("op", "after", "addone", [1], 2),
        ("own", "after_node", "observed", "addone", [1], 2),
        ("extra", "after_node", "observed", "addone", [1], 2),
        ("own", "before_node", "observed", "double", [2]),
        ("extra", "before_node", "observed", "double", [2]),
        ("own", "after_node", "observed", "double", [2], 4),
        ("extra", "after_node", "observed", "double", [2], 4),
        ("own", "after", "observed", 1, 4),
        ("extra", "after", "observed", 1, 4),
    ]


def test_callbacks_receive_the_pipeline_the_node_and_the_op_objects():
    seen = {}

    class Keep(PipelineCallback):
        def before_node_execution(self, pipeline, node, args):
            seen["pipeline"], seen["node"] = pipeline, node

    class KeepOp(OpCallBack):
        def before_execution(self, op, args):
            seen["op"] = op

    op = AddOne(op_callbacks=[KeepOp()])
    node = Node(op, PIPELINE_INPUT, PIPELINE_OUTPUT)
    pipeline = Pipeline([node], "objects", pipeline_callbacks=[Keep()])
    run(pipeline, 0)
    assert seen == {"pipeline": pipeline, "node": node, "op": op}
    assert seen["pipeline"] is pipeline


def test_op_callbacks_run_when_the_op_runs_alone():
    events = []
    op = Double(op_callbacks=[EventsOpCallback(events)])
    assert op.execute_with_all_callbacks([3]) == 6
    assert events == [("op", "before", "double", [3]), ("op", "after", "double", [3], 6)]


def test_extra_callbacks_do_not_stay_on_the_pipeline():
    events = []
    pipeline = Pipeline([Node(AddOne(), PIPELINE_INPUT, PIPELINE_OUTPUT)], "once")
    run(pipeline, 1, extra_callbacks=[EventsPipelineCallback(events, "extra")])
    events.clear()
    run(pipeline, 1)
    assert events == []
    assert pipeline.pipeline_callbacks == []


def test_a_nested_pipeline_runs_its_own_callbacks():
    events = []
    inner = Pipeline(
        [Node(AddOne(), PIPELINE_INPUT, PIPELINE_OUTPUT)],
        "inner",
        pipeline_callbacks=[EventsPipelineCallback(events, "inner")],
    )
    outer = Pipeline(
        [Node(inner, PIPELINE_INPUT, PIPELINE_OUTPUT)],
        "outer",
        pipeline_callbacks=[EventsPipelineCallback(events, "outer")],
    )
    assert run(outer, 1) == 2
    assert [event[:3] for event in events] == [
        ("outer", "before", "outer"),
        ("outer", "before_node", "outer"),
        ("inner", "before", "inner"),
        ("inner", "before_node", "inner"),
        ("inner", "after_node", "inner"),
        ("inner", "after", "inner"),
        ("outer", "after_node", "outer"),
        ("outer", "after", "outer"),
    ]


class Stop(Exception):
    pass


@pytest.mark.parametrize("hook", ["before_node_execution", "after_node_execution"])
def test_a_callback_that_raises_stops_the_run_between_nodes(hook):
    ran = []

    class Track(BaseOp):
        def execute(self, value):
            ran.append(value)
            return value

    class Cancel(PipelineCallback):
        pass

    def stop(self, pipeline, node, *args):
        if node.output_nodes == ["b"]:
            raise Stop(node.name)

    setattr(Cancel, hook, stop)
    after = []

    class After(PipelineCallback):
        def after_execution(self, pipeline, pipeline_input, output):
            after.append(output)

    pipeline = Pipeline(
        [
            Node(Track(), PIPELINE_INPUT, "a"),
            Node(Track(), "a", "b"),
            Node(Track(), "b", PIPELINE_OUTPUT),
        ],
        "cancelled",
        pipeline_callbacks=[After()],
    )
    with pytest.raises(Stop):
        run(pipeline, "v", extra_callbacks=[Cancel()])
    # the node before the raising hook ran; the nodes after it did not, nor did the end hooks
    assert ran == (["v"] if hook == "before_node_execution" else ["v", "v"])
    assert after == []


def test_a_callback_that_raises_before_the_run_runs_no_node():
    recorder = Recorder()

    class Refuse(PipelineCallback):
        def before_execution(self, pipeline, pipeline_input):
            raise Stop("no")

    pipeline = Pipeline([Node(recorder, PIPELINE_INPUT)], "refused")
    with pytest.raises(Stop):
        run(pipeline, 1, extra_callbacks=[Refuse()])
    assert recorder.calls == []


def test_extra_callbacks_also_run_between_the_nodes_of_a_nested_pipeline():
    events = []
    inner = Pipeline([Node(AddOne(), PIPELINE_INPUT, PIPELINE_OUTPUT)], "inner")
    outer = Pipeline([Node(inner, PIPELINE_INPUT, PIPELINE_OUTPUT)], "outer")
    assert SequentialRunner().run(outer, 1, [EventsPipelineCallback(events, "extra")]) == 2
    assert [(event[1], event[2]) for event in events] == [
        ("before", "outer"),
        ("before_node", "outer"),
        ("before", "inner"),
        ("before_node", "inner"),
        ("after_node", "inner"),
        ("after", "inner"),
        ("after_node", "outer"),
        ("after", "outer"),
    ]
