"""The op store's tables: ops, their saved versions, validated links and pipelines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chariots_core.database import Base, UTCDateTime

#: Longest op or pipeline name the store accepts.
NAME_LENGTH = 255
_HASH_LENGTH = 40
#: Room for ``str(Version)``: three hashes, a float and separators.
_VERSION_STRING_LENGTH = 200


class OpRecord(Base):
    """An op, by name."""

    __tablename__ = "chariots_ops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)


class OpVersionRecord(Base):
    """One saved version of an op, and where its bytes are."""

    __tablename__ = "chariots_op_versions"
    __table_args__ = (
        UniqueConstraint("op_id", "major", "minor", "patch"),
        Index("ix_chariots_op_versions_op_id_saved_at", "op_id", "saved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[int] = mapped_column(ForeignKey(OpRecord.id, ondelete="CASCADE"))
    major: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    minor: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    patch: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    creation_time: Mapped[float] = mapped_column(Double)
    class_version: Mapped[str] = mapped_column(String(_VERSION_STRING_LENGTH))
    training_version: Mapped[str | None] = mapped_column(String(_VERSION_STRING_LENGTH))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    saver_key: Mapped[str] = mapped_column(String(1024))


class ValidatedLinkRecord(Base):
    """A version of a downstream op was validated on a version of an upstream op."""

    __tablename__ = "chariots_validated_links"
    __table_args__ = (
        # Its index serves the lookup: downstream op and version, then upstream op.
        UniqueConstraint(
            "downstream_op_id",
            "downstream_major",
            "downstream_minor",
            "downstream_patch",
            "upstream_op_id",
            "upstream_major",
            "upstream_minor",
            "upstream_patch",
            name="uq_chariots_validated_links",
        ),
        Index("ix_chariots_validated_links_upstream_op_id", "upstream_op_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    downstream_op_id: Mapped[int] = mapped_column(ForeignKey(OpRecord.id, ondelete="CASCADE"))
    downstream_major: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    downstream_minor: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    downstream_patch: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    upstream_op_id: Mapped[int] = mapped_column(ForeignKey(OpRecord.id, ondelete="CASCADE"))
    upstream_major: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    upstream_minor: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    upstream_patch: Mapped[str] = mapped_column(String(_HASH_LENGTH))
    upstream_creation_time: Mapped[float] = mapped_column(Double)


class PipelineRecord(Base):
    """A pipeline registered in the op store."""

    __tablename__ = "chariots_pipelines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PipelineOpRecord(Base):
    """An op held by a pipeline."""

    __tablename__ = "chariots_pipeline_ops"
    __table_args__ = (Index("ix_chariots_pipeline_ops_op_id", "op_id"),)

    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey(PipelineRecord.id, ondelete="CASCADE"), primary_key=True
    )
    op_id: Mapped[int] = mapped_column(
        ForeignKey(OpRecord.id, ondelete="CASCADE"), primary_key=True
    )
