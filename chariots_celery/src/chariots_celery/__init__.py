"""The celery worker pool for chariots (skeleton: the pool lands with its own issue)."""

__version__ = "0.1.0"
