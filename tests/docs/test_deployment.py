"""The deployment page, run: its app module as it is, and the commands of its deployment block as
separate processes on loopback (two ``chariots serve``, two ``chariots worker``), sharing
PostgreSQL (a schema of this test's own), a private Redis (the RQ pool) and an S3-compatible
model store (a local moto server, reached through s3fs as a team reaches S3).

A training submitted through one server runs on one of the workers; both servers answer for the
job, and both serve predictions with the model it trained.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from _polling import eventually
from moto.server import ThreadedMotoServer

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesClient
from chariots_core.testing.services import RedisServer, free_port, postgres_schema
from chariots_rq import RQWorkerPool

PAGE = Path(__file__).parents[2] / "docs" / "deployment.rst"
#: how long the test waits for a process to serve, a worker to listen, or a job to end
DEADLINE = 120.0
_SERVING = re.compile(r"serving app .* on (http://127\.0\.0\.1:\d+)/")


def code_block(caption: str) -> str:
    """The text of the page's code block with this caption, dedented."""
    lines = PAGE.read_text().splitlines()
    start = lines.index(f"   :caption: {caption}") + 2
    block: list[str] = []
    for line in lines[start:]:
        if line and not line.startswith("   "):
            break
        block.append(line[3:])
    return "\n".join(block).strip() + "\n"


@dataclass
class Deployment:
    """What the page's block names, for this test: its environment and its commands."""

    exports: dict[str, str]
    commands: list[list[str]]

    @classmethod
    def from_page(cls) -> Deployment:
        exports: dict[str, str] = {}
        commands: list[list[str]] = []
        for line in code_block("the deployment").splitlines():
            words = shlex.split(line)
            if words[:1] == ["export"]:
                exports.update(word.split("=", 1) for word in words[1:])  # type: ignore[misc]
            elif words[:1] == ["chariots"]:
                commands.append(words)
        return cls(exports, commands)


def on_loopback(command: list[str]) -> list[str]:
    """The command with its address made loopback and its port any free one (never 0.0.0.0)."""
    result = list(command)
    for flag, value in (("--host", "127.0.0.1"), ("--port", "0")):
        if flag in result:
            result[result.index(flag) + 1] = value
    return result


@pytest.fixture
def postgres_schema_url(chariots_postgres_url: str) -> Iterator[str]:
    """A PostgreSQL schema of this test's own (first on the search path), dropped at the end."""
    with postgres_schema(chariots_postgres_url, "chariots_deploy") as url:
        yield url


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto) on a loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


class Processes:
    """The deployment's processes, each logging to a file; stopped (then killed) at the end."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, command: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        script = Path(sys.executable).with_name(command[0])
        log = self.folder / f"process-{len(self.started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(script), *command[1:]],
                cwd=self.folder,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.started.append((process, log))
        return process, log

    def stop_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_the_deployment_page_runs_as_written(
    tmp_path: Path,
    postgres_schema_url: str,
    s3_endpoint: str,
    redis_server: RedisServer,
) -> None:
    page = Deployment.from_page()
    assert set(page.exports) == {
        "IRIS_DATABASE_URL",
        "IRIS_MODELS_URL",
        "CHARIOTS_WORKER_POOL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    }
    assert [command[:2] for command in page.commands] == [["chariots", "serve"]] * 2 + [
        ["chariots", "worker"]
    ] * 2
    (tmp_path / "iris_deploy.py").write_text(code_block("iris_deploy.py"))
    bucket, prefix = page.exports["IRIS_MODELS_URL"].removeprefix("s3://").split("/", 1)
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", **_lower(credentials)
    ).create_bucket(Bucket=bucket)
    pool_url = f"rq://127.0.0.1:{redis_server.port}/0"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHARIOTS_")}
    env.update(
        credentials,
        IRIS_DATABASE_URL=postgres_schema_url,
        IRIS_MODELS_URL=page.exports["IRIS_MODELS_URL"],
        CHARIOTS_WORKER_POOL=pool_url,
        AWS_DEFAULT_REGION="us-east-1",
        FSSPEC_S3_ENDPOINT_URL=s3_endpoint,
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    processes = Processes(tmp_path, env)
    try:
        started = [processes.start(on_loopback(command)) for command in page.commands]
        servers = [
            PipelinesClient(_served_at(process, log), timeout=60) for process, log in started[:2]
        ]
        workers = [process.pid for process, _ in started[2:]]
        pool = RQWorkerPool.from_url(pool_url)
        eventually(lambda: pool.n_workers == 2, DEADLINE, "the two workers listening")

        submitted = servers[0].call_pipeline("train")
        assert submitted.job_id is not None
        done = servers[1].wait_for_job(submitted.job_id, timeout=DEADLINE)
        assert done.job_status is JobStatus.done, servers[1].get_job(submitted.job_id)
        job = servers[0].get_job(submitted.job_id)
        assert job.worker_id is not None
        assert any(f":{pid}:" in job.worker_id for pid in workers), job.worker_id
        assert set(job.versions_saved or {}) == {"pcaop", "logisticop"}

        for server in servers:
            server.load_pipeline("predict")
            assert server.call_pipeline("predict", [[5.1, 3.5, 1.4, 0.2]]).value == [0]
        stored = boto3.client(
            "s3", endpoint_url=s3_endpoint, region_name="us-east-1", **_lower(credentials)
        ).list_objects_v2(Bucket=bucket, Prefix=prefix)
        assert {item["Key"].split("/")[1] for item in stored["Contents"]} == {
            "pcaop",
            "logisticop",
        }
    finally:
        processes.stop_all()
    for process, log in processes.started:
        assert process.returncode == 0, log.read_text()


def _served_at(process: subprocess.Popen[bytes], log: Path) -> str:
    def served() -> str | None:
        assert process.poll() is None, log.read_text()
        match = _SERVING.search(log.read_text())
        return None if match is None else match[1]

    url: str = eventually(served, DEADLINE, "the server serving")
    return url


def _lower(credentials: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
    }
