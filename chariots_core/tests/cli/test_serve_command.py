"""``chariots serve``: the app on a real port, stopped by SIGTERM."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from chariots_core.cli import _is_loopback


def test_serve_answers_http_until_sigterm(chariots: Any) -> None:
    server = chariots.start("serve", "--app", "chariots_test_app:app", "--port", "0")
    output = server.wait_for("(Ctrl-C to stop)\n")
    found = re.search(r"serving app 'chariots_test_app' on (http://127\.0\.0\.1:\d+/)", output)
    assert found, output
    url = found[1]

    assert requests.get(f"{url}health_check", timeout=30).json()["status"] == "ok"
    assert requests.get(f"{url}available_pipelines", timeout=30).json() == ["add_one", "add_two"]
    answer = requests.post(f"{url}pipelines/add_one/main", json={"pipeline_input": 41}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["pipeline_output"] == 42

    assert server.terminate() == 0, server.output
    assert server.output.endswith("server stopped\n")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("models.internal", False),
    ],
)
def test_serve_warns_of_open_ports_beyond_loopback(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback
