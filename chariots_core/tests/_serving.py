"""Serving a Flask app on a free port of 127.0.0.1 in a thread, for tests that need a real port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import flask
from werkzeug.serving import make_server


@contextmanager
def serving(app: flask.Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval, so that shutdown() returns at once rather than in half a second.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="test-server"
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
