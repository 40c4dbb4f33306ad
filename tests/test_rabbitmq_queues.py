"""Celery and Dramatiq pools on one RabbitMQ: by default each has a queue of its own, and a queue
that exists with other arguments than a pool's is refused in one line (submit, ``start_workers``,
the server's 503, ``chariots worker``) naming the queue, the vhost and the option choosing another.

The default-names test needs a vhost of its own (the defaults are shared names): it makes one
through RabbitMQ's management API when that answers, else with ``rabbitmqctl`` (a local broker),
and deletes it at the end; it skips, saying why, when neither can. The other tests use queue
names of their own on the default vhost.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pika
import pytest

from chariots_celery import CeleryWorkerPool
from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing import TestOpStoreClient
from chariots_core.testing.doc_ops import is_odd_pipeline
from chariots_core.workers import BaseWorkerPool
from chariots_core.workers.kit import QueueConflict
from chariots_dramatiq import DramatiqWorkerPool

#: seconds a job or a command has to end
DEADLINE = 60.0
#: the management API's port (the plugin ``rabbitmq_management``)
MANAGEMENT_PORT = 15672
APP_MODULE = """
import os
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing import TestOpStoreClient
from chariots_core.testing.doc_ops import is_odd_pipeline

app = PipelinesServer(
    [is_odd_pipeline], op_store_client=TestOpStoreClient(os.environ["QUEUES_TEST_STORE"]),
    import_name="queues_test_app", worker_pool=os.environ["QUEUES_TEST_POOL"],
)
"""


class _Management:
    """RabbitMQ's management API, with the test URL's user."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.base = f"http://{parts.hostname}:{MANAGEMENT_PORT}/api"
        self.user = parts.username or "guest"
        credentials = f"{self.user}:{parts.password or 'guest'}".encode()
        self.authorization = f"Basic {base64.b64encode(credentials).decode()}"

    def call(self, method: str, path: str, body: object = None) -> None:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Authorization", self.authorization)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=5) as answer:
            answer.read()

    def answers(self) -> bool:
        try:
            self.call("GET", "/overview")
        except (OSError, urllib.error.URLError):
            return False
        return True


def _rabbitmqctl(*args: str) -> bool:
    command = shutil.which("rabbitmqctl")
    if command is None:
        return False
    try:
        done = subprocess.run([command, *args], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture
def fresh_vhost(chariots_rabbitmq_url: str) -> Iterator[str]:
    """The test RabbitMQ's URL on a vhost of this test's own, deleted at the end."""
    name = f"chariots-test-{uuid.uuid4().hex[:12]}"
    parts = urlsplit(chariots_rabbitmq_url)
    management = _Management(chariots_rabbitmq_url)
    delete: Callable[[], object]
    if management.answers():
        management.call("PUT", f"/vhosts/{quote(name, safe='')}")
        delete = lambda: management.call("DELETE", f"/vhosts/{quote(name, safe='')}")  # noqa: E731
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        management.call(
            "PUT", f"/permissions/{quote(name, safe='')}/{management.user}", permissions
        )
    elif parts.hostname in ("127.0.0.1", "localhost", "::1") and _rabbitmqctl("add_vhost", name):
        delete = lambda: _rabbitmqctl("delete_vhost", name)  # noqa: E731
        user = parts.username or "guest"
        assert _rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
    else:
        pytest.skip(
            f"cannot make a RabbitMQ vhost: no management API on port {MANAGEMENT_PORT}, and no "
            "rabbitmqctl that reaches a local broker"
        )
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        delete()


def _app(pool: BaseWorkerPool | str, store: Path) -> PipelinesServer:
    name = f"queues_test_app_{uuid.uuid4().hex[:8]}"
    return PipelinesServer(
        [is_odd_pipeline],
        op_store_client=TestOpStoreClient(store),
        import_name=name,
        worker_pool=pool,
    )


def test_a_celery_pool_then_a_dramatiq_pool_on_one_vhost_each_run_a_job(
    fresh_vhost: str, tmp_path: Path
) -> None:
    celery_pool = CeleryWorkerPool.from_url(f"celery+{fresh_vhost}")
    dramatiq_pool = DramatiqWorkerPool.from_url(f"dramatiq+{fresh_vhost}")
    try:
        assert (celery_pool.queue.name, dramatiq_pool.queue) == (
            "chariots-celery",
            "chariots-dramatiq",
        )
        for pool in (celery_pool, dramatiq_pool):
            app = _app(pool, tmp_path / pool.backend)
            pool.start_workers(1)
            job = app.submit_job("simple_pipeline", 3)
            ended = app.wait_for_job(job.id, DEADLINE)
            assert (ended.status, ended.result) == (JobStatus.done, True), pool.describe()
            pool.stop_workers()
    finally:
        celery_pool.close()
        dramatiq_pool.close()


def _taken_arguments(backend: str, queue: str) -> dict[str, object]:
    """What "another program" declared the queue with: RabbitMQ's answer then names the one
    argument that differs from the pool's, ``x-max-priority`` (Celery's pool: 3; Dramatiq's: 10,
    with its dead-letter arguments)."""
    if backend == "celery":
        return {"x-max-priority": 9}
    dead_letters = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{queue}.XQ"}
    return {**dead_letters, "x-max-priority": 9}


@pytest.fixture(params=["celery", "dramatiq"])
def taken_queue(
    request: pytest.FixtureRequest, chariots_rabbitmq_url: str
) -> Iterator[tuple[str, str]]:
    """``(backend, pool URL)``: a pool's URL on a queue of this test's own, declared already with
    other arguments than the pool's; the queue (and what the pool declared) go at the end."""
    backend: str = request.param
    queue = f"chariots_test_{uuid.uuid4().hex[:12]}"
    root = urlsplit(chariots_rabbitmq_url)._replace(path="/").geturl()  # pika's "/"
    connection = pika.BlockingConnection(pika.URLParameters(root))
    try:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True, arguments=_taken_arguments(backend, queue))
        yield backend, f"{backend}+{chariots_rabbitmq_url}?queue={queue}"
        channel = connection.channel() if channel.is_closed else channel
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            channel.queue_delete(name)
        channel.exchange_delete(queue)  # Celery's, of the queue's name
    finally:
        connection.close()


def _conflict_line(url: str) -> str:
    queue = url.rpartition("?queue=")[2]
    return (
        f"RabbitMQ queue {queue!r} in vhost '/' exists with another 'x-max-priority' than this "
        "pool's (another program declared it: another backend's pool, or one with other "
        "options); choose another queue name: ?queue=NAME in the pool's URL, or the keyword "
        "queue=NAME"
    )


def _pool(backend: str, url: str) -> CeleryWorkerPool | DramatiqWorkerPool:
    return (CeleryWorkerPool if backend == "celery" else DramatiqWorkerPool).from_url(url)


def test_a_queue_declared_with_other_arguments_is_refused_in_one_line(
    taken_queue: tuple[str, str], tmp_path: Path
) -> None:
    backend, url = taken_queue
    pool = _pool(backend, url)
    app = _app(pool, tmp_path / "store")
    try:
        with pytest.raises(QueueConflict) as starting:
            pool.start_workers(1)
        assert str(starting.value) == _conflict_line(url)
        assert (starting.value.name, starting.value.vhost) == (url.rpartition("=")[2], "/")

        with pytest.raises(WorkerPoolError) as submitting:
            app.submit_job("simple_pipeline", 3)
        assert str(submitting.value).endswith(f"QueueConflict: {_conflict_line(url)}")

        body = {"pipeline_input": 3, "use_worker": True}
        answer = app.test_client().post("/pipelines/simple_pipeline/main", json=body)
        assert answer.status_code == 503
        assert answer.get_json()["message"].endswith(_conflict_line(url))
    finally:
        pool.close()


def test_chariots_worker_exits_with_the_line(taken_queue: tuple[str, str], tmp_path: Path) -> None:
    _, url = taken_queue
    (tmp_path / "queues_test_app.py").write_text(APP_MODULE)
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHARIOTS_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")]),
        QUEUES_TEST_STORE=str(tmp_path / "store"),
        QUEUES_TEST_POOL=url,
    )
    chariots = Path(sys.executable).with_name("chariots")
    for concurrency in ("1", "2"):
        args = ["worker", "--app", "queues_test_app:app", "--concurrency", concurrency]
        done = subprocess.run(
            [str(chariots), *args], env=env, capture_output=True, text=True, timeout=DEADLINE
        )
        output = done.stdout + done.stderr
        assert done.returncode == 1, output
        assert f"Error: {_conflict_line(url)}\n" in done.stderr, output
        assert "Traceback" not in output, output
