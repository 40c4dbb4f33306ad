"""Mistakes a user can fix are one line and exit 2; help and listings say what they mean."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chariots_core.cli import main
from chariots_core.jobs import Job
from chariots_core.workers import load_app


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something listens on already."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        yield int(taken.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        "rq://127.0.0.1:{port}/0",
        "celery+redis://127.0.0.1:{port}/0",
        "dramatiq+redis://127.0.0.1:{port}/0",
        "celery+amqp://guest:secret@127.0.0.1:{port}//",
    ],
)
def test_a_worker_on_an_unreachable_broker_says_so_in_one_line_and_exits_2(
    chariots: Any, url: str, closed_port: int
) -> None:
    done = chariots.run(
        "worker", "--app", "chariots_test_app:app", "--pool", url.format(port=closed_port)
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    # the test environment's deliberately broken plugins warn as they are skipped; the error
    # itself is one line, the last, with no traceback
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, done.stderr
    assert done.stderr.rstrip().endswith(lines[0]), done.stderr
    assert lines[0].startswith("Error: ")
    assert f"cannot reach 127.0.0.1:{closed_port}" in lines[0]
    assert "Connection refused" in lines[0]
    assert "secret" not in lines[0]


def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_2(
    chariots: Any, busy_port: int
) -> None:
    done = chariots.run("serve", "--app", "chariots_test_app:app", "--port", str(busy_port))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{busy_port}: Address already in use: another program "
        "uses it (stop it, or give another --port; 0 takes any free)"
    ]


def test_no_command_summary_is_cut_and_limit_and_offset_have_help() -> None:
    listing = CliRunner().invoke(main, ["--help"]).output
    commands = listing.split("Commands:")[1].splitlines()
    assert [line for line in commands if line.rstrip().endswith("...")] == []
    jobs_help = CliRunner().invoke(main, ["jobs", "--help"]).output
    assert re.search(r"--limit INTEGER RANGE\s+How many jobs", jobs_help), jobs_help
    assert re.search(r"--offset INTEGER RANGE\s+How many of the newest jobs", jobs_help), jobs_help


def test_plugins_shows_public_import_paths(chariots: Any) -> None:
    done = chariots.run("plugins")
    assert done.returncode == 0, done.stderr
    assert "pool chariots_core.workers.embedded.EmbeddedWorkerPool (backend 'embedded')" in (
        done.stdout
    )
    paths = re.findall(r"pool (\S+) \(backend", done.stdout)
    assert paths
    assert [path for path in paths if any(part.startswith("_") for part in path.split("."))] == []


def test_jobs_times_carry_their_zone(plugins_folder: Path) -> None:
    store = load_app("chariots_test_app:app").job_store
    assert store is not None
    job: Job = store.create("chariots_test_app", "add_one")
    table = CliRunner().invoke(main, ["jobs", "--app", "chariots_test_app:app"]).output
    row = next(line for line in table.splitlines() if line.startswith(job.id))
    submitted = job.submitted_at.strftime("%Y-%m-%d %H:%M:%S")
    assert f"{submitted}Z" in row, row
