"""The documentation's own Sphinx extension.

- **Services for the examples.** Under the ``doctest`` builder, the examples run against real
  brokers, found as the tests find them (:mod:`chariots_core.testing.services`): a Redis
  (``$CHARIOTS_TEST_REDIS_URL``, else a private ``redis-server`` started for the build and
  stopped by its pid at its end), the RabbitMQ of ``$CHARIOTS_TEST_RABBITMQ_URL`` and the
  PostgreSQL of ``$CHARIOTS_TEST_POSTGRES_URL``. Their URLs reach the pages as the environment
  variables of :data:`SERVICE_ENV` (``None`` in ``doctest_global_setup`` for a service that does
  not answer, so that an example can say ``:skipif: rabbitmq_url is None``); where
  ``$CHARIOTS_TEST_REQUIRE_SERVICES`` is set (CI), a missing service fails the build instead.
- **Set-up blocks written as sessions run where they stand.** A ``testsetup`` or
  ``testcleanup`` block whose code is an interactive session (``>>>`` prompts: the seed page's
  style) runs as a hidden doctest at its place in the page, the page setting things up right
  before the examples that need them; one written as plain code keeps Sphinx's meaning (run
  before, or after, the group's examples).
- **The HTTP API from the servers' own OpenAPI documents.** ``.. chariots-openapi:: pipelines``
  (or ``op-store``) renders the ``/openapi.json`` of a :class:`PipelinesServer` (of the op store
  server) built at build time: a section per route, its parameters, body and answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

#: the environment variables that hand the services' URLs to the pages' examples
SERVICE_ENV = {
    "redis": "CHARIOTS_DOCS_REDIS_URL",
    "rabbitmq": "CHARIOTS_DOCS_RABBITMQ_URL",
    "postgres": "CHARIOTS_DOCS_POSTGRES_URL",
}

#: ``doctest_global_setup``: the services' URLs (``None`` when absent), in every page's namespace
GLOBAL_SETUP = "\n".join(
    f"{name}_url = __import__('os').environ.get({variable!r}) or None"
    for name, variable in SERVICE_ENV.items()
)

_services = contextlib.ExitStack()


# -- services ------------------------------------------------------------------------------------


def start_services(app: Sphinx) -> None:
    """Find (or start) the services, for the doctest builder only."""
    if app.builder.name != "doctest":
        return
    from chariots_core.testing.services import (
        ServiceUnavailable,
        find_postgres,
        find_rabbitmq,
        postgres_schema,
        redis_for_tests,
        services_required,
    )

    os.environ[SERVICE_ENV["redis"]] = _services.enter_context(redis_for_tests())
    for name, find in (("rabbitmq", find_rabbitmq), ("postgres", find_postgres)):
        try:
            url = find()
            if name == "postgres":  # the pages' tables go in a schema of their own
                url = _services.enter_context(postgres_schema(url, "chariots_docs"))
            os.environ[SERVICE_ENV[name]] = url
        except ServiceUnavailable as error:
            if services_required():
                raise RuntimeError(f"the examples need {name}: {error}") from None
            logger.info(f"chariots docs: {error}; the examples that need {name} are skipped")
            os.environ.pop(SERVICE_ENV[name], None)
    logger.info(f"chariots docs: Redis for the examples at {os.environ[SERVICE_ENV['redis']]}")


def stop_services(app: Sphinx, exception: BaseException | None) -> None:
    _services.close()


# -- set-up blocks written as sessions -----------------------------------------------------------


def run_session_setups_in_place(app: Sphinx, doctree: nodes.document) -> None:
    """A ``testsetup``/``testcleanup`` written with ``>>>`` prompts becomes a hidden doctest at
    its place in the page."""
    for node in doctree.findall(nodes.comment):
        kind = node.get("testnodetype")
        if kind in ("testsetup", "testcleanup") and node.astext().lstrip().startswith(">>>"):
            node["testnodetype"] = "doctest"


# -- the HTTP API --------------------------------------------------------------------------------


@contextlib.contextmanager
def _server(which: str) -> Iterator[Any]:
    from chariots_core.op_store import OpStoreServer
    from chariots_core.pipelines import PipelinesServer
    from chariots_core.testing import TestOpStoreClient

    with tempfile.TemporaryDirectory(prefix="chariots-docs-openapi-") as folder:
        op_store_client = TestOpStoreClient(folder)
        if which == "pipelines":
            yield PipelinesServer([], op_store_client=op_store_client, import_name="my_app")
        else:
            server = op_store_client.server
            assert isinstance(server, OpStoreServer)
            yield server


def openapi_document(which: str) -> dict[str, Any]:
    """The ``/openapi.json`` of the pipelines server (``"pipelines"``) or the op store's."""
    with _server(which) as server:
        answer = server.test_client().get("/openapi.json")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        document: dict[str, Any] = answer.get_json()
        return document


def _schema_text(schema: Any) -> list[str]:
    return ["", ".. code-block:: json", ""] + [
        f"   {line}" for line in json.dumps(schema, indent=2, sort_keys=True).splitlines()
    ]


def openapi_rst(document: dict[str, Any], label: str) -> list[str]:
    """reStructuredText of an OpenAPI document: one section per route, then its schemas."""
    lines: list[str] = []
    info = document.get("info", {})
    if info.get("description"):
        lines += [info["description"], ""]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            title = f"``{method.upper()} {path}``"
            lines += [f".. _{label}-{operation['operationId']}:", "", title, "~" * len(title), ""]
            if operation.get("summary"):
                lines += [operation["summary"], ""]
            if operation.get("description"):
                lines += [operation["description"], ""]
            access = operation.get("x-chariots-access")
            if access:
                lines += [f"Token needed (when the server asks for tokens): ``{access}``.", ""]
            parameters = operation.get("parameters", [])
            if parameters:
                lines += ["Parameters:", ""]
                for parameter in parameters:
                    required = "required" if parameter.get("required") else "optional"
                    schema = json.dumps(parameter.get("schema", {}), sort_keys=True)
                    lines.append(
                        f"- ``{parameter['name']}`` ({parameter['in']}, {required}): ``{schema}``"
                    )
                lines.append("")
            body = operation.get("requestBody")
            if body:
                required = "required" if body.get("required") else "optional"
                for media, content in body.get("content", {}).items():
                    lines += [f"Body ({media}, {required}):"]
                    lines += [*_schema_text(content.get("schema", {})), ""]
            lines += ["Answers:", ""]
            for status, response in operation.get("responses", {}).items():
                media_types = ", ".join(response.get("content", {})) or "no body"
                schema = ""
                for content in response.get("content", {}).values():
                    reference = content.get("schema", {}).get("$ref", "")
                    if reference:
                        schema = f", schema ``{reference.rsplit('/', 1)[-1]}``"
                lines.append(f"- **{status}** ({media_types}{schema}): {response['description']}")
            lines.append("")
    schemas = document.get("components", {}).get("schemas", {})
    if schemas:
        title = "Schemas"
        lines += [f".. _{label}-schemas:", "", title, "~" * len(title), ""]
        for name, schema in schemas.items():
            lines += [f"``{name}``:", *_schema_text(schema), ""]
    return lines


class OpenAPIDirective(SphinxDirective):
    """``.. chariots-openapi:: pipelines`` or ``op-store``: that server's routes."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        which = self.arguments[0]
        if which not in ("pipelines", "op-store"):
            raise self.error(f"chariots-openapi takes 'pipelines' or 'op-store', not {which!r}")
        document = openapi_document(which)
        content = StringList()
        for line in openapi_rst(document, which):
            content.append(line, "<chariots-openapi>")
        holder = nodes.section()
        holder.document = self.state.document
        nested_parse_with_titles(self.state, content, holder)
        return holder.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", start_services)
    app.connect("build-finished", stop_services)
    app.connect("doctree-read", run_session_setups_in_place)
    app.add_directive("chariots-openapi", OpenAPIDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
