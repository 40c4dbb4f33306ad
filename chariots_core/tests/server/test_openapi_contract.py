"""Both servers do what their OpenAPI documents say: schemathesis, every check, both servers.

Each server is built with bearer tokens and seeded (real pipelines; finished jobs of every
ending; saved ops, versions and links), and schemathesis sends what the document allows and what
it forbids (``mode: all``), in-process through WSGI. Any 5xx, an undocumented status, an answer
off its schema, a forbidden input accepted or an allowed one refused fails the test. The run is
bounded (few examples per route, a fixed seed): it is a contract test, not a fuzzing campaign.

The servers are built when this module is imported, in a temporary folder removed when its
tests are done: schemathesis makes one test per route from a schema loaded at import
(``schemathesis.pytest.from_fixture`` would defer that, but fails on pytest 9.2).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st

from chariots_core.jobs import JobStatus
from chariots_core.op_store import OpStore, OpStoreServer
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.versioning import Version

FULL_TOKEN = "contract-full-token-0123456789"
READONLY_TOKEN = "contract-readonly-token-0123456789"
#: examples per route and generation phase: enough to reach every status, quick on 2 cores
MAX_EXAMPLES = 12


class Echo(BaseOp):
    """Gives back its input: any strict JSON in, the same strict JSON out."""

    def execute(self, value: Any) -> Any:
        return value


class Describe(BaseOp):
    """Says what kind of JSON value it was given."""

    def execute(self, value: Any) -> Any:
        return {"type": type(value).__name__, "is_empty": not value}


def _pipeline(name: str, op: BaseOp, use_worker: bool | None = None) -> Pipeline:
    node = Node(op, input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")
    return Pipeline([node], name, use_worker=use_worker)


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20261113,
            "headers": {"Authorization": f"Bearer {FULL_TOKEN}"},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
        }
    )


def seed_hook(seeds: dict[str, list[str]]) -> Any:
    """A ``flatmap_case`` hook: in a case whose every part follows the document, each field of
    ``seeds`` (a path parameter or a key of the JSON body) becomes one of its seeded values or
    stays as generated, so that the run reaches real pipelines, jobs, ops and versions."""

    def swap(case: Any, field: str, values: list[str]) -> st.SearchStrategy[Any]:
        for container in (case.path_parameters, case.body):
            if isinstance(container, dict) and isinstance(container.get(field), str):
                original = container[field]

                def put(chosen: str, container: dict[str, Any] = container) -> Any:
                    container[field] = chosen
                    return case

                return st.sampled_from([*values, original]).map(put)
        return st.just(case)

    def flatmap_case(context: Any, case: Any) -> st.SearchStrategy[Any]:
        strategy: st.SearchStrategy[Any] = st.just(case)
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return strategy  # forbidden data stays forbidden
        for field, values in seeds.items():
            strategy = strategy.flatmap(lambda case, f=field, v=values: swap(case, f, v))
        return strategy

    return flatmap_case


def _pipelines_app(folder: Path) -> PipelinesServer:
    return PipelinesServer(
        [
            _pipeline("echo", Echo()),
            _pipeline("describe", Describe()),
            _pipeline("echo_in_worker", Echo(), use_worker=True),
        ],
        op_store_client=OpStore(path=folder),
        import_name="contract_app",
        worker_pool="embedded",
        api_tokens=[FULL_TOKEN],
        readonly_api_tokens=READONLY_TOKEN,
        max_request_bytes=256 * 1024,
    )


def _seed_jobs(app: PipelinesServer) -> list[str]:
    """Finished jobs of each ending (a finished job answers a wait at once)."""
    store = app.job_store
    assert store is not None
    done = store.create(app.name, "echo")
    store.claim(done.id, "seed-worker")
    store.finish(done.id, "seed-worker", JobStatus.done, result={"seeded": [1, 2.5, None]})
    failed = store.create(app.name, "describe")
    store.claim(failed.id, "seed-worker")
    error: dict[str, str | None] = {"type": "ValueError", "message": "seeded", "traceback": None}
    store.finish(failed.id, "seed-worker", JobStatus.failed, error=error)
    cancelled = store.create(app.name, "echo_in_worker")
    store.cancel(cancelled.id)
    return [done.id, failed.id, cancelled.id]


def _pipelines_schema(app: PipelinesServer) -> Any:
    job_ids = _seed_jobs(app)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=_config())
    schema.hook(seed_hook({"job_id": job_ids}))
    return schema


def _op_store_schema(store: OpStore) -> Any:
    server = OpStoreServer(
        store, api_tokens=FULL_TOKEN, readonly_api_tokens=[READONLY_TOKEN], max_request_bytes=65536
    )
    version = Version(creation_time=1_700_000_000.5).update_major(b"seed")
    upstream = Version(creation_time=1_700_000_001.25).update_minor(b"seed")
    store.save_op_bytes(
        "SeedOp", version, b"\x00seed", class_version=version, training_version=None
    )
    store.save_op_bytes(
        "Upstream", upstream, b"up", class_version=upstream, training_version=version
    )
    store.register_valid_link("SeedOp", version, "Upstream", upstream)
    store.register_new_pipeline("seed_pipeline", ["SeedOp", "Upstream"])
    schema = schemathesis.openapi.from_wsgi("/openapi.json", server, config=_config())
    schema.hook(
        seed_hook(
            {
                "op_name": ["SeedOp", "Upstream"],
                "downstream_op_name": ["SeedOp"],
                "upstream_op_name": ["Upstream"],
                "version": [str(version), str(upstream)],
                "downstream_version": [str(version)],
                "pipeline_name": ["seed_pipeline"],
            }
        )
    )
    return schema


_FOLDER = Path(tempfile.mkdtemp(prefix="chariots-contract-"))
_PIPELINES_APP = _pipelines_app(_FOLDER / "app")
_OP_STORE = OpStore(path=_FOLDER / "op_store")
pipelines_contract = _pipelines_schema(_PIPELINES_APP)
op_store_contract = _op_store_schema(_OP_STORE)


@pytest.fixture(scope="module", autouse=True)
def _servers_are_torn_down() -> Iterator[None]:
    yield
    _PIPELINES_APP.worker_pool.stop_workers()
    _PIPELINES_APP.worker_pool.close()
    _OP_STORE.close()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@pipelines_contract.parametrize()
def test_the_pipelines_server_does_what_its_openapi_document_says(case: Any) -> None:
    case.call_and_validate()


@op_store_contract.parametrize()
def test_the_op_store_server_does_what_its_openapi_document_says(case: Any) -> None:
    case.call_and_validate()
