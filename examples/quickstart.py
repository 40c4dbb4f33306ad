"""Quickstart: the iris app served on a real port; its training submitted as a job, followed node
by node, its model saved and loaded; predictions with species names; the job's record.

Runs on the embedded defaults (SQLite and a local folder in a temporary directory, the embedded
worker pool in this process; no broker). The progress bar and tables are rich's (an example-only
dependency: ``pip install rich``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from werkzeug.serving import WSGIRequestHandler, make_server

sys.path.insert(0, str(Path(__file__).parent))

console = Console()


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, without its access log line for each request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def follow(client: Any, job_id: str, nodes: list[str]) -> Any:
    """Show the job's progress, node by node, until it ends (the server waits: no polling)."""
    columns = (
        TextColumn("[bold]training[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("queued", total=len(nodes))
        while True:
            job = client.get_job(job_id, timeout=0.1)  # answers at the end, or after 0.1 s
            done, total = job.progress or (0, len(nodes))
            current = nodes[done] if job.status.value == "running" and done < total else ""
            progress.update(
                task, completed=done, total=total, description=f"{job.status.value} {current}"
            )
            if job.status.is_finished:
                return job


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["CHARIOTS_HOME"] = home
        import iris_app

        from chariots_core.pipelines import PipelinesClient
        from chariots_core.versioning import Version

        server = make_server(
            "127.0.0.1", 0, iris_app.app, threaded=True, request_handler=QuietRequestHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}"
        console.print(f"iris app served at {url}, with the embedded worker pool")
        try:
            client = PipelinesClient(url)
            submitted = client.call_pipeline(iris_app.train)  # the pipeline asks for a worker
            assert submitted.job_id is not None, submitted
            console.print(f"training submitted as job [bold]{submitted.job_id}[/]")
            nodes = [node.name for node in iris_app.train.nodes]
            job = follow(client, submitted.job_id, nodes)
            assert job.status.value == "done", job.error
            console.print(f"cross-validated accuracy: {job.result}; the model saved by the worker")

            client.load_pipeline(iris_app.predict)
            samples = [[5.1, 3.5, 1.4, 0.2], [6.0, 2.7, 4.5, 1.5], [6.7, 3.0, 5.2, 2.3]]
            species = client.call_pipeline(iris_app.predict, samples).value
            predictions = Table("sepal length", "sepal width", "petal length", "petal width",
                                "predicted species", title="predictions, served")  # fmt: skip
            for sample, name in zip(samples, species, strict=True):
                predictions.add_row(*map(str, sample), f"[bold]{name}[/]")
            console.print(predictions)
            assert species == ["setosa", "versicolor", "virginica"], species

            record = client.get_job(submitted.job_id)
            assert record.started_at is not None
            assert record.finished_at is not None
            seconds = (record.finished_at - record.started_at).total_seconds()
            summary = Table("field", "value", title=f"the record of job {record.id}")
            summary.add_row("status", record.status.value)
            summary.add_row("attempts", str(record.attempts))
            summary.add_row("duration", f"{seconds:.2f} s")
            summary.add_row("worker", str(record.worker_id))
            for node, text in sorted((record.versions_saved or {}).items()):
                version = Version.parse(text)  # major, minor and patch hashes, and a time
                short = ".".join(part[:7] for part in (version.major, version.minor, version.patch))
                summary.add_row(f"trained {node}", f"version {short}")
            console.print(summary)
            assert set(record.versions_saved or {}) == {"pcaop", "logisticop"}, record
        finally:
            server.shutdown()
            thread.join()
            iris_app.app.worker_pool.close()
            iris_app.app.op_store_client.close()
    console.print("quickstart done")


if __name__ == "__main__":
    main()
