"""Runners: what executes a pipeline."""

from chariots_core.pipelines.runners._base_runner import BaseRunner
from chariots_core.pipelines.runners._sequential_runner import SequentialRunner

__all__ = ["BaseRunner", "SequentialRunner"]
