"""`ChariotsConfig`: the pipelines, workers and op store configurations, from a file or Python."""

from __future__ import annotations

import os
from typing import Any

from chariots_core._optional import import_optional
from chariots_core.config._op_store_config import DEFAULT_DB_URL, OpStoreConfig
from chariots_core.config._pipelines_config import PipelinesConfig
from chariots_core.config._workers_config import WorkersConfig
from chariots_core.op_store import OpStoreClient, OpStoreServer
from chariots_core.pipelines import PipelinesClient, PipelinesServer
from chariots_core.workers import BaseWorkerPool

#: the sections of a configuration file, and the configuration each makes
SECTIONS = {
    "pipelines": PipelinesConfig,
    "pipelines_workers": WorkersConfig,
    "op_store": OpStoreConfig,
}


class ChariotsConfig:
    """A whole app's configuration: ``pipelines_config``, ``pipelines_workers_config`` and
    ``op_store_config``.

    Read from the YAML file ``config_file`` (sections ``pipelines``, ``pipelines_workers`` and
    ``op_store``, each the keyword arguments of its configuration class), or given in Python; a
    configuration given in Python replaces the file's section. A missing ``pipelines`` or
    ``pipelines_workers`` section is the default configuration; a missing ``op_store`` section
    is an error when the op store is first needed.
    """

    def __init__(
        self,
        config_file: str | os.PathLike[str] | None = None,
        pipelines_config: PipelinesConfig | None = None,
        pipelines_worker_config: WorkersConfig | None = None,
        op_store_config: OpStoreConfig | None = None,
    ) -> None:
        sections = {} if config_file is None else read_config_file(config_file)
        self.pipelines_config: PipelinesConfig = pipelines_config or PipelinesConfig(
            **sections.get("pipelines", {})
        )
        self.pipelines_workers_config: WorkersConfig = pipelines_worker_config or WorkersConfig(
            **sections.get("pipelines_workers", {})
        )
        self._op_store_config = op_store_config
        if op_store_config is None and "op_store" in sections:
            self._op_store_config = OpStoreConfig(**sections["op_store"])

    @property
    def op_store_config(self) -> OpStoreConfig:
        if self._op_store_config is None:
            raise ValueError("this configuration has no op_store section")
        return self._op_store_config

    @op_store_config.setter
    def op_store_config(self, value: OpStoreConfig) -> None:
        self._op_store_config = value

    def get_pipelines_client(self) -> PipelinesClient:
        return self.pipelines_config.get_client()

    def get_pipelines_server(self) -> PipelinesServer:
        """The pipelines server: the configured pipelines, runner, callbacks and worker pool,
        on the op store server's client (and, when the op store's database is not in memory,
        its jobs in that database)."""
        db_url = self.op_store_config.op_store_db_url
        return PipelinesServer(
            self.pipelines_config.pipelines,
            op_store_client=self.get_op_store_client(),
            import_name=self.pipelines_config.import_name or "chariots_app",
            runner=self.pipelines_config.get_runner(),
            default_pipeline_callbacks=self.pipelines_config.pipeline_callbacks,
            worker_pool=self.pipelines_workers_config.worker_pool_spec,
            use_workers=self.pipelines_workers_config.use_for_all or None,
            job_store=None if db_url == DEFAULT_DB_URL else db_url,
        )

    def get_op_store_server(self) -> OpStoreServer:
        return self.op_store_config.get_server()

    def get_op_store_client(self) -> OpStoreClient:
        return self.op_store_config.get_client()

    def get_pipelines_worker_pool(self) -> BaseWorkerPool:
        return self.pipelines_workers_config.get_worker_pool()


def read_config_file(config_file: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The sections of a YAML configuration file, checked (PyYAML: ``chariots-core[yaml]``)."""
    yaml = import_optional("yaml", "yaml", "reading a configuration file")
    with open(config_file, encoding="utf-8") as file:
        content = yaml.safe_load(file)
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ValueError(f"{config_file}: a configuration file holds a mapping of sections")
    unknown = sorted(set(content) - set(SECTIONS))
    if unknown:
        raise ValueError(
            f"{config_file}: unknown sections {unknown} (sections: {', '.join(SECTIONS)})"
        )
    for name, section in content.items():
        if not isinstance(section, dict):
            raise ValueError(f"{config_file}: section {name!r} must be a mapping of settings")
    return content
