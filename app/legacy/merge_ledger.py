"""Merge of obligations, payments (with their allocation) and appointments from staging.

Every statement writes only what differs, so an identical snapshot writes nothing. Rows
missing from the snapshot are cancelled, never deleted, unless tonight's row was rejected.
"""

from __future__ import annotations

from sqlalchemy import (
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from app.accounts.models import (
    Allocation,
    Appointment,
    ChangeKind,
    Contractor,
    Obligation,
    Payment,
    RecordStatus,
    Unit,
)
from app.legacy import merge_paid, staging
from app.legacy.events import ImportContext, differs, record

OBLIGATION_FIELDS = ("contractor_id", "unit_id", "kind", "description", "basis", "document_no",
                     "period", "due_on", "amount", "assessed_on", "status")
PAYMENT_FIELDS = ("contractor_id", "unit_id", "paid_on", "amount", "method", "description")
APPOINTMENT_FIELDS = ("contractor_id", "unit_id", "starts_at", "description", "place")


def _one():
    return literal(1)


def _existing(ctx: ImportContext, contractor_id):
    return contractor_id <= ctx.existing_contractor_max_id


def _cancel_missing(ctx, table, source, kind: ChangeKind, subject: str, protected_keys) -> int:
    """Cancel the active records missing from the snapshot (a partial import: those it names)."""
    if ctx.partial:
        k = staging.cancelled
        named = select(k.c.legacy_id).where(k.c.entity == subject)
        missing = and_(table.c.status == RecordStatus.ACTIVE, table.c.legacy_id.in_(named))
    else:
        missing = and_(
            table.c.legacy_id.is_not(None),
            table.c.status == RecordStatus.ACTIVE,
            ~exists(select(_one()).where(source.c.legacy_id == table.c.legacy_id)),
            table.c.legacy_id.not_in(protected_keys),
        )
    found = record(ctx, select(table.c.contractor_id, literal(kind.value),
                               literal(subject + ":") + table.c.legacy_id, table.c.status,
                               literal(RecordStatus.CANCELLED.value)).where(missing))
    if not found:  # one event per missing row: none recorded, nothing to cancel
        return 0
    return ctx.conn.execute(
        update(table).where(missing).values(status=RecordStatus.CANCELLED, updated_at=ctx.stamp())
    ).rowcount


def _changed_keys(entity: str):
    k = staging.changed
    return select(k.c.legacy_id).where(k.c.entity == entity)


def _mark_changed(ctx: ImportContext, entity: str, rows) -> int:
    """Note the legacy ids of snapshot rows that are new or differ (one pass over the snapshot)."""
    found = ctx.conn.execute(
        insert(staging.changed).from_select(["entity", "legacy_id"], rows)).rowcount
    if found and ctx.conn.dialect.name == "postgresql":
        ctx.conn.exec_driver_sql("ANALYZE stg_changed")
    return found


def _desired_obligations(*, changed_only: bool = False):
    s, c, u = staging.obligations, Contractor.__table__, Unit.__table__
    query = (
        select(s.c.legacy_id, c.c.id.label("contractor_id"), u.c.id.label("unit_id"),
               *(s.c[n] for n in OBLIGATION_FIELDS[2:]))
        .where(c.c.legacy_id == s.c.contractor_legacy_id, u.c.code == s.c.unit_code)
    )
    if changed_only:
        query = query.where(s.c.legacy_id.in_(_changed_keys("obligation")))
    return query.subquery("desired")


def merge_obligations(ctx: ImportContext, protected_keys) -> dict[str, int]:
    """Insert, update and cancel obligations, recording what a business would want to know."""
    o, conn = Obligation.__table__, ctx.conn
    every = _desired_obligations()
    found = _mark_changed(ctx, "obligation", select(literal("obligation"), every.c.legacy_id)
                          .select_from(every.outerjoin(o, o.c.legacy_id == every.c.legacy_id))
                          .where(or_(o.c.id.is_(None), differs(o, every, OBLIGATION_FIELDS))))
    cancelled = _cancel_missing(ctx, o, staging.obligations, ChangeKind.OBLIGATION_CANCELLED,
                                "obligation", protected_keys)
    if not found:
        return {"inserted": 0, "updated": 0, "cancelled": cancelled}
    d = _desired_obligations(changed_only=True)
    same = o.c.legacy_id == d.c.legacy_id
    subject = literal("obligation:") + d.c.legacy_id
    for kind, column in ((ChangeKind.OBLIGATION_AMOUNT_CHANGED, "amount"),
                         (ChangeKind.OBLIGATION_DUE_CHANGED, "due_on")):
        record(ctx, select(o.c.contractor_id, literal(kind.value), subject,
                           cast(o.c[column], String), cast(d.c[column], String))
               .where(same, o.c[column].is_distinct_from(d.c[column])))
    record(ctx, select(o.c.contractor_id, literal(ChangeKind.OBLIGATION_CANCELLED.value), subject,
                       o.c.status, d.c.status)
           .where(same, o.c.status == RecordStatus.ACTIVE, d.c.status == RecordStatus.CANCELLED))
    updated = conn.execute(
        update(o).where(same, differs(o, d, OBLIGATION_FIELDS))
        .values(**{n: d.c[n] for n in OBLIGATION_FIELDS}, updated_at=ctx.stamp())
    ).rowcount
    new = ~exists(select(_one()).where(same))
    record(ctx, select(d.c.contractor_id, literal(ChangeKind.OBLIGATION_NEW.value), subject,
                       literal(None), cast(d.c.amount, String))
           .where(new, _existing(ctx, d.c.contractor_id), d.c.status == RecordStatus.ACTIVE))
    paid = merge_paid.staged_paid()
    inserted = conn.execute(
        insert(o).from_select(
            ["legacy_id", *OBLIGATION_FIELDS, "paid_amount", "created_at", "updated_at"],
            select(d.c.legacy_id, *(d.c[n] for n in OBLIGATION_FIELDS), func.coalesce(paid.c.paid, 0),
                   ctx.stamp(), ctx.stamp())
            .select_from(d.outerjoin(paid, paid.c.obligation_legacy_id == d.c.legacy_id))
            .where(new),
        )
    ).rowcount
    staging.analyze_if_grown(conn, "obligations", inserted)
    return {"inserted": inserted, "updated": updated, "cancelled": cancelled}


def _desired_payments(*, changed_only: bool = False):
    s, c, o = staging.payments, Contractor.__table__, Obligation.__table__
    joined = s.join(c, c.c.legacy_id == s.c.contractor_legacy_id).outerjoin(
        o, o.c.legacy_id == s.c.obligation_legacy_id)
    query = (
        select(s.c.legacy_id, c.c.id.label("contractor_id"), o.c.unit_id.label("unit_id"),
               o.c.id.label("obligation_id"), s.c.paid_on, s.c.amount, s.c.method,
               s.c.description)
        .select_from(joined)
    )
    if changed_only:
        query = query.where(s.c.legacy_id.in_(_changed_keys("payment")))
    return query.subquery("desired")


def merge_payments(ctx: ImportContext, protected_keys) -> dict[str, int]:
    """Insert, update and cancel payments and keep each one's allocation as the snapshot says,
    and what is paid on the obligations they pay (`merge_paid`)."""
    merge_paid.begin(ctx)
    merged = _merge_payments(ctx, protected_keys)
    merge_paid.refresh(ctx)
    return merged


def _merge_payments(ctx: ImportContext, protected_keys) -> dict[str, int]:
    p, a, conn = Payment.__table__, Allocation.__table__, ctx.conn
    every = _desired_payments()
    allocation_differs = or_(
        a.c.obligation_id.is_distinct_from(every.c.obligation_id),
        and_(every.c.obligation_id.is_not(None), a.c.amount.is_distinct_from(every.c.amount)),
    )
    found = _mark_changed(ctx, "payment", select(literal("payment"), every.c.legacy_id)
                          .select_from(every.outerjoin(p, p.c.legacy_id == every.c.legacy_id)
                                       .outerjoin(a, a.c.payment_id == p.c.id))
                          .where(or_(p.c.id.is_(None), p.c.status != RecordStatus.ACTIVE,
                                     differs(p, every, PAYMENT_FIELDS), allocation_differs)))
    cancelled = _cancel_missing(ctx, p, staging.payments, ChangeKind.PAYMENT_CANCELLED, "payment",
                                protected_keys)
    if cancelled:
        merge_paid.note_cancelled_payments(ctx)
    if not found:
        return {"inserted": 0, "updated": 0, "cancelled": cancelled}
    d = _desired_payments(changed_only=True)
    same = p.c.legacy_id == d.c.legacy_id
    subject = literal("payment:") + d.c.legacy_id
    changed = or_(differs(p, d, PAYMENT_FIELDS), p.c.status != RecordStatus.ACTIVE)
    updated = conn.execute(
        update(p).where(same, changed)
        .values(**{n: d.c[n] for n in PAYMENT_FIELDS}, status=RecordStatus.ACTIVE,
                updated_at=ctx.stamp())
    ).rowcount
    new = ~exists(select(_one()).where(same))
    record(ctx, select(d.c.contractor_id, literal(ChangeKind.PAYMENT_NEW.value), subject,
                       literal(None), cast(d.c.amount, String))
           .where(new, _existing(ctx, d.c.contractor_id)))
    inserted = conn.execute(
        insert(p).from_select(
            ["legacy_id", *PAYMENT_FIELDS, "source", "status", "created_at", "updated_at"],
            select(d.c.legacy_id, *(d.c[n] for n in PAYMENT_FIELDS), literal("legacy"),
                   literal(RecordStatus.ACTIVE.value), ctx.stamp(), ctx.stamp()).where(new),
        )
    ).rowcount
    staging.analyze_if_grown(conn, "payments", inserted)
    _merge_allocations(ctx, d)
    # A payment whose allocation alone changed is an updated row too.
    return {"inserted": inserted, "updated": max(updated, found - inserted), "cancelled": cancelled}


def _merge_allocations(ctx: ImportContext, d) -> None:
    """A legacy payment settles the obligation it names, for its whole amount.

    `d` holds the changed payments only; their allocations are replaced where they differ.
    """
    p, a, conn = Payment.__table__, Allocation.__table__, ctx.conn
    wanted = (
        select(p.c.id.label("payment_id"), d.c.obligation_id, d.c.amount)
        .where(p.c.legacy_id == d.c.legacy_id, d.c.obligation_id.is_not(None))
        .subquery("wanted")
    )
    changed_payment = p.c.legacy_id.in_(_changed_keys("payment"))
    merge_paid.note(ctx, select(p.c.id).where(changed_payment))  # the allocations about to go
    conn.execute(delete(a).where(
        a.c.payment_id.in_(select(p.c.id).where(changed_payment, p.c.source == "legacy")),
        ~exists(select(_one()).where(
            wanted.c.payment_id == a.c.payment_id, wanted.c.obligation_id == a.c.obligation_id,
            wanted.c.amount == a.c.amount))))
    inserted = conn.execute(insert(a).from_select(
        ["payment_id", "obligation_id", "amount"],
        select(wanted.c.payment_id, wanted.c.obligation_id, wanted.c.amount).where(
            ~exists(select(_one()).where(a.c.payment_id == wanted.c.payment_id,
                                         a.c.obligation_id == wanted.c.obligation_id))),
    )).rowcount
    merge_paid.note(ctx, select(p.c.id).where(changed_payment))  # and the ones that came
    staging.analyze_if_grown(conn, "allocations", inserted)


def merge_appointments(ctx: ImportContext, protected_keys) -> dict[str, int]:
    """Insert, update and cancel appointments."""
    t, conn = Appointment.__table__, ctx.conn
    s, c, u = staging.appointments, Contractor.__table__, Unit.__table__
    d = (select(s.c.legacy_id, c.c.id.label("contractor_id"), u.c.id.label("unit_id"),
                s.c.starts_at, s.c.description, s.c.place)
         .where(c.c.legacy_id == s.c.contractor_legacy_id, u.c.code == s.c.unit_code)
         .subquery("desired"))
    same = t.c.legacy_id == d.c.legacy_id
    subject = literal("appointment:") + d.c.legacy_id
    changed = or_(differs(t, d, APPOINTMENT_FIELDS), t.c.status != RecordStatus.ACTIVE)
    record(ctx, select(d.c.contractor_id, literal(ChangeKind.APPOINTMENT_CHANGED.value), subject,
                       cast(t.c.starts_at, String), cast(d.c.starts_at, String))
           .where(same, changed))
    updated = conn.execute(
        update(t).where(same, changed)
        .values(**{n: d.c[n] for n in APPOINTMENT_FIELDS}, status=RecordStatus.ACTIVE,
                updated_at=ctx.stamp())
    ).rowcount
    cancelled = _cancel_missing(ctx, t, s, ChangeKind.APPOINTMENT_CANCELLED, "appointment",
                                protected_keys)
    new = ~exists(select(_one()).where(same))
    record(ctx, select(d.c.contractor_id, literal(ChangeKind.APPOINTMENT_NEW.value), subject,
                       literal(None), cast(d.c.starts_at, String))
           .where(new, _existing(ctx, d.c.contractor_id)))
    inserted = conn.execute(
        insert(t).from_select(
            ["legacy_id", *APPOINTMENT_FIELDS, "status", "created_at", "updated_at"],
            select(d.c.legacy_id, *(d.c[n] for n in APPOINTMENT_FIELDS),
                   literal(RecordStatus.ACTIVE.value), ctx.stamp(), ctx.stamp()).where(new),
        )
    ).rowcount
    return {"inserted": inserted, "updated": updated, "cancelled": cancelled}
