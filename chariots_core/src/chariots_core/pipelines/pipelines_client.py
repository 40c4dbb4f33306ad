"""The original chariots' module of the pipelines clients: :class:`PipelinesClient` (over HTTP)
and :class:`AbstractPipelinesClient`, the original's name of the client base class (here an alias
of :class:`~chariots_core.pipelines.BasePipelinesClient`, which speaks through a transport)."""

from chariots_core.pipelines._client import BasePipelinesClient, PipelinesClient

#: the original chariots' name of the clients' base class
AbstractPipelinesClient = BasePipelinesClient

__all__ = ["AbstractPipelinesClient", "BasePipelinesClient", "PipelinesClient"]
