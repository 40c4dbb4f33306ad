"""An app's whole configuration in one place, read from a YAML file as the original chariots did.

.. code-block:: yaml

    op_store:
      op_store_db_url: sqlite:////var/lib/myapp/chariots.db
      saver_type: file-saver
      saver_kwargs:
        root_path: /var/lib/myapp/ops
      server_host: localhost
      server_port: 5001
    pipelines:
      import_name: myapp
      runner: sequential-runner
      server_host: localhost
      server_port: 5000
    pipelines_workers:
      use_for_all: false
      worker_type: rq://localhost:6379/0

``ChariotsConfig("config.yaml")`` reads it (PyYAML: ``pip install 'chariots-core[yaml]'``); the
pipelines themselves and the callbacks are added in Python
(``config.pipelines_config.pipelines.append(...)``). ``worker_type`` takes any installed worker
pool backend's name (``embedded``, ``rq``...), a pool URL, or ``package.module:Class``, resolved
by :func:`chariots_core.workers.get_worker_pool`: the config file's way to choose a backend by a
string, beside ``$CHARIOTS_WORKER_POOL``. Then ``get_pipelines_server()``,
``get_op_store_server()`` and the clients' getters build what the file describes.
"""

from chariots_core.config._chariots_config import ChariotsConfig
from chariots_core.config._op_store_config import OpStoreConfig
from chariots_core.config._pipelines_config import PipelinesConfig
from chariots_core.config._workers_config import WorkersConfig

__all__ = ["ChariotsConfig", "OpStoreConfig", "PipelinesConfig", "WorkersConfig"]
