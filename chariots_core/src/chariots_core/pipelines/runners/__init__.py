"""Runners: what executes a pipeline.

Defined in :mod:`chariots_core.pipeline_model` (``runners``), below the server; this is their
original chariots' path.
"""

from chariots_core.pipeline_model.runners import (
    BaseRunner,
    SequentialRunner,
)

__all__ = ["BaseRunner", "SequentialRunner"]
