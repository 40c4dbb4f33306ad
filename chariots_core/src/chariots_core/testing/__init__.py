"""Helpers for testing chariots apps (and for the documentation's examples)."""

from chariots_core.testing._op_store_client import TestOpStoreClient
from chariots_core.testing._pipelines_client import TestPipelinesClient

__all__ = ["TestOpStoreClient", "TestPipelinesClient"]
