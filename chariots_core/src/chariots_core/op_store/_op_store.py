"""`OpStore`: the op store in-process, on a SQLAlchemy database and a saver for op bytes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, aliased

from chariots_core.database import Base, Database, utc_now
from chariots_core.errors import BadRequest, ChariotsError, OpNotFound
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
from chariots_core.op_store._models import (
    OpRecord,
    OpVersionRecord,
    PipelineOpRecord,
    PipelineRecord,
    ValidatedLinkRecord,
)
from chariots_core.op_store._names import (
    check_op_name,
    check_pipeline_name,
    check_version,
    saver_key,
)
from chariots_core.op_store.savers import BaseSaver, FileSaver, saver_from_url
from chariots_core.versioning import Version

#: File and folder an ``OpStore(path=...)`` keeps its database and op bytes in.
DEFAULT_DB_FILE = "chariots.db"
DEFAULT_OPS_FOLDER = "ops"
#: the downstream hashes of a link registered with no downstream version (the original
#: chariots' form): it holds for every version of the downstream op
ANY_VERSION_HASH = ""


class OpStore(BaseOpStoreClient):
    """The op store in this process: records in a database, op bytes in a saver.

    ``OpStore(path="app/")`` keeps a SQLite file ``app/chariots.db`` and the op bytes in
    ``app/ops/``; ``OpStore(db_url, saver)`` takes any database URL (SQLite or PostgreSQL) or
    :class:`~chariots_core.database.Database`, and any saver (or saver URL, see
    :func:`~chariots_core.op_store.savers.saver_from_url`). With both ``path`` and a ``db_url`` or
    a ``saver``, the one given wins over ``path``'s default.

    The schema is created (migrated to the latest version) on first use.
    """

    def __init__(
        self,
        db_url: str | URL | Database | None = None,
        saver: BaseSaver | str | os.PathLike[str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        root = None if path is None else Path(path)
        if db_url is None:
            if root is None:
                raise TypeError("OpStore needs a path, or a db_url and a saver")
            db_url = f"sqlite:///{(root / DEFAULT_DB_FILE).absolute()}"
        if saver is None:
            if root is None:
                raise TypeError("OpStore needs a saver (or a saver URL) when given no path")
            saver = FileSaver(root / DEFAULT_OPS_FOLDER)
        self._owns_db = not isinstance(db_url, Database)
        self.db: Database = db_url if isinstance(db_url, Database) else Database(db_url)
        self.saver: BaseSaver = saver if isinstance(saver, BaseSaver) else saver_from_url(saver)
        self._insert = _insert_for(self.db.dialect_name)

    def __repr__(self) -> str:
        return f"OpStore({self.db!r}, {self.saver!r})"

    def close(self) -> None:
        """Close the database connections (of a database this store opened itself)."""
        if self._owns_db:
            self.db.dispose()

    def get_all_versions_of_op(self, op_name: OpOrName) -> list[SavedOpVersion]:
        op_name = check_op_name(op_name_of(op_name))
        self.db.ensure_created()
        query = (
            select(OpVersionRecord)
            .join(OpRecord, OpRecord.id == OpVersionRecord.op_id)
            .where(OpRecord.name == op_name)
            .order_by(OpVersionRecord.saved_at.desc(), OpVersionRecord.id.desc())
        )
        with self.db.session(readonly=True) as session:
            return [_saved_op_version(op_name, record) for record in session.scalars(query)]

    def get_latest_versions(self, op_names: Sequence[str]) -> dict[str, SavedOpVersion]:
        names = sorted({check_op_name(name) for name in _names_sequence(op_names)})
        if not names:
            return {}
        self.db.ensure_created()
        ranked = (
            select(
                OpVersionRecord,
                OpRecord.name.label("op_name"),
                func.row_number()
                .over(
                    partition_by=OpVersionRecord.op_id,
                    order_by=(OpVersionRecord.saved_at.desc(), OpVersionRecord.id.desc()),
                )
                .label("newest_rank"),
            )
            .join(OpRecord, OpRecord.id == OpVersionRecord.op_id)
            .where(OpRecord.name.in_(names))
            .subquery()
        )
        latest = aliased(OpVersionRecord, ranked)
        query = select(latest, ranked.c.op_name).where(ranked.c.newest_rank == 1)
        with self.db.session(readonly=True) as session:
            return {
                name: _saved_op_version(name, record) for record, name in session.execute(query)
            }

    def get_op_bytes_for_version(self, op_name: OpOrName, version: Version) -> bytes:
        op_name = check_op_name(op_name_of(op_name))
        check_version(version)
        self.db.ensure_created()
        query = (
            select(OpVersionRecord.saver_key)
            .join(OpRecord, OpRecord.id == OpVersionRecord.op_id)
            .where(
                OpRecord.name == op_name,
                OpVersionRecord.major == version.major,
                OpVersionRecord.minor == version.minor,
                OpVersionRecord.patch == version.patch,
            )
        )
        with self.db.session(readonly=True) as session:
            key = session.scalar(query)
        if key is None:
            raise OpNotFound(f"no version {version!r} of op {op_name!r} in the op store")
        return self.saver.load(key)

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
        op_name = check_op_name(op_name_of(op_name))
        check_version(version)
        check_version(class_version, "class_version")
        if training_version is not None:
            check_version(training_version, "training_version")
        if not isinstance(op_bytes, bytes | bytearray | memoryview):
            raise BadRequest(f"op_bytes must be bytes, not {type(op_bytes).__name__}")
        self.db.ensure_created()
        key = saver_key(op_name, version)
        # Bytes first: a record never points at bytes that are not there.
        self.saver.save(key, bytes(op_bytes))
        values = {
            "major": version.major,
            "minor": version.minor,
            "patch": version.patch,
            "creation_time": version.creation_time,
            "class_version": str(class_version),
            "training_version": None if training_version is None else str(training_version),
            "saved_at": utc_now(),
            "saver_key": key,
        }
        with self.db.session() as session:
            op_id = self._op_ids(session, [op_name])[op_name]
            insert = self._insert(OpVersionRecord).values(op_id=op_id, **values)
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=["op_id", "major", "minor", "patch"],
                    set_={
                        column: insert.excluded[column]
                        for column in values
                        if column not in ("major", "minor", "patch")
                    },
                )
            )

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
        check_op_name(up)
        check_version(up_version, "upstream_version")
        if down is not None:
            check_op_name(down)
        if down_version is not None:
            check_version(down_version, "downstream_version")
        self.db.ensure_created()
        with self.db.session() as session:
            op_ids = self._op_ids(session, [up] if down is None else [down, up])
            if down is None:  # the original's form for the last op of a pipeline: no link
                return
            any_version = (ANY_VERSION_HASH,) * 3
            major, minor, patch = (
                any_version
                if down_version is None
                else (down_version.major, down_version.minor, down_version.patch)
            )
            session.execute(
                self._insert(ValidatedLinkRecord)
                .values(
                    downstream_op_id=op_ids[down],
                    downstream_major=major,
                    downstream_minor=minor,
                    downstream_patch=patch,
                    upstream_op_id=op_ids[up],
                    upstream_major=up_version.major,
                    upstream_minor=up_version.minor,
                    upstream_patch=up_version.patch,
                    upstream_creation_time=up_version.creation_time,
                )
                .on_conflict_do_nothing()
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
        check_op_name(down)
        check_op_name(up)
        if down_version is not None:
            check_version(down_version, "downstream_version")
        self.db.ensure_created()
        downstream = aliased(OpRecord)
        upstream = aliased(OpRecord)
        link = ValidatedLinkRecord
        query = (
            select(
                link.upstream_major,
                link.upstream_minor,
                link.upstream_patch,
                link.upstream_creation_time,
            )
            .join(downstream, downstream.id == link.downstream_op_id)
            .join(upstream, upstream.id == link.upstream_op_id)
            .where(downstream.name == down, upstream.name == up)
        )
        if down_version is not None:
            query = query.where(
                or_(
                    and_(
                        link.downstream_major == down_version.major,
                        link.downstream_minor == down_version.minor,
                        link.downstream_patch == down_version.patch,
                    ),
                    and_(
                        link.downstream_major == ANY_VERSION_HASH,
                        link.downstream_minor == ANY_VERSION_HASH,
                        link.downstream_patch == ANY_VERSION_HASH,
                    ),
                )
            )
        with self.db.session(readonly=True) as session:
            return {
                Version(major, minor, patch, creation_time=creation_time)
                for major, minor, patch, creation_time in session.execute(query)
            }

    def register_new_pipeline(
        self, pipeline_name: Any, op_names: Sequence[str] | None = None
    ) -> None:
        pipeline_name, op_names = pipeline_arguments(pipeline_name, op_names)
        check_pipeline_name(pipeline_name)
        names = sorted({check_op_name(name) for name in _names_sequence(op_names)})
        self.db.ensure_created()
        with self.db.session() as session:
            session.execute(
                self._insert(PipelineRecord)
                .values(name=pipeline_name, created_at=utc_now())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            pipeline_id = session.scalars(
                select(PipelineRecord.id).where(PipelineRecord.name == pipeline_name)
            ).one()
            op_ids = sorted(self._op_ids(session, names).values())
            session.execute(
                delete(PipelineOpRecord).where(
                    PipelineOpRecord.pipeline_id == pipeline_id,
                    PipelineOpRecord.op_id.not_in(op_ids),
                )
            )
            if op_ids:
                session.execute(
                    self._insert(PipelineOpRecord)
                    .values([{"pipeline_id": pipeline_id, "op_id": op_id} for op_id in op_ids])
                    .on_conflict_do_nothing()
                )

    def pipeline_exists(self, pipeline_name: str) -> bool:
        check_pipeline_name(pipeline_name)
        self.db.ensure_created()
        with self.db.session(readonly=True) as session:
            return bool(
                session.scalar(select(exists().where(PipelineRecord.name == pipeline_name)))
            )

    def get_pipeline_op_names(self, pipeline_name: str) -> list[str]:
        """The names of the ops registered with a pipeline, sorted; ``[]`` when it has none."""
        check_pipeline_name(pipeline_name)
        self.db.ensure_created()
        query = (
            select(OpRecord.name)
            .join(PipelineOpRecord, PipelineOpRecord.op_id == OpRecord.id)
            .join(PipelineRecord, PipelineRecord.id == PipelineOpRecord.pipeline_id)
            .where(PipelineRecord.name == pipeline_name)
            .order_by(OpRecord.name)
        )
        with self.db.session(readonly=True) as session:
            return list(session.scalars(query))

    def get_or_register_op(self, op_name: OpOrName) -> OpRecord:
        """The op's database record (``.id``, ``.name``), created if the op is new (detached
        from its session: read its columns, do not change it)."""
        op_name = check_op_name(op_name_of(op_name))
        self.db.ensure_created()
        with self.db.session() as session:
            op_id = self._op_ids(session, [op_name])[op_name]
            record = session.get_one(OpRecord, op_id)
            session.expunge(record)
        return record

    def _op_ids(self, session: Session, op_names: Iterable[str]) -> dict[str, int]:
        """The ids of these ops, creating those that are new (race-free on every database)."""
        names = sorted(set(op_names))
        if not names:
            return {}
        session.execute(
            self._insert(OpRecord)
            .values([{"name": name} for name in names])
            .on_conflict_do_nothing(index_elements=["name"])
        )
        rows = session.execute(select(OpRecord.name, OpRecord.id).where(OpRecord.name.in_(names)))
        return {name: op_id for name, op_id in rows}


def _names_sequence(op_names: object) -> Sequence[str]:
    if isinstance(op_names, str | bytes) or not isinstance(op_names, Sequence | set | frozenset):
        raise BadRequest(f"op_names must be a list of op names, not {type(op_names).__name__}")
    return list(op_names)


def _saved_op_version(op_name: str, record: OpVersionRecord) -> SavedOpVersion:
    return SavedOpVersion(
        op_name=op_name,
        version=Version(
            record.major, record.minor, record.patch, creation_time=record.creation_time
        ),
        class_version=Version.parse(record.class_version),
        training_version=(
            None if record.training_version is None else Version.parse(record.training_version)
        ),
        saved_at=record.saved_at,
    )


_InsertFactory = Callable[[type[Base]], "postgresql.Insert | sqlite.Insert"]


def _insert_for(dialect_name: str) -> _InsertFactory:
    """The ``INSERT ... ON CONFLICT`` construct of the database (SQLite or PostgreSQL)."""
    if dialect_name == "postgresql":
        return postgresql.insert
    if dialect_name == "sqlite":
        return sqlite.insert
    raise ChariotsError(
        f"the op store runs on SQLite or PostgreSQL, not {dialect_name!r}: "
        "give a sqlite:// or postgresql:// database URL"
    )
