"""`TestPipelinesClient`: the pipelines client, straight into a server in-process."""

from __future__ import annotations

from chariots_core._transport import FlaskTestTransport
from chariots_core.pipelines import PipelinesServer
from chariots_core.pipelines._client import BasePipelinesClient


class TestPipelinesClient(BasePipelinesClient):
    """The same API as :class:`~chariots_core.pipelines.PipelinesClient`, without a socket: the
    requests go through the Flask test client of ``app`` (with ``token`` as the bearer token,
    when given). For tests and docs."""

    __test__ = False  # not a pytest test class

    def __init__(self, app: PipelinesServer, *, token: str | None = None) -> None:
        super().__init__(FlaskTestTransport(app, token=token))
        self.app = app
