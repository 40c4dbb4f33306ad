"""`HttpOpStoreClient`: the op store API spoken over HTTP to an :class:`OpStoreServer`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

from chariots_core._transport import (
    HttpResponse,
    RequestsTransport,
    Transport,
    error_from_response,
)
from chariots_core.errors import OpNotFound, RemoteError
from chariots_core.op_store._base_client import (
    BaseOpStoreClient,
    OpOrName,
    SavedOpVersion,
    link_arguments,
    op_name_of,
    pipeline_arguments,
    save_arguments,
    validated_links_arguments,
)
from chariots_core.op_store._names import parse_version
from chariots_core.op_store._wire import saved_op_version_from_json
from chariots_core.versioning import Version


class HttpOpStoreClient(BaseOpStoreClient):
    """The op store API over any :class:`Transport`; errors come back as chariots errors.

    A 404 raises :class:`~chariots_core.errors.OpNotFound`, a 400
    :class:`~chariots_core.errors.BadRequest`, anything else unexpected
    :class:`~chariots_core.errors.RemoteError` with the status.
    """

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def close(self) -> None:
        self.transport.close()

    def _post(
        self,
        route: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        response = self.transport.post(route, json_body=json_body, data=data, params=params)
        if not response.ok:
            raise error_from_response(response, not_found=OpNotFound)
        return response

    def _post_json(self, route: str, json_body: Any) -> Any:
        answer = self.transport.call("POST", route, json_body, not_found=OpNotFound)
        if not isinstance(answer, dict):
            raise RemoteError(f"{route} answered {answer!r}, not a JSON object", 502)
        return answer

    def get_all_versions_of_op(self, op_name: OpOrName) -> list[SavedOpVersion]:
        answer = self._post_json("/v1/get_all_versions_of_op", {"op_name": op_name_of(op_name)})
        return [saved_op_version_from_json(item) for item in answer["versions"]]

    def get_latest_versions(self, op_names: Sequence[str]) -> dict[str, SavedOpVersion]:
        answer = self._post_json("/v1/get_latest_versions", {"op_names": list(op_names)})
        return {
            str(name): saved_op_version_from_json(item) for name, item in answer["versions"].items()
        }

    def get_op_bytes_for_version(self, op_name: OpOrName, version: Version) -> bytes:
        body = {"op_name": op_name_of(op_name), "version": str(version)}
        return self._post("/v1/get_op_bytes_for_version", json_body=body).body

    def save_op_bytes(
        self,
        op_name: OpOrName,
        version: Version,
        op_bytes: bytes,
        *,
        class_version: Version | None = None,
        training_version: Version | None = None,
    ) -> None:
        class_version = save_arguments(op_name, version, class_version)
        params = {
            "op_name": op_name_of(op_name),
            "version": str(version),
            "class_version": str(class_version),
        }
        if training_version is not None:
            params["training_version"] = str(training_version)
        self._post("/v1/save_op_bytes", data=bytes(op_bytes), params=params)

    def register_valid_link(
        self,
        downstream_op_name: OpOrName | None,
        downstream_version: Version | OpOrName | None = None,
        upstream_op_name: OpOrName | Version | None = None,
        upstream_version: Version | None = None,
        *,
        upstream_op_version: Version | None = None,
    ) -> None:
        down, down_version, up, up_version = link_arguments(
            downstream_op_name,
            downstream_version,
            upstream_op_name,
            upstream_version,
            upstream_op_version,
        )
        self._post_json(
            "/v1/register_valid_link",
            {
                "downstream_op_name": down,
                "downstream_version": None if down_version is None else str(down_version),
                "upstream_op_name": up,
                "upstream_version": str(up_version),
            },
        )

    def get_validated_links(
        self,
        downstream_op_name: OpOrName,
        downstream_version: Version | OpOrName | None = None,
        upstream_op_name: OpOrName | None = None,
    ) -> set[Version]:
        down, down_version, up = validated_links_arguments(
            downstream_op_name, downstream_version, upstream_op_name
        )
        answer = self._post_json(
            "/v1/get_validated_links",
            {
                "downstream_op_name": down,
                "downstream_version": None if down_version is None else str(down_version),
                "upstream_op_name": up,
            },
        )
        return {parse_version(item) for item in answer["upstream_versions"]}

    def register_new_pipeline(
        self, pipeline_name: Any, op_names: Sequence[str] | None = None
    ) -> None:
        pipeline_name, op_names = pipeline_arguments(pipeline_name, op_names)
        self._post_json(
            "/v1/register_new_pipeline",
            {"pipeline_name": pipeline_name, "op_names": list(op_names)},
        )

    def pipeline_exists(self, pipeline_name: str) -> bool:
        answer = self._post_json("/v1/pipeline_exists", {"pipeline_name": pipeline_name})
        return bool(answer["exists"])


class OpStoreClient(HttpOpStoreClient):
    """The op store of an :class:`OpStoreServer` at ``url`` (e.g. ``http://models:5001``).

    ``token``: the bearer token to send, for a server started with tokens; a pipelines server
    needs a full (not read-only) token, as it saves models and registers its pipelines.
    """

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        timeout: float | None = 60.0,
        token: str | None = None,
    ) -> None:
        super().__init__(RequestsTransport(url, session=session, timeout=timeout, token=token))
        self.url = url

    def __repr__(self) -> str:
        return f"OpStoreClient({self.url!r})"
