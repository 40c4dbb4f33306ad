"""When a call runs in a worker: the three-level rule of app, pipeline and request."""

from __future__ import annotations


def should_use_worker(
    app_level: bool | None, pipeline_level: bool | None, request_level: bool | None
) -> bool:
    """Any explicit ``False`` runs the call in the server; else any ``True`` runs it in a worker;
    all unset runs it in the server."""
    levels = (app_level, pipeline_level, request_level)
    if any(level is False for level in levels):
        return False
    return any(level is True for level in levels)
