"""Segments (saved rules), static lists, and the frozen audiences of sends."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base


class ListMode(StrEnum):
    """How a static list takes part in a segment."""

    INCLUDE = "include"
    EXCLUDE = "exclude"


class Segment(Base):
    """A saved audience: a rule over the account model plus included and excluded lists."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # The rule tree (see app.audiences.rules); None: members come from the included lists only.
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Figures of the last count, shown in the list without counting again.
    last_count: Mapped[int | None]
    last_counted_at: Mapped[datetime | None]

    lists: Mapped[list[SegmentList]] = relationship(
        back_populates="segment", cascade="all, delete-orphan"
    )

    def list_ids(self, mode: ListMode) -> list[int]:
        """Ids of the lists the segment includes or excludes."""
        return sorted(link.list_id for link in self.lists if link.mode == mode)

    def __str__(self) -> str:
        return self.name


class StaticList(Base):
    """A hand-made list of contractors (uploaded from CSV or picked one by one)."""

    __tablename__ = "static_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name


class StaticListMember(Base):
    """A contractor on a static list."""

    __tablename__ = "static_list_members"
    __table_args__ = (Index("ix_static_list_members_contractor", "contractor_id"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("static_lists.id", ondelete="CASCADE"), primary_key=True
    )
    contractor_id: Mapped[int] = mapped_column(
        ForeignKey("contractors.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(20), default="staff")  # staff, csv, api
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class SegmentList(Base):
    """A static list included in or excluded from a segment."""

    __tablename__ = "segment_lists"

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    list_id: Mapped[int] = mapped_column(
        ForeignKey("static_lists.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(10))

    segment: Mapped[Segment] = relationship(back_populates="lists")
    static_list: Mapped[StaticList] = relationship()


class AudienceSnapshot(Base):
    """An audience frozen at send time: who was in it and at which addresses."""

    __tablename__ = "audience_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    # The audience as it was defined when frozen (rule and list ids), for reproducibility.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str | None] = mapped_column(String(40))  # e.g. "campaign:12"
    members: Mapped[int] = mapped_column(default=0)
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SnapshotMember(Base):
    """A contractor in a frozen audience, reachable or not."""

    __tablename__ = "snapshot_members"

    # No foreign keys: a snapshot's rows are written only by `freeze`, in one statement, in the
    # transaction that makes the snapshot (its ids are right by construction), and a key checked
    # per row cost as much as a third of the writing. Snapshots are never deleted.
    snapshot_id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(primary_key=True)


class SnapshotRecipient(Base):
    """One address of a frozen audience; several contractors sharing it get one message."""

    __tablename__ = "snapshot_recipients"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "channel", "address"),
        # A campaign's fan-out reads the addresses of a chunk of members.
        Index("ix_snapshot_recipients_member", "snapshot_id", "contractor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int]  # no foreign key: as `SnapshotMember`
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(255))
    # The contractor the message is personalised for (the lowest id among those sharing it).
    contractor_id: Mapped[int]
    contact_point_id: Mapped[int]
    sharing: Mapped[int] = mapped_column(default=1)  # how many members share the address
