"""Building pipelines: graph validation (errors name the broken node) and the run order."""

from __future__ import annotations

import pytest

from chariots_core.errors import PipelineGraphError
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.nodes import PIPELINE_INPUT, PIPELINE_OUTPUT, Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.pipelines.runners import SequentialRunner


class Source(BaseOp):
    def execute(self):
        return 1


class Identity(BaseOp):
    op_name = "identity"

    def execute(self, *args):
        return args[0] if len(args) == 1 else args


def _op(name: str) -> BaseOp:
    """A fresh op named ``name`` (the name is what errors report)."""
    return type(name, (Identity,), {"op_name": name})()


def _names(nodes):
    return [node.name for node in nodes]


def test_a_valid_pipeline_keeps_its_name_nodes_and_options():
    nodes = [Node(_op("a"), PIPELINE_INPUT, "x"), Node(_op("b"), "x", PIPELINE_OUTPUT)]
    pipeline = Pipeline(nodes, "my-pipe_1.0", use_worker=True)
    assert pipeline.name == "my-pipe_1.0"
    assert pipeline.nodes == nodes
    assert pipeline.use_worker is True
    assert pipeline.pipeline_callbacks == []
    assert pipeline.takes_input
    assert pipeline.gives_output
    assert set(pipeline.node_for_name) == {"a", "b"}
    assert "my-pipe_1.0" in repr(pipeline)


def test_takes_input_and_gives_output_are_read_from_the_graph():
    pipeline = Pipeline([Node(Source(), output_nodes="x"), Node(_op("sink"), "x")], "closed")
    assert not pipeline.takes_input
    assert not pipeline.gives_output


def test_nodes_are_not_copied_and_the_nodes_list_is_a_copy():
    nodes = [Node(Source(), output_nodes=PIPELINE_OUTPUT)]
    pipeline = Pipeline(nodes, "p")
    pipeline.nodes.clear()
    assert pipeline.nodes[0] is nodes[0]


def test_nodes_run_in_declared_order_when_the_graph_allows_it():
    nodes = [
        Node(_op("a"), PIPELINE_INPUT, "x"),
        Node(_op("b"), PIPELINE_INPUT, "y"),
        Node(_op("c"), ["x", "y"], PIPELINE_OUTPUT),
    ]
    assert _names(Pipeline(nodes, "p").nodes) == ["a", "b", "c"]


def test_nodes_declared_before_their_inputs_run_after_them():
    nodes = [
        Node(_op("last"), ["y"], PIPELINE_OUTPUT),
        Node(_op("middle"), ["x"], "y"),
        Node(_op("independent"), PIPELINE_INPUT, "z"),
        Node(_op("first"), PIPELINE_INPUT, "x"),
    ]
    assert _names(Pipeline(nodes, "p").nodes) == ["independent", "first", "middle", "last"]


def test_a_node_can_stand_for_its_single_output():
    first = Node(_op("a"), PIPELINE_INPUT, "x")
    second = Node(_op("b"), [first], PIPELINE_OUTPUT)
    assert second.input_nodes == ["x"]
    assert _names(Pipeline([second, first], "p").nodes) == ["a", "b"]


def test_a_node_with_several_outputs_cannot_stand_for_them():
    several = Node(_op("several"), PIPELINE_INPUT, ["x", "y"])
    with pytest.raises(PipelineGraphError, match="several"):
        Node(_op("b"), [several])


def test_inputs_and_outputs_accept_a_single_name_or_none():
    node = Node(_op("a"), "x", "y")
    assert (node.input_nodes, node.output_nodes) == (["x"], ["y"])
    node = Node(_op("a"))
    assert (node.input_nodes, node.output_nodes) == ([], ["a"])


def test_a_node_without_output_nodes_outputs_under_its_own_name():
    first = Node(_op("first"), PIPELINE_INPUT)
    assert first.output_nodes == ["first"]
    by_node = Node(_op("by_node"), [first], PIPELINE_OUTPUT)
    assert by_node.input_nodes == ["first"]
    by_name = Node(_op("by_name"), ["first"], PIPELINE_OUTPUT)
    for sink in (by_node, by_name):
        pipeline = Pipeline([sink, first], "p")
        assert _names(pipeline.nodes) == ["first", sink.name]
        assert SequentialRunner().run(pipeline, 7) == 7


def test_two_nodes_without_output_nodes_and_one_name_are_told_apart_by_output_nodes():
    with pytest.raises(PipelineGraphError, match="without output_nodes"):
        Pipeline([Node(_op("same")), Node(_op("same"))], "p")
    Pipeline([Node(_op("same")), Node(_op("same"), output_nodes="other")], "p")


def test_a_missing_input_names_the_node_and_the_input():
    nodes = [Node(_op("a"), PIPELINE_INPUT, "x"), Node(_op("needy"), ["nowhere"], "y")]
    with pytest.raises(PipelineGraphError, match=r"'needy'.*'nowhere'"):
        Pipeline(nodes, "p")


def test_two_nodes_giving_the_same_output_are_named():
    nodes = [Node(_op("first"), PIPELINE_INPUT, "x"), Node(_op("second"), PIPELINE_INPUT, "x")]
    with pytest.raises(PipelineGraphError, match=r"'first' and 'second'.*'x'"):
        Pipeline(nodes, "p")


def test_two_nodes_giving_the_pipeline_output_are_refused():
    nodes = [
        Node(_op("first"), PIPELINE_INPUT, PIPELINE_OUTPUT),
        Node(_op("second"), PIPELINE_INPUT, PIPELINE_OUTPUT),
    ]
    with pytest.raises(PipelineGraphError, match=r"'first' and 'second'"):
        Pipeline(nodes, "p")


def test_a_cycle_names_its_nodes():
    nodes = [
        Node(_op("start"), PIPELINE_INPUT, "s"),
        Node(_op("ping"), ["s", "b"], "a"),
        Node(_op("pong"), ["a"], "b"),
    ]
    with pytest.raises(PipelineGraphError, match="cycle") as error:
        Pipeline(nodes, "p")
    assert "'ping'" in str(error.value)
    assert "'pong'" in str(error.value)
    assert "'start'" not in str(error.value)


def test_a_node_taking_its_own_output_is_a_cycle():
    with pytest.raises(PipelineGraphError, match=r"'selfish'.*cycle"):
        Pipeline([Node(_op("selfish"), ["x"], "x")], "p")


def test_pipeline_output_as_input_names_the_node():
    with pytest.raises(PipelineGraphError, match=r"'reader'.*__pipeline_output__"):
        Node(_op("reader"), [PIPELINE_OUTPUT], "x")


def test_pipeline_input_as_output_names_the_node():
    with pytest.raises(PipelineGraphError, match=r"'writer'.*__pipeline_input__"):
        Pipeline([Node(_op("writer"), output_nodes=PIPELINE_INPUT)], "p")


def test_pipeline_output_must_be_a_node_s_only_output():
    with pytest.raises(PipelineGraphError, match="'greedy'"):
        Node(_op("greedy"), PIPELINE_INPUT, ["x", PIPELINE_OUTPUT])


def test_an_output_named_twice_is_refused():
    with pytest.raises(PipelineGraphError, match="'twice'"):
        Node(_op("twice"), PIPELINE_INPUT, ["x", "x"])


@pytest.mark.parametrize("bad", ["", 3, None])
def test_bad_output_names_name_the_node(bad):
    with pytest.raises(PipelineGraphError, match="'badout'"):
        Node(_op("badout"), PIPELINE_INPUT, ["x", bad])


@pytest.mark.parametrize("bad", ["", 3])
def test_bad_input_names_name_the_node(bad):
    with pytest.raises(PipelineGraphError, match="'badin'"):
        Node(_op("badin"), ["x", bad])


def test_an_empty_pipeline_is_refused():
    with pytest.raises(PipelineGraphError, match="'empty'"):
        Pipeline([], "empty")


@pytest.mark.parametrize(
    "name", ["", "with space", "slash/ed", "new\nline", "trailing\n", "é", None, 3]
)
def test_bad_pipeline_names_are_refused(name):
    with pytest.raises(PipelineGraphError, match="pipeline name"):
        Pipeline([Node(Source(), output_nodes=PIPELINE_OUTPUT)], name)


@pytest.mark.parametrize("item", [Source(), "a node", None])
def test_items_that_are_not_nodes_are_refused(item):
    with pytest.raises(PipelineGraphError, match="not a Node"):
        Pipeline([Node(Source(), output_nodes="x"), item], "p")


def test_a_node_wraps_only_ops_and_pipelines():
    with pytest.raises(TypeError, match="BaseOp or a Pipeline"):
        Node(Source, output_nodes="x")


def test_use_worker_must_be_a_bool_or_none():
    with pytest.raises(TypeError, match="use_worker"):
        Pipeline([Node(Source(), output_nodes=PIPELINE_OUTPUT)], "p", use_worker="yes")


def test_a_node_is_named_after_its_op_and_a_pipeline_node_after_its_pipeline():
    inner = Pipeline([Node(Source(), output_nodes=PIPELINE_OUTPUT)], "inner")
    assert Node(Source()).name == "source"
    assert Node(_op("custom")).name == "custom"
    assert Node(inner).name == "inner"
    assert Node(inner).is_pipeline
    assert not Node(Source()).is_pipeline


def test_two_nodes_holding_one_stateful_op_name_are_refused() -> None:
    from _iris_ops import PCAOp

    from chariots_core.ml import MLMode

    with pytest.raises(PipelineGraphError, match="two nodes hold the op 'pcaop'"):
        Pipeline(
            [
                Node(
                    PCAOp(MLMode.FIT_PREDICT), input_nodes=["__pipeline_input__"], output_nodes="a"
                ),
                Node(PCAOp(MLMode.PREDICT), input_nodes=["a"], output_nodes="__pipeline_output__"),
            ],
            "twice",
        )
