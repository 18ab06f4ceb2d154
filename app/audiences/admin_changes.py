"""Changes staff make to segments and static lists: each one transaction with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from app.audiences.audience import Audience, count_members
from app.audiences.lists import Upload, add_members, remove_members
from app.audiences.models import ListMode, Segment, SegmentList, StaticList, StaticListMember
from app.audiences.rules import rule_to_json
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db


@dataclass(frozen=True)
class Actor:
    """The staff member making a change, as the audit log names them."""

    id: int | None
    label: str | None

    def record(self, action: str, target: str, **details: Any) -> None:
        """Add an audit entry in the caller's transaction."""
        audit.record(action, actor_type="staff", actor_id=self.id, actor_label=self.label,
                     target=target, **details)


def audience_definition(audience: Audience) -> dict[str, Any]:
    """The audience as stored and audited: the normalised rule and the list ids."""
    return {
        "rule": rule_to_json(audience.rule) if audience.rule is not None else None,
        "include_lists": list(audience.include_lists),
        "exclude_lists": list(audience.exclude_lists),
    }


@transactional
def save_segment(segment_id: int | None, *, name: str, description: str | None,
                 audience: Audience, actor: Actor) -> Segment:
    """Create or update a segment with a normalised rule, count its members and audit it."""
    segment = Segment(created_by_id=actor.id) if segment_id is None else db.session.get(Segment, segment_id)
    if segment is None:
        raise LookupError(segment_id)
    definition = audience_definition(audience)
    segment.name = name
    segment.description = description
    segment.rule = definition["rule"]
    segment.lists = [SegmentList(list_id=list_id, mode=mode)
                     for mode, ids in ((ListMode.INCLUDE, audience.include_lists),
                                       (ListMode.EXCLUDE, audience.exclude_lists))
                     for list_id in ids]
    segment.last_count = count_members(audience)
    segment.last_counted_at = utcnow()
    segment.updated_at = utcnow()
    db.session.add(segment)
    db.session.flush()
    actor.record("segment.created" if segment_id is None else "segment.updated",
                 f"segment:{segment.id}", name=name, members=segment.last_count, **definition)
    return segment


@transactional
def delete_segment(segment_id: int, *, actor: Actor) -> None:
    """Delete a segment (its frozen audiences stay, without the link) and audit it."""
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        raise LookupError(segment_id)
    actor.record("segment.deleted", f"segment:{segment.id}", name=segment.name, rule=segment.rule)
    db.session.delete(segment)


def segments_using(list_id: int) -> list[str]:
    """Names of the segments that include or exclude a list."""
    return list(db.session.scalars(
        select(Segment.name).join(SegmentList).where(SegmentList.list_id == list_id)
        .order_by(Segment.name)))


@transactional
def save_list(list_id: int | None, *, name: str, description: str | None, actor: Actor) -> StaticList:
    """Create or rename a static list and audit it."""
    static_list = StaticList(created_by_id=actor.id) if list_id is None else db.session.get(StaticList, list_id)
    if static_list is None:
        raise LookupError(list_id)
    static_list.name = name
    static_list.description = description
    static_list.updated_at = utcnow()
    db.session.add(static_list)
    db.session.flush()
    actor.record("static_list.created" if list_id is None else "static_list.updated",
                 f"static_list:{static_list.id}", name=name)
    return static_list


@transactional
def delete_list(list_id: int, *, actor: Actor) -> None:
    """Delete a static list and its members; refused (ListInUse) while a segment uses it."""
    static_list = db.session.get(StaticList, list_id)
    if static_list is None:
        raise LookupError(list_id)
    users = segments_using(list_id)
    if users:
        raise ListInUse(users)
    db.session.execute(delete(StaticListMember).where(StaticListMember.list_id == list_id))
    actor.record("static_list.deleted", f"static_list:{list_id}", name=static_list.name)
    db.session.delete(static_list)


class ListInUse(ValueError):
    """A list that segments still include or exclude; `segments` are their names."""

    def __init__(self, segments: list[str]) -> None:
        super().__init__(", ".join(segments))
        self.segments = segments


@transactional
def add_to_list(list_id: int, contractor_ids: set[int], *, actor: Actor, source: str = "staff",
                upload: Upload | None = None, filename: str | None = None) -> int:
    """Put contractors on a list and audit it (with the figures of an upload); returns how many were new."""
    added = add_members(list_id, contractor_ids, source=source)
    _touch(list_id)
    details: dict[str, Any] = {"found": len(contractor_ids), "added": added, "source": source}
    if upload is not None:
        details.update(filename=filename, lines=upload.lines, bad_lines=len(upload.errors))
    else:
        details["contractor_ids"] = sorted(contractor_ids)[:100]
    actor.record("static_list.members_added", f"static_list:{list_id}", **details)
    return added


@transactional
def remove_from_list(list_id: int, contractor_id: int, *, actor: Actor) -> int:
    """Take a contractor off a list and audit it; returns 1 when it was on the list."""
    removed = remove_members(list_id, [contractor_id])
    _touch(list_id)
    actor.record("static_list.member_removed", f"static_list:{list_id}", contractor_id=contractor_id,
                 removed=removed)
    return removed


def _touch(list_id: int) -> None:
    static_list = db.session.get(StaticList, list_id)
    if static_list is not None:
        static_list.updated_at = utcnow()
