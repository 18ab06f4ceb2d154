"""Merge of units, contractors, contact points, consents and attributes from staging.

Every statement writes only what differs, so an identical snapshot writes nothing.
"""

from __future__ import annotations

from sqlalchemy import (
    String,
    and_,
    delete,
    exists,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)

from app.accounts.contacts import classify_phones
from app.accounts.models import (
    AttributeDefinition,
    ChangeEvent,
    ChangeKind,
    Channel,
    Consent,
    ContactPoint,
    Contractor,
    ContractorAttribute,
    RecordStatus,
    Unit,
)
from app.legacy import staging
from app.legacy.events import ImportContext, differs, record

UNIT_FIELDS = ("name", "nip", "account_nrb", "address")
CONTRACTOR_FIELDS = ("kind", "name", "nip", "regon", "pesel", "street", "house_no", "flat_no",
                     "postal_code", "city", "district", "pkd", "legacy_modified_at", "status")
# Fields whose change is news for the business (others, like the modification stamp, are not).
NOTABLE_CONTRACTOR_FIELDS = ("name", "nip", "regon", "street", "house_no", "flat_no",
                             "postal_code", "city", "status")


def merge_units(ctx: ImportContext) -> dict[str, int]:
    """Insert new units, update changed ones, deactivate units missing from the snapshot."""
    u, s, conn = Unit.__table__, staging.units, ctx.conn
    inserted = conn.execute(
        insert(u).from_select(
            ["code", *UNIT_FIELDS, "is_active", "created_at", "updated_at"],
            select(s.c.code, *(s.c[n] for n in UNIT_FIELDS), true(), ctx.stamp(), ctx.stamp())
            .where(~exists(select(literal(1)).where(u.c.code == s.c.code))),
        )
    ).rowcount
    updated = conn.execute(
        update(u)
        .where(u.c.code == s.c.code, or_(differs(u, s, UNIT_FIELDS), u.c.is_active.is_(False)))
        .values(**{n: s.c[n] for n in UNIT_FIELDS}, is_active=True, updated_at=ctx.stamp())
    ).rowcount
    cancelled = 0 if ctx.partial else conn.execute(
        update(u)
        .where(u.c.is_active.is_(True), ~exists(select(literal(1)).where(s.c.code == u.c.code)))
        .values(is_active=False, updated_at=ctx.stamp())
    ).rowcount
    return {"inserted": inserted, "updated": updated, "cancelled": cancelled}


def merge_contractors(ctx: ImportContext, protected_keys) -> dict[str, int]:
    """Insert, update and cancel contractors, recording what changed for existing ones.

    `protected_keys` selects legacy ids whose row was rejected tonight: they are not cancelled.
    A partial import cancels no contractor (its status comes with the pushed record).
    """
    c, s, conn = Contractor.__table__, staging.contractors, ctx.conn
    changed = _record_contractor_changes(ctx)
    updated = 0
    if changed:
        updated = conn.execute(
            update(c)
            .where(c.c.legacy_id == s.c.legacy_id, differs(c, s, CONTRACTOR_FIELDS))
            .values(**{n: s.c[n] for n in CONTRACTOR_FIELDS}, updated_at=ctx.stamp())
        ).rowcount
    if ctx.partial:
        return {"inserted": _insert_contractors(ctx), "updated": updated, "cancelled": 0}
    missing = and_(
        c.c.status != RecordStatus.CANCELLED,
        ~exists(select(literal(1)).where(s.c.legacy_id == c.c.legacy_id)),
        c.c.legacy_id.not_in(protected_keys),
    )
    record(ctx, select(c.c.id, literal(ChangeKind.CONTRACTOR_CANCELLED.value), literal("contractor"),
                       c.c.status, literal(RecordStatus.CANCELLED.value)).where(missing))
    cancelled = conn.execute(
        update(c).where(missing).values(status=RecordStatus.CANCELLED, updated_at=ctx.stamp())
    ).rowcount
    return {"inserted": _insert_contractors(ctx), "updated": updated, "cancelled": cancelled}


def _insert_contractors(ctx: ImportContext) -> int:
    """Insert the staged contractors not yet known, each with its `contractor_new` event."""
    c, s, conn = Contractor.__table__, staging.contractors, ctx.conn
    inserted = conn.execute(
        insert(c).from_select(
            ["legacy_id", *CONTRACTOR_FIELDS, "created_at", "updated_at"],
            select(s.c.legacy_id, *(s.c[n] for n in CONTRACTOR_FIELDS), ctx.stamp(), ctx.stamp())
            .where(~exists(select(literal(1)).where(c.c.legacy_id == s.c.legacy_id))),
        )
    ).rowcount
    staging.analyze_if_grown(conn, "contractors", inserted)
    record(ctx, select(c.c.id, literal(ChangeKind.CONTRACTOR_NEW.value), literal("contractor"),
                       literal(None), c.c.name).where(c.c.id > ctx.existing_contractor_max_id))
    return inserted


def _record_contractor_changes(ctx: ImportContext) -> int:
    """Events for notable field changes of existing contractors; returns rows that differ at all."""
    c, s = Contractor.__table__, staging.contractors
    rows = ctx.conn.execute(
        select(c.c.id, *(c.c[n] for n in NOTABLE_CONTRACTOR_FIELDS),
               *(s.c[n].label(f"new_{n}") for n in NOTABLE_CONTRACTOR_FIELDS))
        .where(c.c.legacy_id == s.c.legacy_id, differs(c, s, CONTRACTOR_FIELDS))
    ).all()
    events = []
    for row in rows:
        diff = {n: [row._mapping[n], row._mapping[f"new_{n}"]] for n in NOTABLE_CONTRACTOR_FIELDS
                if row._mapping[n] != row._mapping[f"new_{n}"]}
        if diff:
            events.append({
                "contractor_id": row.id, "kind": ChangeKind.CONTRACTOR_CHANGED.value,
                "subject": "contractor", "old_value": ", ".join(str(v[0] or "") for v in diff.values())[:255],
                "new_value": ", ".join(str(v[1] or "") for v in diff.values())[:255],
                "details": {"fields": sorted(diff)}, "source": ctx.source,
                "import_run_id": ctx.run_id, "created_at": ctx.now,
            })
    if events:
        ctx.conn.execute(insert(ChangeEvent.__table__), events)
    return len(rows)


def link_staged_contractors(ctx: ImportContext) -> None:
    """Note each staged contractor's id and stage the contact points the snapshot gives."""
    c, s, k, conn = Contractor.__table__, staging.contractors, staging.contacts, ctx.conn
    conn.execute(update(s).where(c.c.legacy_id == s.c.legacy_id).values(contractor_id=c.c.id))
    for channel, column in ((Channel.SMS, s.c.phone), (Channel.EMAIL, s.c.email)):
        conn.execute(insert(k).from_select(
            ["contractor_id", "channel", "value"],
            select(s.c.contractor_id, literal(channel.value), column).where(column.is_not(None)),
        ))
    staging.index_and_analyze(conn, k)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE stg_contractors")


def _in_snapshot(contractor_id):
    """The contractor appears in tonight's snapshot."""
    s = staging.contractors
    return exists(select(literal(1)).where(s.c.contractor_id == contractor_id))


def merge_contact_points(ctx: ImportContext) -> dict[str, int]:
    """Keep each contractor's legacy phone and email as the snapshot gives them."""
    cp, k, conn = ContactPoint.__table__, staging.contacts, ctx.conn
    counts = {"inserted": 0, "updated": 0, "cancelled": 0}
    for channel in (Channel.SMS, Channel.EMAIL):
        d = select(k.c.contractor_id, k.c.value).where(k.c.channel == channel).subquery("desired")
        current = (
            select(cp.c.contractor_id, cp.c.value)
            .where(cp.c.channel == channel, cp.c.source == "legacy", cp.c.is_active.is_(True))
            .subquery("current")
        )
        subject = f"contact:{channel.value}"
        # A value the contractor had no active contact point for (existing contractors only).
        known = exists(select(literal(1)).where(cp.c.contractor_id == d.c.contractor_id,
                                                cp.c.channel == channel, cp.c.value == d.c.value,
                                                cp.c.is_active.is_(True)))
        record(ctx, select(d.c.contractor_id, literal(ChangeKind.CONTACT_CHANGED.value),
                           literal(subject), current.c.value, d.c.value)
               .select_from(d.outerjoin(current, current.c.contractor_id == d.c.contractor_id))
               .where(~known, d.c.contractor_id <= ctx.existing_contractor_max_id))
        # Removed: the contractor is in the snapshot but gives no value for the channel any more.
        no_value = ~exists(select(literal(1)).where(k.c.contractor_id == current.c.contractor_id,
                                                    k.c.channel == channel))
        record(ctx, select(current.c.contractor_id, literal(ChangeKind.CONTACT_CHANGED.value),
                           literal(subject), current.c.value, literal(None))
               .where(no_value, _in_snapshot(current.c.contractor_id)))
        staged_same = exists(select(literal(1)).where(
            k.c.contractor_id == cp.c.contractor_id, k.c.channel == channel, k.c.value == cp.c.value))
        counts["cancelled"] += conn.execute(
            update(cp)
            .where(cp.c.channel == channel, cp.c.source == "legacy", cp.c.is_active.is_(True),
                   ~staged_same, _in_snapshot(cp.c.contractor_id))
            .values(is_active=False, updated_at=ctx.stamp())
        ).rowcount
        counts["updated"] += conn.execute(
            update(cp).where(cp.c.channel == channel, cp.c.is_active.is_(False), staged_same)
            .values(is_active=True, updated_at=ctx.stamp())
        ).rowcount
        counts["inserted"] += conn.execute(
            insert(cp).from_select(
                ["contractor_id", "channel", "value", "source", "is_active", "failure_count",
                 "created_at", "updated_at"],
                select(d.c.contractor_id, literal(channel.value), d.c.value, literal("legacy"),
                       true(), literal(0), ctx.stamp(), ctx.stamp())
                .where(~exists(select(literal(1)).where(cp.c.contractor_id == d.c.contractor_id,
                                                        cp.c.channel == channel,
                                                        cp.c.value == d.c.value))),
            )
        ).rowcount
    if counts["inserted"] or counts["updated"]:
        classify_phones(conn)
    staging.analyze_if_grown(conn, "contact_points", counts["inserted"])
    return counts


def merge_consents(ctx: ImportContext) -> dict[str, int]:
    """Keep the paper consents (unit: whole office) as the snapshot declares them."""
    k, s, conn = Consent.__table__, staging.contractors, ctx.conn
    counts = {"inserted": 0, "updated": 0}
    for channel, column in ((Channel.SMS, s.c.consent_sms), (Channel.EMAIL, s.c.consent_email)):
        d = select(s.c.contractor_id, column.label("granted")).subquery("desired")
        mine = and_(k.c.contractor_id == d.c.contractor_id, k.c.channel == channel,
                    k.c.source == "legacy", k.c.unit_id.is_(None))
        counts["updated"] += conn.execute(
            update(k).where(mine, k.c.granted.is_distinct_from(d.c.granted))
            .values(granted=d.c.granted, recorded_at=ctx.stamp())
        ).rowcount
        counts["inserted"] += conn.execute(
            insert(k).from_select(
                ["contractor_id", "unit_id", "channel", "granted", "source", "recorded_at"],
                select(d.c.contractor_id, literal(None), literal(channel.value), d.c.granted,
                       literal("legacy"), ctx.stamp()).where(~exists(select(literal(1)).where(mine))),
            )
        ).rowcount
    staging.analyze_if_grown(conn, "consents", counts["inserted"])
    return counts


def merge_attributes(ctx: ImportContext, types: dict[str, str]) -> dict[str, int]:
    """Keep each contractor's attributes as the snapshot gives them; register new codes."""
    a, c, s, conn = ContractorAttribute.__table__, Contractor.__table__, staging.attributes, ctx.conn
    _merge_definitions(ctx, types)
    d = (select(c.c.id.label("contractor_id"), s.c.code, s.c.value, s.c.value_number, s.c.value_date)
         .where(c.c.legacy_id == s.c.contractor_legacy_id).subquery("desired"))
    same_key = and_(a.c.contractor_id == d.c.contractor_id, a.c.code == d.c.code)
    record(ctx, select(d.c.contractor_id, literal(ChangeKind.ATTRIBUTE_CHANGED.value),
                       literal("attribute:", String) + d.c.code, a.c.value, d.c.value)
           .select_from(d.outerjoin(a, same_key))
           .where(a.c.value.is_distinct_from(d.c.value),
                  d.c.contractor_id <= ctx.existing_contractor_max_id))
    gone = and_(_in_snapshot(a.c.contractor_id), ~exists(select(literal(1)).where(same_key)))
    record(ctx, select(a.c.contractor_id, literal(ChangeKind.ATTRIBUTE_CHANGED.value),
                       literal("attribute:", String) + a.c.code, a.c.value, literal(None)).where(gone))
    deleted = conn.execute(delete(a).where(gone)).rowcount
    updated = conn.execute(
        update(a).where(same_key, a.c.value.is_distinct_from(d.c.value))
        .values(value=d.c.value, value_number=d.c.value_number, value_date=d.c.value_date)
    ).rowcount
    inserted = conn.execute(
        insert(a).from_select(
            ["contractor_id", "code", "value", "value_number", "value_date"],
            select(d.c.contractor_id, d.c.code, d.c.value, d.c.value_number, d.c.value_date)
            .where(~exists(select(literal(1)).where(same_key))),
        )
    ).rowcount
    staging.analyze_if_grown(conn, "contractor_attributes", inserted)
    return {"inserted": inserted, "updated": updated, "cancelled": deleted}


def _merge_definitions(ctx: ImportContext, types: dict[str, str]) -> None:
    t = AttributeDefinition.__table__
    known = dict(ctx.conn.execute(select(t.c.code, t.c.value_type)).all())
    for code, value_type in sorted(types.items()):
        if code not in known:
            ctx.conn.execute(insert(t).values(code=code, value_type=value_type,
                                              first_seen_at=ctx.now))
        elif known[code] != value_type and not ctx.partial:  # a whole snapshot decides a type
            ctx.conn.execute(update(t).where(t.c.code == code).values(value_type=value_type))


