"""The test app as `chariots serve` and `chariots worker` load it (`--app worker_test_app:app`).

Configured by the environment: ``CHARIOTS_TEST_DATABASE_URL``, ``CHARIOTS_TEST_OPS_FOLDER`` and
``CHARIOTS_TEST_HEARTBEAT_TIMEOUT``. Its pool is the embedded pool with no workers of its own:
servers only queue jobs, ``chariots worker`` processes run them.
"""

from __future__ import annotations

import os

from worker_test_app_name import APP_NAME
from worker_test_pipelines import make_app

app = make_app(
    os.environ["CHARIOTS_TEST_DATABASE_URL"],
    os.environ["CHARIOTS_TEST_OPS_FOLDER"],
    import_name=APP_NAME,
    worker_pool="embedded://?autostart=0",
    heartbeat_timeout=float(os.environ["CHARIOTS_TEST_HEARTBEAT_TIMEOUT"]),
)
