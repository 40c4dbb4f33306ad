"""The house is one way: imports run down its floors, never up, and a worker loads no web server.

Floors, from the ground up: what everything uses (errors, JSON, versions), the database, the
job and op stores, the pipeline model (ops, nodes, pipelines, runners, callbacks), the workers,
the server (``chariots_core.pipelines``: the Flask app, its routes and clients), and on top what
puts it all together (the command line, the config, the test tools). A package imports only from
floors below its own (or from itself): so no import circle spans two packages.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chariots_core

SOURCE = Path(chariots_core.__file__).parent

#: each package (or top-level module) of chariots_core, by floor
FLOORS: dict[str, int] = {
    "__init__": 0,
    "errors": 0,
    "_json": 1,
    "_optional": 1,
    "versioning": 1,
    "database": 2,
    "jobs": 3,
    "_transport": 3,
    "_serving": 3,
    "op_store": 4,
    "pipeline_model": 5,
    "ml": 6,
    "workers": 7,
    "pipelines": 8,
    "config": 9,
    "testing": 9,
    "_cli_checks": 9,
    "new_project": 9,
    "_new_command": 10,
    "cli": 11,
}

#: the web server's libraries, which the packages a worker process loads never import (the op
#: store's own HTTP server and client, and the JSON API base, are loaded only when used: see
#: test_a_worker_process_loads_no_web_server)
WEB = ("flask", "werkzeug")
WITHOUT_WEB = {
    "errors", "_json", "_optional", "versioning", "database", "jobs", "pipeline_model", "ml",
    "workers",
}  # fmt: skip


def _package_of(path: Path) -> str:
    first = path.relative_to(SOURCE).parts[0]
    return first.removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    module = ".".join(("chariots_core", *path.relative_to(SOURCE).with_suffix("").parts))
    return _imports_in(path.read_text(encoding="utf-8"), module)


def _imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """Every module ``source`` imports, anywhere in it (in functions, under TYPE_CHECKING);
    relative imports resolved against ``package``."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's package
                base = package.rsplit(".", node.level)[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def _sources() -> list[Path]:
    return sorted(path for path in SOURCE.rglob("*.py") if "project_template" not in path.parts)


def test_every_package_has_a_floor() -> None:
    assert {_package_of(path) for path in _sources()} <= set(FLOORS)


def test_imports_run_down_the_floors() -> None:
    """No import of one package reaches a package on its own floor or above, and none of the
    packages a worker process loads imports a web library."""
    upward = []
    for path in _sources():
        package = _package_of(path)
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] in WEB and package in WITHOUT_WEB:
                upward.append(f"{path.relative_to(SOURCE)}:{line} imports {module}")
            if parts[0] != "chariots_core" or len(parts) == 1:
                continue
            target = parts[1]
            if target != package and FLOORS[target] >= FLOORS[package]:
                upward.append(f"{path.relative_to(SOURCE)}:{line} imports {module}")
    assert upward == []


def test_the_check_sees_imports_in_functions_and_relative_ones() -> None:
    """Imports inside functions (the way a circle used to be dodged) and under TYPE_CHECKING
    count as much as the others."""
    source = textwrap.dedent(
        """
        from typing import TYPE_CHECKING
        from . import _base
        if TYPE_CHECKING:
            import flask
        def f():
            from chariots_core.pipelines import PipelinesServer
        """
    )
    names = [name for _, name in _imports_in(source, "chariots_core.workers._runtime")]
    assert names == ["typing", "chariots_core.workers", "flask", "chariots_core.pipelines"]


_WORKER_PROCESS = textwrap.dedent(
    """
    import sys
    import tempfile
    from dataclasses import dataclass, field
    from pathlib import Path

    import chariots_core.jobs
    import chariots_core.workers
    import chariots_core.workers.kit

    def web():
        return sorted(name for name in sys.modules
                      if name.split(".")[0] in ("flask", "werkzeug")
                      or name.startswith("chariots_core.pipelines"))

    print("after import", web())

    # and later: a job recorded, queued on the embedded pool and run by its worker
    import pkgutil
    for info in pkgutil.walk_packages(chariots_core.workers.__path__, "chariots_core.workers."):
        __import__(info.name)
    from chariots_core.jobs import JobMessage, JobOptions, JobStatus, JobStore
    from chariots_core.op_store import OpStore
    from chariots_core.op_store.savers import FileSaver
    from chariots_core.pipeline_model import Pipeline
    from chariots_core.pipeline_model.nodes import Node
    from chariots_core.pipeline_model.ops import BaseOp
    from chariots_core.pipeline_model.runners import SequentialRunner
    from chariots_core.workers import PoolContext, WorkerApp, register_app
    from chariots_core.workers.embedded import EmbeddedWorkerPool
    from chariots_core.workers.kit.processes import lose_jobs_of_process

    class AddOne(BaseOp):
        def execute(self, number):
            return number + 1

    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'chariots.db'}"

    @dataclass(eq=False)
    class App:
        name: str
        job_store: JobStore
        op_store_client: OpStore
        pipelines: dict
        runner: SequentialRunner = field(default_factory=SequentialRunner)
        default_pipeline_callbacks: list = field(default_factory=list)

    pipeline = Pipeline(
        [Node(AddOne(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")],
        "add_one",
    )
    app = App("no_server", JobStore(url), OpStore(url, FileSaver(folder / "ops")),
              {"add_one": pipeline})
    assert isinstance(app, WorkerApp)
    register_app(app)
    pool = EmbeddedWorkerPool(autostart=0)
    pool.attach(PoolContext(app.name, job_store=app.job_store))
    message = JobMessage("job-1", app.name, "add_one", 41, JobOptions())
    app.job_store.create_for(message, queued_by=pool)
    pool.submit(message)
    pool.start_workers(1)
    job = app.job_store.wait("job-1", 30)
    pool.stop_workers()
    lose_jobs_of_process(999999)
    print("job", job.status.value, job.result)
    print(job.error, file=sys.stderr)  # what failed, if it did
    print("after a job", web())
    """
)


def test_a_worker_process_loads_no_web_server(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WORKER_PROCESS],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "after import []" in lines
    assert "job done 42" in lines
    assert "after a job []" in lines


def test_the_server_still_stands_where_the_original_had_it() -> None:
    from chariots_core.pipeline_model import Pipeline
    from chariots_core.pipeline_model.nodes import Node
    from chariots_core.pipelines import Pipeline as ServedPipeline
    from chariots_core.pipelines import PipelinesClient, PipelinesServer
    from chariots_core.pipelines.nodes import Node as ServedNode
    from chariots_core.pipelines.pipelines_client import AbstractPipelinesClient
    from chariots_core.pipelines.pipelines_server import PipelinesServer as Original

    assert ServedPipeline is Pipeline
    assert ServedNode is Node
    assert Original is PipelinesServer
    assert issubclass(PipelinesClient, AbstractPipelinesClient)


def test_load_app_refuses_what_is_no_app() -> None:
    """What ``chariots worker --app`` names must be an app (what a worker needs of one)."""
    from chariots_core.workers import load_app

    with pytest.raises(ValueError, match="is a function, not a PipelinesServer"):
        load_app("json:dumps")
