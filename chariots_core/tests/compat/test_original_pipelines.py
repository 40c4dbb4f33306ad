"""The original chariots' pipeline names: reserved nodes, the node base class, the clients' and
the server's modules."""

from __future__ import annotations

from pathlib import Path

from chariots_core.jobs import JobStatus
from chariots_core.op_store import OpStore
from chariots_core.pipelines import (
    AbstractPipelinesClient,
    BasePipelinesClient,
    Pipeline,
    PipelineResponse,
    PipelinesServer,
    pipelines_client,
    pipelines_server,
)
from chariots_core.pipelines.nodes import BaseNode, Node, ReservedNodes
from chariots_core.pipelines.ops import BaseOp
from chariots_core.pipelines.runners import SequentialRunner
from chariots_core.testing import TestPipelinesClient


class IsOdd(BaseOp):
    def execute(self, number: int) -> bool:
        return number % 2 == 1


def _is_odd_pipeline() -> Pipeline:
    return Pipeline(
        [
            Node(
                IsOdd(),
                input_nodes=[ReservedNodes.pipeline_input],
                output_nodes=ReservedNodes.pipeline_output,
            )
        ],
        "is_odd",
    )


def test_reserved_nodes_name_the_pipeline_s_input_and_output() -> None:
    assert ReservedNodes.pipeline_input.value == "__pipeline_input__"
    assert ReservedNodes.pipeline_output.value == "__pipeline_output__"
    pipeline = _is_odd_pipeline()
    (node,) = pipeline.nodes
    assert (node.input_nodes, node.output_nodes) == (
        ["__pipeline_input__"],
        ["__pipeline_output__"],
    )
    assert SequentialRunner().run(pipeline, 5) is True


def test_base_node_is_the_node_class() -> None:
    assert BaseNode is Node
    assert isinstance(Node(IsOdd()), BaseNode)


def test_the_original_modules_of_the_server_and_the_clients() -> None:
    assert pipelines_server.PipelinesServer is PipelinesServer
    assert pipelines_server.PipelineResponse is PipelineResponse
    assert pipelines_client.AbstractPipelinesClient is AbstractPipelinesClient
    assert AbstractPipelinesClient is BasePipelinesClient
    assert issubclass(pipelines_client.PipelinesClient, AbstractPipelinesClient)
    assert issubclass(TestPipelinesClient, AbstractPipelinesClient)


def test_a_pipeline_response_has_the_original_json_methods(tmp_path: Path) -> None:
    app = PipelinesServer(
        [_is_odd_pipeline()], op_store_client=OpStore(path=tmp_path), import_name="my_app"
    )
    response = TestPipelinesClient(app).call_pipeline(_is_odd_pipeline(), 4)
    assert response.value is False
    payload = response.json()
    assert payload["job_status"] == "done"
    assert PipelineResponse.from_request(payload, _is_odd_pipeline()) == response
    assert response.job_status is JobStatus.done


def test_a_pipeline_has_the_original_attribute_names() -> None:
    pipeline = _is_odd_pipeline()
    assert pipeline.pipeline_nodes == pipeline.nodes
    assert pipeline.callbacks is pipeline.pipeline_callbacks
    assert set(pipeline.get_pipeline_versions()) == {"isodd"}  # keyed by node name
