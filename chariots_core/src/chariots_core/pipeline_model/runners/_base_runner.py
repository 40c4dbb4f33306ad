"""The interface of runners: what executes a pipeline's nodes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chariots_core.pipeline_model import Pipeline
    from chariots_core.pipeline_model.callbacks import PipelineCallback


class BaseRunner(ABC):
    """Executes a pipeline on an input and returns its output."""

    @abstractmethod
    def run(
        self,
        pipeline: Pipeline,
        pipeline_input: Any = None,
        extra_callbacks: Sequence[PipelineCallback] = (),
    ) -> Any:
        """Run ``pipeline``; ``extra_callbacks`` run after the pipeline's own callbacks."""
