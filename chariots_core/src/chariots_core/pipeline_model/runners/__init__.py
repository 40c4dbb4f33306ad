"""Runners: what executes a pipeline."""

from chariots_core.pipeline_model.runners._base_runner import BaseRunner
from chariots_core.pipeline_model.runners._sequential_runner import SequentialRunner

__all__ = ["BaseRunner", "SequentialRunner"]
