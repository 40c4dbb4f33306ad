"""`SequentialRunner`: runs a pipeline's nodes one after the other in this process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from chariots_core.pipeline_model.nodes import PIPELINE_INPUT, PIPELINE_OUTPUT
from chariots_core.pipeline_model.runners._base_runner import BaseRunner

if TYPE_CHECKING:
    from chariots_core.pipeline_model import Pipeline
    from chariots_core.pipeline_model.callbacks import PipelineCallback


class SequentialRunner(BaseRunner):
    """Runs the nodes in order, keeping each output only while a later node still needs it."""

    def run(
        self,
        pipeline: Pipeline,
        pipeline_input: Any = None,
        extra_callbacks: Sequence[PipelineCallback] = (),
    ) -> Any:
        callbacks = [*pipeline.pipeline_callbacks, *extra_callbacks]
        nodes = pipeline.nodes
        last_use = {name: index for index, node in enumerate(nodes) for name in node.input_nodes}
        values: dict[str, Any] = {PIPELINE_INPUT: pipeline_input}
        for callback in callbacks:
            callback.before_execution(pipeline, pipeline_input)
        for index, node in enumerate(nodes):
            args = [values[name] for name in node.input_nodes]
            for callback in callbacks:
                callback.before_node_execution(pipeline, node, args)
            if node.is_pipeline:  # inner nodes run between the same callbacks (cancellation)
                inner = cast("Pipeline", node.op)
                output = self.run(inner, node.pipeline_input(args), extra_callbacks)
            else:
                output = node.execute(args)
            for callback in callbacks:
                callback.after_node_execution(pipeline, node, args, output)
            values.update(
                (name, value)
                for name, value in node.split_outputs(output).items()
                if name in last_use or name == PIPELINE_OUTPUT  # else nothing reads it
            )
            for name in node.input_nodes:
                if last_use[name] == index and name != PIPELINE_INPUT:
                    values.pop(name, None)
        result = values.get(PIPELINE_OUTPUT)
        for callback in callbacks:
            callback.after_execution(pipeline, pipeline_input, result)
        return result
