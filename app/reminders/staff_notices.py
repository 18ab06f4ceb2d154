"""Notices to finance staff when payments arrive, online or imported, immediate or in a daily digest.

`payments_arrived(payment_ids)` is the one way in: the online payment (through the
`payment_booked` signal) and every legacy import run (its `payment_new` change events) reach it.
A list is told about a payment once: its `PaymentNotice` row is claimed with an insert that skips
existing (list, payment) pairs, so a second call, or a concurrent one, finds nothing new. Staff
notices name amounts: tax secrecy concerns messages to the public, the office's staff may know.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update
from sqlalchemy.orm import selectinload

from app.accounts.contractor_admin import OBLIGATION_KIND_LABELS
from app.accounts.models import (
    Allocation,
    ChangeEvent,
    ChangeKind,
    Obligation,
    Payment,
    RecordStatus,
)
from app.channels.models import Purpose
from app.channels.notify import _address as staff_address
from app.channels.outbox import NewMessage, create_messages
from app.channels.sms_text import measure
from app.core.clock import WARSAW, utcnow
from app.core.db import among, insert_ignoring_duplicates, transactional
from app.core.extensions import db
from app.core.money import format_pln
from app.core.templating import format_day
from app.reminders.staff_models import NoticeMode, PaymentNotice, PaymentNoticeList

#: How a payment reached the office (`Payment.source`), as staff read it.
SOURCE_LABELS = {
    "legacy": _l("imported from the tax system"),
    "statement": _l("imported from a bank statement"),
    "online": _l("paid online"),
}
#: Payments named one by one in an SMS at most (fewer when they do not fit); the rest are counted.
SMS_ITEMS = 3
#: An SMS whose subject alone is too long is cut to this many characters (one UCS-2 part).
SMS_SHORTEST = 70
#: Payments named one by one in an email; the rest are counted.
EMAIL_ITEMS = 500


@dataclass(frozen=True)
class ArrivedPayment:
    """What a notice says about one payment."""

    id: int
    payer: str
    nip: str | None
    amount: Decimal
    paid_on: date
    unit_ids: frozenset[int]
    units: tuple[str, ...]
    kinds: tuple[str, ...]
    source: str


def _load(payment_ids: Sequence[int]) -> list[ArrivedPayment]:
    """The active payments among `payment_ids`, with their units and kinds from their allocation."""
    found: list[ArrivedPayment] = []
    ids = sorted(set(payment_ids))
    for start in range(0, len(ids), 1000):
        payments = db.session.scalars(
            select(Payment)
            .where(among(Payment.id, ids[start : start + 1000]), Payment.status == RecordStatus.ACTIVE)
            .options(selectinload(Payment.contractor), selectinload(Payment.unit),
                     selectinload(Payment.allocations).selectinload(Allocation.obligation)
                     .selectinload(Obligation.unit))
            .order_by(Payment.paid_on, Payment.id)
        )
        for p in payments:
            obligations = [a.obligation for a in p.allocations]
            units = {u.id: u for u in [p.unit, *(o.unit for o in obligations)] if u is not None}
            found.append(ArrivedPayment(
                id=p.id, payer=p.contractor.name, nip=p.contractor.nip, amount=p.amount, paid_on=p.paid_on,
                unit_ids=frozenset(units), units=tuple(units[k].name for k in sorted(units)),
                kinds=tuple(sorted({o.kind for o in obligations})), source=p.source,
            ))
    return found


def _active_lists(mode: NoticeMode | None = None) -> list[PaymentNoticeList]:
    query = (select(PaymentNoticeList).where(PaymentNoticeList.is_active.is_(True))
             .options(selectinload(PaymentNoticeList.members)).order_by(PaymentNoticeList.id))
    if mode is not None:
        query = query.where(PaymentNoticeList.mode == mode)
    return list(db.session.scalars(query))


def _claim(list_id: int, payment_ids: list[int], *, notified_at: datetime | None,
           message_key: str | None) -> set[int]:
    """Record the payments for the list; returns those it had not heard of (the others are skipped)."""
    now = utcnow()
    rows = [{"list_id": list_id, "payment_id": pid, "recorded_at": now, "notified_at": notified_at,
             "message_key": message_key} for pid in payment_ids]
    statement = insert_ignoring_duplicates(PaymentNotice.__table__, ["list_id", "payment_id"])
    return set(db.session.scalars(statement.returning(PaymentNotice.payment_id), rows))


def _batch_key(list_id: int, payments: list[ArrivedPayment]) -> str:
    ids = ",".join(str(p.id) for p in sorted(payments, key=lambda p: p.id))
    return f"payments:{list_id}:{hashlib.sha256(ids.encode()).hexdigest()[:20]}"


@transactional
def payments_arrived(payment_ids: list[int]) -> list[int]:
    """Tell the lists about arrived payments: immediate lists now, digest lists at their hour.

    Returns the ids of the messages written. Payments already told to a list (or waiting for
    its digest) are skipped, so calling twice sends nothing new.
    """
    payments = _load(payment_ids)
    if not payments:
        return []
    message_ids: list[int] = []
    now = utcnow()
    for notice_list in _active_lists():
        matched = [p for p in payments if notice_list.covers(p.unit_ids, p.kinds)]
        if not matched:
            continue
        if notice_list.mode != NoticeMode.IMMEDIATE:
            _claim(notice_list.id, [p.id for p in matched], notified_at=None, message_key=None)
            continue
        key = _batch_key(notice_list.id, matched)
        claimed = _claim(notice_list.id, [p.id for p in matched], notified_at=now, message_key=key)
        told = [p for p in matched if p.id in claimed]
        if told:
            message_ids += _send(notice_list, told, key, digest_day=None)
    return message_ids


@transactional
def send_digests(now: datetime | None = None) -> list[int]:
    """Send the digests due by `now`: once a day per list whose Warsaw hour has come.

    A digest lists the payments waiting since the previous one that arrived before today's hour;
    later ones wait for tomorrow's, so a digest never goes out at another hour.
    """
    now = now or utcnow()
    local = now.astimezone(WARSAW)
    message_ids: list[int] = []
    for notice_list in _active_lists(NoticeMode.DIGEST):
        if notice_list.digest_hour > local.hour:
            continue
        # One digest at a time per list (a row lock on PostgreSQL), so the check below holds.
        db.session.execute(select(PaymentNoticeList.id).where(PaymentNoticeList.id == notice_list.id)
                           .with_for_update())
        key = f"payments-digest:{notice_list.id}:{local.date().isoformat()}"
        sent_today = exists().where(PaymentNotice.list_id == notice_list.id, PaymentNotice.message_key == key)
        if db.session.scalar(select(sent_today)):
            continue  # what arrives after today's digest waits for tomorrow's
        moment = local.replace(hour=notice_list.digest_hour, minute=0, second=0, microsecond=0)
        claimed = db.session.scalars(
            update(PaymentNotice)
            .where(PaymentNotice.list_id == notice_list.id, PaymentNotice.notified_at.is_(None),
                   PaymentNotice.recorded_at <= moment.astimezone(UTC))
            .values(notified_at=now, message_key=key)
            .returning(PaymentNotice.payment_id)
        ).all()
        payments = _load(claimed)
        if payments:
            message_ids += _send(notice_list, payments, key, digest_day=local.date())
    return message_ids


def imported_payment_ids(import_run_id: int) -> list[int]:
    """The payments a legacy import run recorded as new (its `payment_new` change events)."""
    subjects = db.session.scalars(
        select(ChangeEvent.subject).where(ChangeEvent.import_run_id == import_run_id,
                                          ChangeEvent.kind == ChangeKind.PAYMENT_NEW)
    ).all()
    legacy_ids = [s.removeprefix("payment:") for s in subjects if s and s.startswith("payment:")]
    found: list[int] = []
    for start in range(0, len(legacy_ids), 1000):
        found += db.session.scalars(
            select(Payment.id).where(among(Payment.legacy_id, legacy_ids[start : start + 1000]))).all()
    return found


@transactional
def notify_import_run(import_run_id: int) -> list[int]:
    """Tell the lists about the payments a committed legacy import run brought."""
    return payments_arrived(imported_payment_ids(import_run_id))


# -- wording ---------------------------------------------------------------------------------------


def _line(p: ArrivedPayment) -> str:
    payer = f"{p.payer} (NIP {p.nip})" if p.nip else p.payer
    units = ", ".join(p.units) or _("unit not known")
    kinds = ", ".join(str(OBLIGATION_KIND_LABELS.get(k, k)) for k in p.kinds) or _("not allocated")
    source = str(SOURCE_LABELS.get(p.source, p.source))
    return _("%(payer)s: %(amount)s paid on %(day)s to %(units)s for %(kinds)s, %(source)s",
             payer=payer, amount=format_pln(p.amount), day=format_day(p.paid_on), units=units,
             kinds=kinds, source=source)


def _subject(notice_list: PaymentNoticeList, payments: list[ArrivedPayment], digest_day: date | None) -> str:
    total = format_pln(sum((p.amount for p in payments), Decimal("0")))
    if digest_day is not None:
        return _("Payments received by %(day)s: %(count)d, %(total)s (%(list)s)", day=format_day(digest_day),
                 count=len(payments), total=total, list=notice_list.name)
    if len(payments) == 1:
        return _("Payment received: %(payer)s, %(total)s", payer=payments[0].payer, total=total)
    return _("Payments received: %(count)d, %(total)s", count=len(payments), total=total)


def _listing(payments: list[ArrivedPayment], limit: int) -> list[str]:
    lines = [_line(p) for p in payments[:limit]]
    if len(payments) > limit:
        lines.append(_("and %(count)d more", count=len(payments) - limit))
    return lines


def _sms_text(heading: str, payments: list[ArrivedPayment]) -> str:
    """The heading and as many payments as fit the SMS length limit; the rest are counted."""
    max_parts = current_app.config["SMS_MAX_PARTS"]
    for limit in range(min(len(payments), SMS_ITEMS), -1, -1):
        text = f"{heading}: " + "; ".join(_listing(payments, limit))
        if measure(text).parts <= max_parts:
            return text
    return heading[:SMS_SHORTEST]


def _wording(notice_list: PaymentNoticeList, payments: list[ArrivedPayment],
             digest_day: date | None) -> tuple[str, str, str]:
    """(subject, email body, SMS text) in the office's language."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _subject(notice_list, payments, digest_day)
        footer = _("You receive this as a member of the list “%(list)s” (Payment notices in the admin).",
                   list=notice_list.name)
        lines = "\n".join(f"- {line}" for line in _listing(payments, EMAIL_ITEMS))
        # A single payment's SMS names it once: its line says who paid how much.
        heading = _("Payment received") if len(payments) == 1 and digest_day is None else subject
        return subject, f"{lines}\n\n{footer}", _sms_text(heading, payments)


def _send(notice_list: PaymentNoticeList, payments: list[ArrivedPayment], key: str,
          *, digest_day: date | None) -> list[int]:
    """One message per member of the list on its channel; members without that address are skipped."""
    subject, email, sms = _wording(notice_list, payments, digest_day)
    items = []
    for user in notice_list.members:
        recipient = staff_address(user, notice_list.channel) if user.is_active else None
        if recipient is None:
            continue
        items.append(NewMessage(
            channel=notice_list.channel, recipient=recipient, purpose=Purpose.STAFF,
            subject=subject if notice_list.channel == "email" else None,
            body=email if notice_list.channel == "email" else sms,
            idempotency_key=f"staff:{key}:{user.id}:{notice_list.channel}",
            origin=f"payment-notices:{notice_list.id}",
        ))
    return create_messages(items)
