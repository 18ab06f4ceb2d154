"""The reminder sweep: every moment that came since the last sweep, in SQL, then one message per business.

A moment is a whole hour of a day in Warsaw. The sweep takes the moments after its mark up to
now (usually none or one; after downtime all that were missed), and for each finds every
(obligation, offset, channel) whose rule says "this hour, this many days before (or after) the
deadline", whose obligation is active and unpaid, and which has no delivery yet. Deadlines are
effective ones (moved off weekends and holidays where the law moves them), looked up by their
nominal dates so the due-date index answers. A reminder before the deadline is sent late only
while the deadline has not passed; after it, the overdue notice takes over.

Each business gets one message per channel per moment listing everything due then. Deliveries
are written under a unique key (obligation, offset, channel) and messages under an idempotency
key (business, moment, channel), and the whole sweep holds a PostgreSQL advisory lock: two
sweeps, or a retried one, never send twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from app.accounts.balance import paid_in_full
from app.accounts.consents import consent_given
from app.accounts.models import (
    ContactPoint,
    Contractor,
    Obligation,
    RecordStatus,
    Unit,
)
from app.channels.models import Message, MessageStatus, OptOut, Purpose, status_among
from app.channels.outbox import NewMessage, create_messages
from app.core import audit
from app.core.clock import WARSAW, as_utc, utcnow
from app.core.db import among, insert_ignoring_duplicates, on_postgresql
from app.core.extensions import db
from app.reminders.calendar import effective_due, nominal_dates_for
from app.reminders.content import Item, Wording
from app.reminders.models import (
    ReminderDelivery,
    ReminderPreference,
    ReminderRule,
    ReminderUnitSetting,
    SweepMark,
)
from app.reminders.preferences import ensure_plans

log = logging.getLogger(__name__)

MARK = "reminders"
#: Key of the advisory lock one sweep holds at a time (PostgreSQL).
LOCK_KEY = 7_310_522_001
#: How far back the very first sweep looks, and the longest catch-up after downtime.
FIRST_LOOKBACK = timedelta(hours=1)
LONGEST_CATCH_UP = timedelta(days=40)


@dataclass
class SweepResult:
    """What one sweep did."""

    moments: list[datetime] = field(default_factory=list)
    deliveries: int = 0
    messages: int = 0
    cancelled: int = 0
    skipped: bool = False  # another sweep held the lock


def sweep(now: datetime | None = None) -> SweepResult:
    """Send every reminder whose moment came since the last sweep; one transaction, one sweep at a time."""
    now = as_utc(now) if now is not None else utcnow()
    result = SweepResult()
    _built_in_plans()
    try:
        if on_postgresql() and not db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                                     {"key": LOCK_KEY}):
            result.skipped = True
            db.session.rollback()
            return result
        mark = _mark(now)
        start = max(as_utc(mark.swept_until), now - LONGEST_CATCH_UP)
        result.cancelled = cancel_paid(now)
        for moment in moments_between(start, now):
            deliveries, messages = _remind_at(moment, now)
            result.moments.append(moment)
            result.deliveries += deliveries
            result.messages += messages
        if now > as_utc(mark.swept_until):
            mark.swept_until = now
        mark.updated_at = now
        if result.messages:
            audit.record("reminders.swept", target="reminders", moments=len(result.moments),
                         deliveries=result.deliveries, messages=result.messages)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def _built_in_plans() -> None:
    """Make the built-in plans rules where the office has written none (a new installation)."""
    try:
        ensure_plans()
    except IntegrityError:  # another sweep wrote them at the same moment
        db.session.rollback()


def _mark(now: datetime) -> SweepMark:
    query = select(SweepMark).where(SweepMark.name == MARK)
    if on_postgresql():
        query = query.with_for_update()
    mark = db.session.scalar(query)
    if mark is None:
        mark = SweepMark(name=MARK, swept_until=now - FIRST_LOOKBACK, updated_at=now)
        db.session.add(mark)
        db.session.flush()
    return mark


def moments_between(start: datetime, end: datetime) -> list[datetime]:
    """Whole Warsaw hours in (start, end], as UTC instants (a DST change is followed as the clock is)."""
    local = as_utc(start).astimezone(WARSAW).replace(minute=0, second=0, microsecond=0)
    instant = local.astimezone(UTC)
    found = []
    while instant <= end:
        if instant > start:
            found.append(instant)
        instant += timedelta(hours=1)
    return found


def _remind_at(moment: datetime, now: datetime) -> tuple[int, int]:
    """Reminders of one moment: deliveries recorded and messages created."""
    local = moment.astimezone(WARSAW)
    day, hour = local.date(), local.hour
    today = now.astimezone(WARSAW).date()
    rules = db.session.execute(select(ReminderRule.offset_days, ReminderRule.topic).where(
        ReminderRule.hour == hour).distinct()).all()
    topics_by_offset: dict[int, set[str]] = defaultdict(set)
    for offset, topic in rules:
        topics_by_offset[offset].add(topic)
    found: list[tuple] = []
    for offset, topics in sorted(topics_by_offset.items()):
        deadline = day + timedelta(days=offset)
        if offset >= 0 and deadline < today:
            continue  # the deadline passed while the platform was down: the overdue notice takes over
        found.extend(_due(hour, offset, deadline, topics))
    if not found:
        return 0, 0
    return _send(moment, found, now)


def _due(hour: int, offset: int, deadline: date, topics: set[str]) -> list[tuple]:
    """(obligation id, contractor id, kind, nominal due, unit id, amount, channel, offset) due at this moment."""
    by_dates = []
    for topic in sorted(topics):
        nominal = nominal_dates_for(topic, deadline)
        if nominal:
            by_dates.append(and_(Obligation.kind == topic, Obligation.due_on.in_(nominal)))
    if not by_dates:
        return []
    own_choice = exists().where(ReminderPreference.contractor_id == Obligation.contractor_id,
                                ReminderPreference.topic == Obligation.kind)
    rule_applies = and_(
        ReminderRule.topic == Obligation.kind, ReminderRule.hour == hour, ReminderRule.offset_days == offset,
        or_(ReminderRule.contractor_id == Obligation.contractor_id,
            and_(ReminderRule.contractor_id.is_(None), ~own_choice)))
    delivered = exists().where(ReminderDelivery.obligation_id == Obligation.id,
                               ReminderDelivery.offset_days == offset, ReminderDelivery.channel == ReminderRule.channel)
    query = (
        select(Obligation.id, Obligation.contractor_id, Obligation.kind, Obligation.due_on, Obligation.unit_id,
               Obligation.amount, ReminderRule.channel, literal(offset))
        .join(ReminderRule, rule_applies)
        .where(or_(*by_dates), Obligation.status == RecordStatus.ACTIVE, ~paid_in_full(), ~delivered)
    )
    return list(db.session.execute(query).all())


def _send(moment: datetime, found: list[tuple], now: datetime) -> tuple[int, int]:
    """Record the deliveries and create one message per business and channel."""
    contractors = sorted({row[1] for row in found})
    addresses = reachable(contractors)
    names = dict(db.session.execute(select(Contractor.id, Contractor.name).where(
        among(Contractor.id, contractors))).all())
    units = {row[4] for row in found}
    unit_names = dict(db.session.execute(select(Unit.id, Unit.name).where(among(Unit.id, list(units)))).all())
    amounts_allowed = set(db.session.scalars(select(ReminderUnitSetting.unit_id).where(
        ReminderUnitSetting.amounts_in_email.is_(True), among(ReminderUnitSetting.unit_id, list(units)))))
    stamp = moment.astimezone(WARSAW).strftime("%Y%m%dT%H")
    wording = Wording.load()
    grouped: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for row in found:
        grouped[(row[1], row[6])].append(row)
    deliveries, items = [], []
    for (contractor_id, channel), rows in grouped.items():
        address = addresses.get((contractor_id, channel))
        key = f"reminder:{contractor_id}:{stamp}:{channel}"
        deliveries.extend({"obligation_id": r[0], "contractor_id": contractor_id, "offset_days": r[7],
                           "channel": channel, "due_on": effective_due(r[2], r[3]),
                           "message_key": key if address else "unreachable", "created_at": now} for r in rows)
        if address is None:
            continue
        unit_id = rows[0][4]
        listed = [Item(kind=r[2], due=effective_due(r[2], r[3]), overdue=r[7] < 0,
                       amount=Decimal(r[5]) if r[4] in amounts_allowed else None) for r in rows]
        text = wording.render(channel, listed, business=names.get(contractor_id, ""),
                      unit=unit_names.get(unit_id, ""), amounts=unit_id in amounts_allowed)
        items.append(NewMessage(channel=channel, recipient=address, body=text.body, subject=text.subject,
                                purpose=Purpose.REMINDER, idempotency_key=key, origin=f"reminder:{stamp}",
                                contractor_id=contractor_id, unit_id=unit_id))
    table = ReminderDelivery.__table__
    for start in range(0, len(deliveries), 5000):
        db.session.execute(insert_ignoring_duplicates(table, ["obligation_id", "offset_days", "channel"]),
                           deliveries[start:start + 5000])
    if items:
        create_messages(items, checked_addresses=True)
    return len(deliveries), len(items)


def reachable(contractor_ids: list[int]) -> dict[tuple[int, str], str]:
    """(business, channel) -> its address: a consented contact point (a mobile for SMS), not opted out."""
    if not contractor_ids:
        return {}
    consented = or_(*(and_(ContactPoint.channel == channel, consent_given(channel, ContactPoint.contractor_id))
                      for channel in ("sms", "email")))
    usable = and_(ContactPoint.is_active.is_(True), ContactPoint.unusable_reason.is_(None),
                  or_(ContactPoint.channel != "sms", ContactPoint.number_class == "mobile"))
    opted_out = exists().where(OptOut.channel == ContactPoint.channel, OptOut.address == ContactPoint.value)
    rows = db.session.execute(
        select(ContactPoint.contractor_id, ContactPoint.channel, ContactPoint.value)
        .where(among(ContactPoint.contractor_id, contractor_ids), consented, usable, ~opted_out)
        .order_by(ContactPoint.contractor_id, ContactPoint.channel, ContactPoint.id))
    found: dict[tuple[int, str], str] = {}
    for contractor_id, channel, value in rows:
        found.setdefault((contractor_id, channel), value)
    return found


def cancel_paid(now: datetime | None = None) -> int:
    """Cancel reminders not yet handed to a provider whose every obligation is now paid."""
    now = now or utcnow()
    pending = db.session.execute(
        select(Message.idempotency_key, ReminderDelivery.obligation_id)
        .join(ReminderDelivery, ReminderDelivery.message_key == Message.idempotency_key)
        .where(Message.purpose == Purpose.REMINDER, Message.status == MessageStatus.CREATED)).all()
    if not pending:
        return 0
    obligations: dict[str, set[int]] = defaultdict(set)
    for key, obligation_id in pending:
        obligations[key].add(obligation_id)
    all_ids = sorted({o for ids in obligations.values() for o in ids})
    unpaid = set(db.session.scalars(select(Obligation.id).where(
        among(Obligation.id, all_ids), Obligation.status == RecordStatus.ACTIVE, ~paid_in_full())))
    settled = [key for key, ids in obligations.items() if not ids & unpaid]
    if not settled:
        return 0
    result = db.session.execute(
        update(Message).where(among(Message.idempotency_key, settled), status_among(MessageStatus.CREATED))
        .values(status=MessageStatus.CANCELLED, finished_at=now, error="paid before the reminder was sent")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def reset_mark(at: datetime) -> None:
    """Set how far the sweep has looked (tests and a first start at a chosen instant)."""
    mark = db.session.scalar(select(SweepMark).where(SweepMark.name == MARK))
    if mark is None:
        db.session.add(SweepMark(name=MARK, swept_until=as_utc(at), updated_at=utcnow()))
    else:
        mark.swept_until = as_utc(at)
    db.session.commit()

