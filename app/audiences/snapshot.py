"""Freeze an audience at send time: its members and their resolved addresses, in the database."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Integer, and_, bindparam, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from app.accounts.models import Channel
from app.audiences.audience import Audience, membership
from app.audiences.compiler import (
    CP,
    C,
    Context,
    consent_given,
    default_context,
    not_opted_out,
    usable_point,
)
from app.audiences.models import AudienceSnapshot, SnapshotMember, SnapshotRecipient
from app.audiences.rules import rule_to_json
from app.core.db import transactional
from app.core.extensions import db

SM = SnapshotMember.__table__
SR = SnapshotRecipient.__table__


@transactional
def freeze(audience: Audience, *, channels: Iterable[str] = (Channel.SMS, Channel.EMAIL),
           segment_id: int | None = None, origin: str | None = None, require_consent: bool = True,
           honour_opt_outs: bool = True, ctx: Context | None = None) -> AudienceSnapshot:
    """Write the members and their addresses, deduplicated, and return the snapshot.

    Each member gets its best usable address per channel (verified first, then the newest);
    an address shared by several members is written once, for the member with the lowest id.
    Urgent sends may skip consent and opt-outs (`require_consent`, `honour_opt_outs`).
    """
    ctx = ctx or default_context()
    snapshot = AudienceSnapshot(
        segment_id=segment_id,
        origin=origin,
        definition={
            "rule": rule_to_json(audience.rule) if audience.rule is not None else None,
            "include_lists": list(audience.include_lists),
            "exclude_lists": list(audience.exclude_lists),
            "channels": [str(ch) for ch in channels],
            "require_consent": require_consent,
            "honour_opt_outs": honour_opt_outs,
            "day": ctx.today.isoformat(),
        },
    )
    db.session.add(snapshot)
    db.session.flush()
    connection = db.session.connection().execution_options(preserve_rowcount=True)
    members = _insert_members(connection, snapshot.id, select(C.c.id).where(membership(audience, ctx)))
    recipients = 0
    for channel in channels:
        recipients += connection.execute(
            insert(SR).from_select(
                ["snapshot_id", "channel", "address", "contractor_id", "contact_point_id", "sharing"],
                _recipients(snapshot.id, str(channel), ctx, require_consent, honour_opt_outs),
            )
        ).rowcount
    db.session.execute(update(AudienceSnapshot.__table__)
                       .where(AudienceSnapshot.__table__.c.id == snapshot.id)
                       .values(members=members, recipients=recipients))
    db.session.refresh(snapshot)
    return snapshot


def _insert_members(connection, snapshot_id: int, member_ids) -> int:
    """Write the members; PostgreSQL selects them in parallel first (INSERT ... SELECT never is)."""
    if connection.dialect.name != "postgresql":
        return connection.execute(insert(SM).from_select(
            ["snapshot_id", "contractor_id"], select(literal(snapshot_id), member_ids.subquery().c.id))).rowcount
    ids = list(connection.scalars(member_ids))
    if ids:
        connection.execute(insert(SM).from_select(
            ["snapshot_id", "contractor_id"],
            select(literal(snapshot_id), func.unnest(bindparam("ids", ids, type_=ARRAY(Integer))))))
    return len(ids)


def _recipients(snapshot_id: int, channel: str, ctx: Context, require_consent: bool,
                honour_opt_outs: bool):
    tests = [SM.c.snapshot_id == snapshot_id, CP.c.contractor_id == SM.c.contractor_id,
             CP.c.channel == channel, CP.c.is_active.is_(True), *usable_point(channel, ctx)]
    if honour_opt_outs:
        tests.append(not_opted_out(channel))
    if require_consent:
        tests.append(consent_given(channel, SM.c.contractor_id))
    best = func.row_number().over(
        partition_by=CP.c.contractor_id,
        order_by=[CP.c.verified_at.is_(None), CP.c.id.desc()],
    )
    candidates = (select(CP.c.id, CP.c.contractor_id, CP.c.value, best.label("rank"))
                  .select_from(SM).join(CP, and_(*tests)).subquery("candidates"))
    chosen = select(candidates).where(candidates.c.rank == 1).subquery("chosen")
    mailbox = func.lower(chosen.c.value)  # `A@firma.pl` and `a@firma.pl` are one mailbox
    first = func.row_number().over(partition_by=mailbox, order_by=chosen.c.contractor_id)
    sharing = func.count().over(partition_by=mailbox)
    shared = select(chosen.c.id, chosen.c.contractor_id, chosen.c.value,
                    first.label("first"), sharing.label("sharing")).subquery("shared")
    return select(literal(snapshot_id), literal(channel), shared.c.value, shared.c.contractor_id,
                  shared.c.id, shared.c.sharing).where(shared.c.first == 1)
