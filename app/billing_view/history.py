"""Payment history reports: payments and their allocations by period and kind, yearly summaries.

Only payments booked to units the user consented to are shown. A handful of set-based queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, select

from app.accounts.models import Allocation, Obligation, ObligationKind, Payment, RecordStatus
from app.core.extensions import db
from app.core.money import quantize

MAX_PAYMENTS = 2000  # one report; a longer period is asked to be split


@dataclass
class HistoryFilter:
    """The report's period (paid on, inclusive) and kind; `errors` names refused fields and values."""

    date_from: date
    date_to: date
    kind: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, today: date) -> HistoryFilter:
        """Read `from`, `to` (YYYY-MM-DD) and `kind`; defaults: from 1 January last year to today."""
        chosen = cls(date(today.year - 1, 1, 1), today)
        for name, attribute in (("from", "date_from"), ("to", "date_to")):
            raw = args.get(name, "").strip()
            if raw:
                try:
                    setattr(chosen, attribute, date.fromisoformat(raw))
                except ValueError:
                    chosen.errors[name] = raw
        if chosen.date_from > chosen.date_to:
            chosen.errors["to"] = args.get("to", "")
            chosen.date_from, chosen.date_to = chosen.date_to, chosen.date_from
        raw_kind = args.get("kind", "").strip()
        if raw_kind:
            if raw_kind in set(ObligationKind):
                chosen.kind = raw_kind
            else:
                chosen.errors["kind"] = raw_kind
        return chosen


@dataclass(frozen=True)
class AllocationLine:
    """The part of a payment that settled one obligation."""

    kind: str
    description: str
    document_no: str | None
    period: str | None
    due_on: date | None
    amount: Decimal


@dataclass(frozen=True)
class PaymentLine:
    """One payment with its allocations."""

    id: int
    paid_on: date
    amount: Decimal
    method: str
    unit_id: int | None
    description: str | None
    allocations: list[AllocationLine]

    @property
    def unallocated(self) -> Decimal:
        """What the office has not tied to an obligation yet (an overpayment meanwhile)."""
        return self.amount - sum((a.amount for a in self.allocations), Decimal("0.00"))


@dataclass(frozen=True)
class YearSummary:
    """Per year (of the due date) and kind: assessed, paid, remaining."""

    year: int | None
    kind: str
    assessed: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        """Assessed minus paid."""
        return self.assessed - self.paid


def payments_in(contractor_id: int, unit_ids: set[int], chosen: HistoryFilter) -> tuple[list[PaymentLine], bool]:
    """The business's payments in the period (newest first) with allocations; True when cut at the limit."""
    if not unit_ids:
        return [], False
    units = sorted(unit_ids)
    query = (select(Payment.id, Payment.paid_on, Payment.amount, Payment.method, Payment.unit_id,
                    Payment.description)
             .where(Payment.contractor_id == contractor_id, Payment.unit_id.in_(units),
                    Payment.status == RecordStatus.ACTIVE, Payment.paid_on.between(chosen.date_from, chosen.date_to))
             .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(MAX_PAYMENTS + 1))
    if chosen.kind:
        query = query.where(exists(select(Allocation.payment_id).join(
            Obligation, Obligation.id == Allocation.obligation_id).where(
            Allocation.payment_id == Payment.id, Obligation.kind == chosen.kind)))
    rows = db.session.execute(query).all()
    cut = len(rows) > MAX_PAYMENTS
    rows = rows[:MAX_PAYMENTS]
    parts: dict[int, list[AllocationLine]] = defaultdict(list)
    if rows:
        found = db.session.execute(
            select(Allocation.payment_id, Allocation.amount, Obligation.kind, Obligation.description,
                   Obligation.document_no, Obligation.period, Obligation.due_on)
            .join(Obligation, Obligation.id == Allocation.obligation_id)
            .where(Allocation.payment_id.in_([r.id for r in rows]), Obligation.unit_id.in_(units))
            .order_by(Obligation.due_on, Obligation.id))
        for a in found:
            parts[a.payment_id].append(AllocationLine(a.kind, a.description, a.document_no, a.period, a.due_on,
                                                      quantize(a.amount)))
    return [PaymentLine(r.id, r.paid_on, quantize(r.amount), r.method, r.unit_id, r.description, parts[r.id])
            for r in rows], cut


def yearly_summary(contractor_id: int, unit_ids: set[int], chosen: HistoryFilter) -> list[YearSummary]:
    """Per year of the due date (or assessment) within the period's years, and kind: assessed, paid, left."""
    if not unit_ids:
        return []
    year = func.extract("year", func.coalesce(Obligation.due_on, Obligation.assessed_on))
    inner = (select(year.label("year"), Obligation.kind.label("kind"), Obligation.amount.label("amount"),
                    Obligation.paid_amount.label("paid"))
             .where(Obligation.contractor_id == contractor_id, Obligation.unit_id.in_(sorted(unit_ids)),
                    Obligation.status == RecordStatus.ACTIVE,
                    func.coalesce(Obligation.due_on, Obligation.assessed_on).between(
                        date(chosen.date_from.year, 1, 1), date(chosen.date_to.year, 12, 31))))
    if chosen.kind:
        inner = inner.where(Obligation.kind == chosen.kind)
    lines = inner.subquery()
    rows = db.session.execute(
        select(lines.c.year, lines.c.kind, func.sum(lines.c.amount), func.sum(lines.c.paid))
        .group_by(lines.c.year, lines.c.kind).order_by(lines.c.year.desc(), lines.c.kind)).all()
    return [YearSummary(int(r[0]) if r[0] is not None else None, r[1], quantize(r[2] or 0), quantize(r[3] or 0))
            for r in rows]
