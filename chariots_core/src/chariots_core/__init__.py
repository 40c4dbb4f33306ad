"""chariots-core: versioned machine-learning pipelines, their op store and their server."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
