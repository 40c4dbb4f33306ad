"""Every public name of the original chariots' package ``__init__`` files (and its public modules)
exists under ``chariots_core``: users move over by renaming the import root ``chariots``.

Keras (``chariots.ml.keras``, ``serializers.KerasSerializer``) is left out on purpose (see
docs/upgrading-from-chariots.md).
"""

from __future__ import annotations

import importlib

import pytest

#: module (under the original's path, with chariots_core for chariots) -> its public names
ORIGINAL_NAMES: dict[str, list[str]] = {
    "chariots_core": ["__version__"],
    "chariots_core.cli": ["main"],
    "chariots_core.config": ["ChariotsConfig", "PipelinesConfig", "WorkersConfig", "OpStoreConfig"],
    "chariots_core.errors": ["VersionError", "BackendError"],
    "chariots_core.ml": ["MLMode", "BaseMLOp", "serializers", "sklearn"],
    "chariots_core.ml.serializers": [
        "BaseSerializer",
        "DillSerializer",
        "JSONSerializer",
        "CSVSerializer",
    ],
    "chariots_core.ml.sklearn": ["SKSupervisedOp", "SKUnsupervisedOp", "BaseSKOp"],
    "chariots_core.op_store": ["OpStoreServer", "OpStoreClient", "savers", "BaseOpStoreClient"],
    "chariots_core.op_store.models": [
        "db",
        "SQLAlchemy",
        "DBOp",
        "DBVersion",
        "DBValidatedLink",
        "DBPipeline",
        "DBPipelineLink",
    ],
    "chariots_core.op_store.savers": ["FileSaver", "GoogleStorageSaver", "BaseSaver"],
    "chariots_core.pipelines": [
        "Pipeline",
        "PipelinesServer",
        "PipelinesClient",
        "AbstractPipelinesClient",
        "PipelineResponse",
        "ops",
        "nodes",
        "callbacks",
        "runners",
    ],
    "chariots_core.pipelines.callbacks": ["OpCallBack", "PipelineCallback"],
    "chariots_core.pipelines.nodes": ["Node", "ReservedNodes", "BaseNode"],
    "chariots_core.pipelines.ops": ["LoadableOp", "BaseOp"],
    "chariots_core.pipelines.pipelines_client": ["PipelinesClient", "AbstractPipelinesClient"],
    "chariots_core.pipelines.pipelines_server": ["PipelinesServer", "PipelineResponse"],
    "chariots_core.pipelines.runners": ["SequentialRunner", "BaseRunner"],
    "chariots_core.testing": ["TestPipelinesClient", "TestOpStoreClient"],
    "chariots_core.versioning": [
        "Version",
        "VersionType",
        "VersionedField",
        "VersionedFieldDict",
        "VersionableMeta",
    ],
    "chariots_core.workers": ["BaseWorkerPool", "RQWorkerPool", "JobStatus"],
}


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module, names in ORIGINAL_NAMES.items() for name in names],
    ids=lambda value: value,
)
def test_the_original_public_name_exists(module: str, name: str) -> None:
    imported = importlib.import_module(module)
    assert getattr(imported, name) is not None
    namespace: dict[str, object] = {}
    exec(f"from {module} import {name}", namespace)  # the form users write
    assert namespace[name] is getattr(imported, name)


@pytest.mark.parametrize("module", sorted(ORIGINAL_NAMES))
def test_the_module_lists_the_original_names_in_all(module: str) -> None:
    imported = importlib.import_module(module)
    exported = getattr(imported, "__all__", None)
    if exported is None:  # modules without __all__ (chariots_core, cli) export by name only
        return
    # a name the module resolves when first asked for (its __getattr__: the worker pool classes,
    # found through their backends' entry points) need not be listed
    missing = [
        name for name in ORIGINAL_NAMES[module] if name not in exported and name in vars(imported)
    ]
    assert not missing, f"{module}.__all__ lacks {missing}"
