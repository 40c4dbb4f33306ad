"""The URL of a server from a configuration's host and port."""

from __future__ import annotations


def server_url(what: str, host: str | None, port: str | int | None) -> str:
    """``http://host:port`` (a host given with its scheme keeps it), as the original built it."""
    if not host:
        raise ValueError(f"the {what} configuration has no server_host to reach the server at")
    base = host if host.startswith(("http://", "https://")) else f"http://{host}"
    return base if port is None else f"{base}:{port}"
