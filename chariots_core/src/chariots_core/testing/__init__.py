"""Helpers for testing chariots apps (and for the documentation's examples)."""

from chariots_core.testing._op_store_client import TestOpStoreClient

__all__ = ["TestOpStoreClient"]
