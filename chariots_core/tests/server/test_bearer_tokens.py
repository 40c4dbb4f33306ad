"""Bearer tokens on both servers: who may read, who may write, rotation, and the clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _loopback_server import serving

from chariots_core._serving import ApiTokens
from chariots_core.errors import Forbidden, Unauthorized
from chariots_core.op_store import OpStore, OpStoreClient, OpStoreServer
from chariots_core.pipelines import Pipeline, PipelinesClient, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestPipelinesClient
from chariots_core.versioning import Version

FULL = "full-token-aaaaaaaaaaaaaaaa"
NEXT_FULL = "full-token-bbbbbbbbbbbbbbbb"
READONLY = "readonly-token-cccccccccccc"
VERSION = Version(creation_time=1_700_000_000.5).update_major(b"v")


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


@pytest.fixture(autouse=True)
def _no_tokens_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARIOTS_API_TOKENS", raising=False)
    monkeypatch.delenv("CHARIOTS_API_READONLY_TOKENS", raising=False)
    monkeypatch.delenv("CHARIOTS_WORKER_POOL", raising=False)


def _app(tmp_path: Path, **tokens: Any) -> PipelinesServer:
    node = Node(AddOne(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")
    return PipelinesServer(
        [Pipeline([node], "add_one")],
        op_store_client=OpStore(path=tmp_path),
        import_name="token_app",
        **tokens,
    )


@pytest.fixture
def app(tmp_path: Path) -> Iterator[PipelinesServer]:
    app = _app(tmp_path, api_tokens=[FULL, NEXT_FULL], readonly_api_tokens=READONLY)
    yield app
    if app.has_worker_pool:
        app.worker_pool.stop_workers()
        app.worker_pool.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_a_401_with_a_bearer_challenge(app: PipelinesServer) -> None:
    http = app.test_client()
    for method, path in [
        ("get", "/available_pipelines"),
        ("post", "/pipelines/add_one/main"),
        ("post", "/pipelines/add_one/save"),
        ("get", "/jobs"),
        ("get", "/jobs/abc"),
    ]:
        answer = getattr(http, method)(path)
        assert answer.status_code == 401, (method, path)
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="chariots"'
        assert answer.get_json()["error"] == "Unauthorized"


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {FULL}x", f"Bearer {FULL[:-1]}", "Bearer ", f"Basic {FULL}", FULL, "Bearer é"],
)
def test_a_wrong_token_is_a_401_saying_it_is_invalid(
    app: PipelinesServer, authorization: str
) -> None:
    answer = app.test_client().get("/jobs", headers={"Authorization": authorization})
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["WWW-Authenticate"]


def test_health_check_and_openapi_need_no_token(app: PipelinesServer) -> None:
    http = app.test_client()
    assert http.get("/health_check").status_code == 200
    document = http.get("/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    save = document["paths"]["/pipelines/{pipeline_name}/save"]["post"]
    assert save["security"] == [{"bearer": []}]
    assert {"401", "403"} <= set(save["responses"])
    assert document["paths"]["/health_check"]["get"]["security"] == []


def test_both_full_tokens_are_accepted_during_a_rotation(app: PipelinesServer) -> None:
    http = app.test_client()
    for token in (FULL, NEXT_FULL):
        assert http.post("/pipelines/add_one/save", headers=_bearer(token)).status_code == 200
        answer = http.post(
            "/pipelines/add_one/main", json={"pipeline_input": 1}, headers=_bearer(token)
        )
        assert answer.get_json()["pipeline_output"] == 2


def test_a_readonly_token_calls_and_reads_but_does_not_write(app: PipelinesServer) -> None:
    http = app.test_client()
    headers = _bearer(READONLY)
    answer = http.post("/pipelines/add_one/main", json={"pipeline_input": 1}, headers=headers)
    assert answer.status_code == 200
    assert http.post("/pipelines/add_one/versions", headers=headers).status_code == 200
    assert http.get("/jobs", headers=headers).status_code == 200
    assert http.get("/jobs/feed", headers=headers).status_code == 404  # read, found nothing
    for path in ("/pipelines/add_one/save", "/pipelines/add_one/load", "/jobs/feed/cancel"):
        answer = http.post(path, headers=headers)
        assert answer.status_code == 403, path
        assert answer.get_json()["error"] == "Forbidden"


def test_tokens_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARIOTS_API_TOKENS", f"{FULL}, {NEXT_FULL}")
    monkeypatch.setenv("CHARIOTS_API_READONLY_TOKENS", READONLY)
    http = _app(tmp_path).test_client()
    assert http.get("/jobs").status_code == 401
    assert http.get("/jobs", headers=_bearer(NEXT_FULL)).status_code == 200
    assert http.post("/pipelines/add_one/save", headers=_bearer(READONLY)).status_code == 403
    # an argument wins over the environment, even an empty one
    assert (
        _app(tmp_path, api_tokens=[], readonly_api_tokens=[]).test_client().get("/jobs").status_code
        == 200
    )


def test_without_tokens_every_route_is_open(tmp_path: Path) -> None:
    app = _app(tmp_path)
    assert not app.api_tokens.enabled
    assert app.test_client().post("/pipelines/add_one/save").status_code == 200
    assert "securitySchemes" not in app.openapi["components"]


@pytest.mark.parametrize(
    ("tokens", "complaint"),
    [(["k3y9"], "shorter than 16"), (["has space in it, long enough"], "characters")],
)
def test_malformed_tokens_are_refused_without_being_shown(
    tmp_path: Path, tokens: list[str], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint) as error:
        _app(tmp_path, api_tokens=tokens)
    assert tokens[0] not in str(error.value)
    assert "api_tokens" in str(error.value)


def test_tokens_are_never_shown() -> None:
    tokens = ApiTokens.configure([FULL], [READONLY], environ={})
    assert FULL not in repr(tokens)
    assert repr(tokens) == "ApiTokens(full=1, readonly=1)"


def test_the_pipelines_clients_send_their_token(app: PipelinesServer) -> None:
    with pytest.raises(Unauthorized, match="needs a token"):
        TestPipelinesClient(app).call_pipeline("add_one", 1)
    assert TestPipelinesClient(app, token=NEXT_FULL).call_pipeline("add_one", 1).value == 2
    readonly = TestPipelinesClient(app, token=READONLY)
    assert readonly.call_pipeline("add_one", 2).value == 3
    with pytest.raises(Forbidden, match="read-only token"):
        readonly.save_pipeline("add_one")
    with serving(app) as url:
        client = PipelinesClient(url, token=FULL)
        assert client.call_pipeline("add_one", 41).value == 42
        assert FULL not in repr(client)
        assert FULL not in repr(client._transport)
        client.save_pipeline("add_one")
        client.close()
        with pytest.raises(Unauthorized, match="not valid"):
            PipelinesClient(url, token="not-the-right-token-at-all").available_pipelines()


def test_the_op_store_server_takes_tokens_and_its_client_sends_them(tmp_path: Path) -> None:
    store = OpStore(path=tmp_path)
    server = OpStoreServer(store, api_tokens=FULL, readonly_api_tokens=[READONLY])
    http = server.test_client()
    assert http.get("/v1/health_check").status_code == 200
    assert http.get("/openapi.json").status_code == 200
    assert http.post("/v1/pipeline_exists", json={"pipeline_name": "p"}).status_code == 401
    with serving(server) as url:
        writer = OpStoreClient(url, token=FULL)
        writer.save_op_bytes("op", VERSION, b"bytes", class_version=VERSION, training_version=None)
        writer.register_new_pipeline("p", ["op"])
        reader = OpStoreClient(url, token=READONLY)
        assert reader.get_op_bytes_for_version("op", VERSION) == b"bytes"
        assert reader.pipeline_exists("p")
        with pytest.raises(Forbidden):
            reader.save_op_bytes("op", VERSION, b"x", class_version=VERSION, training_version=None)
        with pytest.raises(Forbidden):
            reader.register_valid_link("op", VERSION, "op", VERSION)
        with pytest.raises(Forbidden):
            reader.register_new_pipeline("q", ["op"])
        with pytest.raises(Unauthorized):
            OpStoreClient(url).pipeline_exists("p")
        for client in (writer, reader):
            client.close()
    store.close()


def test_a_pipelines_server_reaches_a_guarded_op_store_with_its_token(tmp_path: Path) -> None:
    store = OpStore(path=tmp_path / "store")
    with serving(OpStoreServer(store, api_tokens=FULL)) as url:
        node = Node(
            AddOne(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__"
        )
        app = PipelinesServer(
            [Pipeline([node], "add_one")],
            op_store_client=OpStoreClient(url, token=FULL),
            import_name="remote_store_app",
            job_store=f"sqlite:///{tmp_path / 'jobs.db'}",
        )
        client = TestPipelinesClient(app)
        client.save_pipeline("add_one")
        client.load_pipeline("add_one")
        assert store.pipeline_exists("add_one")
    store.close()
