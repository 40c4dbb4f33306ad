"""Chariots' schema comes from its own Alembic migrations, run from code, safely in parallel."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from chariots_core.database import VERSION_TABLE, Base, Database, alembic_config
from chariots_core.database._migrations import MIGRATIONS_PATH, MODEL_MODULES
from chariots_core.op_store import OpStore
from chariots_core.op_store.savers import FileSaver

OP_STORE_TABLES = {
    "chariots_ops",
    "chariots_op_versions",
    "chariots_validated_links",
    "chariots_pipelines",
    "chariots_pipeline_ops",
}

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def version_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_PATH / "env.py").is_file()
    assert (MIGRATIONS_PATH / "script.py.mako").is_file()
    assert (MIGRATIONS_PATH / "versions" / "0001_op_store.py").is_file()
    assert HEAD is not None


def test_create_all_makes_the_schema_and_is_idempotent(database_url: str) -> None:
    database = Database(database_url)
    assert database.current_revision() is None

    database.create_all()
    assert OP_STORE_TABLES | {VERSION_TABLE} <= tables(database.engine)
    assert "alembic_version" not in tables(database.engine)
    assert database.current_revision() == HEAD
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO chariots_ops (name) VALUES ('kept')"))

    database.create_all()  # again: nothing to do, nothing lost
    assert database.current_revision() == HEAD
    assert version_rows(database.engine) == [HEAD]
    with database.engine.connect() as connection:
        assert list(connection.scalars(text("SELECT name FROM chariots_ops"))) == ["kept"]
    database.dispose()


def test_an_applications_own_alembic_table_is_left_alone(database_url: str) -> None:
    database = Database(database_url)
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('users_own_revision')"))
    database.create_all()
    with database.engine.connect() as connection:
        assert list(connection.scalars(text("SELECT version_num FROM alembic_version"))) == [
            "users_own_revision"
        ]
    database.dispose()


def test_downgrade_to_base_then_upgrade_to_head(database_url: str) -> None:
    database = Database(database_url)
    database.create_all()

    database.downgrade("base")
    assert database.current_revision() is None
    assert not {name for name in tables(database.engine) if name != VERSION_TABLE}

    database.upgrade("head")
    assert database.current_revision() == HEAD
    assert tables(database.engine) >= OP_STORE_TABLES
    database.dispose()


def test_models_match_the_migrations(database_url: str) -> None:
    """What the ORM models declare is what the migrations build (nothing to autogenerate).

    Every table of the modules in ``MODEL_MODULES`` is compared with the migrated database;
    tables that no listed module declares are left out of the comparison.
    """
    for module in MODEL_MODULES:
        importlib.import_module(module)
    database = Database(database_url)
    database.create_all()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "compare_type": True,
                "include_object": _declared_by_a_model,
            },
        )
        assert compare_metadata(context, Base.metadata) == []
    database.dispose()


def _declared_by_a_model(
    item: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table":
        return name in Base.metadata.tables
    table = getattr(item, "table", None)
    return table is None or getattr(table, "name", None) in Base.metadata.tables


def test_op_store_creates_its_schema_on_first_use(tmp_path: Path, database_url: str) -> None:
    store = OpStore(database_url, FileSaver(tmp_path / "ops"))
    assert not store.pipeline_exists("pipeline")
    assert store.db.current_revision() == HEAD
    store.close()


CREATE_ALL_SCRIPT = """
import sys
from chariots_core.database import Database

database = Database(sys.argv[1])
with database.engine.connect():
    pass
print("ready", flush=True)
sys.stdin.readline()
database.create_all()
print(database.current_revision(), flush=True)
database.dispose()
"""


def test_processes_calling_create_all_at_once_all_succeed(
    database_url: str, processes_together: object
) -> None:
    outputs = processes_together.run(  # type: ignore[attr-defined]
        CREATE_ALL_SCRIPT, [[database_url]] * 2
    )
    assert [output.strip() for output in outputs] == [HEAD] * 2
    engine = create_engine(Database(database_url).url)
    assert version_rows(engine) == [HEAD]
    assert tables(engine) >= OP_STORE_TABLES
    engine.dispose()
