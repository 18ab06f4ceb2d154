"""What is paid on each obligation, kept by the ledger merge itself on PostgreSQL.

Database triggers keep `obligations.paid_amount` whatever writes allocations (migration 0021).
For the merge's bulk they would rewrite every obligation a first import allocates to, an update
of every paid obligation (75 s of a 100,000-business first import). On PostgreSQL the merge turns
them off for its own transaction (`begin`), gives new obligations their paid amount as they are
inserted (`staged_paid`), notes the obligations whose allocations it changes (`note`), and at
the end sums again those whose stored amount differs (`refresh`), through the triggers' own
function, which locks them first so that a payment booked online meanwhile counts. SQLite keeps
its row triggers on (one writer, small data) and needs none of this.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, text

from app.accounts.models import Allocation, Payment, RecordStatus
from app.legacy import staging
from app.legacy.events import ImportContext

#: The transaction-local setting the triggers obey (see migration 0021).
SETTING = "powiadomienia.ledger_merge"


def _postgresql(ctx: ImportContext) -> bool:
    return ctx.conn.dialect.name == "postgresql"


def begin(ctx: ImportContext) -> None:
    """From here to `refresh`, this transaction's allocation and payment changes skip the triggers."""
    if _postgresql(ctx):
        ctx.conn.execute(text("SELECT set_config(:name, 'on', true)"), {"name": SETTING})


def staged_paid():
    """A subquery of (obligation_legacy_id, paid): what the staged payments naming each obligation
    pay; a new obligation is inserted with it (the refresh corrects any it gets wrong). Grouped
    once and joined: the staging table has no index on the obligation it names."""
    s = staging.payments
    return (select(s.c.obligation_legacy_id, func.sum(s.c.amount).label("paid"))
            .where(s.c.obligation_legacy_id.is_not(None))
            .group_by(s.c.obligation_legacy_id).subquery("staged_paid"))


def note(ctx: ImportContext, payment_ids) -> None:
    """Note the obligations allocated to from these payments (a select of payment ids)."""
    if _postgresql(ctx):
        a = Allocation.__table__
        ctx.conn.execute(insert(staging.paid_touched).from_select(
            ["obligation_id"], select(a.c.obligation_id).where(a.c.payment_id.in_(payment_ids))))


def note_cancelled_payments(ctx: ImportContext) -> None:
    """Note the obligations allocated to from the payments this merge cancelled."""
    p = Payment.__table__
    note(ctx, select(p.c.id).where(p.c.status == RecordStatus.CANCELLED, p.c.updated_at == ctx.stamp()))


def refresh(ctx: ImportContext) -> int:
    """Sum again the noted obligations whose stored paid amount differs; the triggers are back on.

    Returns how many were corrected.
    """
    if not _postgresql(ctx):
        return 0
    conn = ctx.conn
    conn.exec_driver_sql("ANALYZE stg_paid_touched")
    wrong = conn.execute(text("""
        WITH touched AS (SELECT DISTINCT obligation_id AS id FROM stg_paid_touched),
        summed AS (SELECT t.id, coalesce(sum(a.amount) FILTER (WHERE p.status = 'active'), 0) AS paid
                   FROM touched t
                   LEFT JOIN allocations a ON a.obligation_id = t.id
                   LEFT JOIN payments p ON p.id = a.payment_id
                   GROUP BY t.id)
        SELECT array_agg(o.id) FROM obligations o JOIN summed s ON s.id = o.id
        WHERE o.paid_amount <> s.paid""")).scalar()
    conn.execute(text("SELECT set_config(:name, 'off', true)"), {"name": SETTING})
    if wrong:
        conn.execute(text("SELECT obligations_refresh_paid(:ids)"), {"ids": wrong})
    conn.execute(staging.paid_touched.delete())
    return len(wrong or [])
