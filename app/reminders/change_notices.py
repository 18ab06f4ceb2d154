"""Account-change notices: what an import (or the API, or the portal) changed, told to each business once.

Unprocessed change events are taken oldest first and grouped per business and import run (events
without a run: per business and notice run). Each group whose business wants the `changes` topic
becomes one message per channel it chose and can be reached on. Under tax secrecy the text names
kinds of charges, due dates and payment dates, never amounts, unless the channel is email and the
unit of the change allows amounts in emails. Every taken event, notified or not, is marked
processed in the transaction that writes the messages; idempotency keys (business, run or first
event, channel) make a repeated run harmless.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from jinja2 import TemplateError
from sqlalchemy import select, text, update

from app.accounts.contractor_admin import OBLIGATION_KIND_LABELS
from app.accounts.models import (
    ChangeEvent,
    ChangeKind,
    Contractor,
    Obligation,
    ObligationKind,
    Payment,
    RecordStatus,
    Unit,
)
from app.channels.models import Purpose
from app.channels.outbox import NewMessage, create_messages, policies_for
from app.channels.sms_text import measure, transliterate
from app.core.clock import utcnow
from app.core.db import among, on_postgresql, transactional
from app.core.extensions import db
from app.core.money import format_pln
from app.reminders.content import SANDBOX, portal_link
from app.reminders.models import (
    ACCOUNT_CHANGES,
    ReminderPreference,
    ReminderText,
    ReminderUnitSetting,
)
from app.reminders.preferences import Schedule, plan_for
from app.reminders.sweep import reachable

log = logging.getLogger(__name__)

#: Key of the advisory lock one notice run holds at a time (PostgreSQL).
LOCK_KEY = 7_310_522_002
#: An SMS listing more parts than this tells counts instead of every change.
SMS_PARTS = 2
CHUNK = 5000
#: What each notified event kind says (a new obligation of kind KU is a formal reminder's cost).
NOTIFIED = {ChangeKind.OBLIGATION_NEW: "new", ChangeKind.OBLIGATION_AMOUNT_CHANGED: "amount",
            ChangeKind.OBLIGATION_DUE_CHANGED: "due", ChangeKind.OBLIGATION_CANCELLED: "cancelled",
            ChangeKind.PAYMENT_NEW: "payment"}


@dataclass(frozen=True)
class Change:
    """One change as a business hears of it; amounts are shown only where the unit allows."""

    what: str  # new, reminder, amount, due, cancelled, payment
    kind: str | None = None  # the obligation kind
    due: date | None = None
    old_due: date | None = None
    paid_on: date | None = None
    amount: Decimal | None = None
    old_amount: Decimal | None = None
    unit_id: int | None = None


@dataclass(frozen=True)
class Batch:
    """What one notice run did."""

    events: int = 0
    messages: int = 0
    skipped: bool = False  # another run held the lock


def notify_changes(limit: int = 5000) -> int:
    """Notify businesses of up to `limit` unprocessed change events; returns the messages created."""
    return notify_batch(limit).messages


def notify_pending(limit: int = 5000, rounds: int = 20) -> int:
    """Notify in batches until no unprocessed change event is left (or `rounds` ran); messages created."""
    messages = 0
    for _round in range(rounds):
        batch = notify_batch(limit)
        messages += batch.messages
        if batch.skipped or batch.events < limit:
            break
    return messages


@transactional
def notify_batch(limit: int = 5000) -> Batch:
    """One batch: take events, write one message per business, group and channel, mark them processed."""
    if on_postgresql() and not db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}):
        return Batch(skipped=True)
    events = _take(limit)
    if not events:
        return Batch()
    groups: dict[tuple[int, int | None], list] = defaultdict(list)
    for event in events:
        groups[(event.contractor_id, event.import_run_id)].append(event)
    changes = _changes(events)
    items = _messages(groups, changes)
    ids = [e.id for e in events]
    now = utcnow()
    for start in range(0, len(ids), CHUNK):
        db.session.execute(update(ChangeEvent).where(among(ChangeEvent.id, ids[start:start + CHUNK]),
                                                     ChangeEvent.processed_at.is_(None))
                           .values(processed_at=now).execution_options(synchronize_session=False))
    if items:
        create_messages(items, checked_addresses=True)
    return Batch(events=len(events), messages=len(items))


def _take(limit: int) -> list:
    """The oldest unprocessed events, plus the rest of any import run's group the limit cut."""
    columns = (ChangeEvent.id, ChangeEvent.contractor_id, ChangeEvent.kind, ChangeEvent.subject,
               ChangeEvent.old_value, ChangeEvent.new_value, ChangeEvent.details, ChangeEvent.import_run_id)
    pending = ChangeEvent.processed_at.is_(None)
    events = list(db.session.execute(select(*columns).where(pending).order_by(ChangeEvent.id).limit(limit)))
    if len(events) < limit:
        return events
    cut = {(e.contractor_id, e.import_run_id) for e in events if e.import_run_id is not None}
    if cut:
        rest = db.session.execute(select(*columns).where(
            pending, ChangeEvent.id > events[-1].id,
            among(ChangeEvent.import_run_id, sorted({r for _c, r in cut})),
            among(ChangeEvent.contractor_id, sorted({c for c, _r in cut}))).order_by(ChangeEvent.id))
        events += [e for e in rest if (e.contractor_id, e.import_run_id) in cut]
    return events


def _changes(events: list) -> dict[int, Change]:
    """Event id -> what the business hears of it (only notified kinds), with set-based look-ups."""
    def key(event, prefix: str, detail: str):
        subject = event.subject or ""
        if subject.startswith(prefix + ":"):
            return "legacy", subject[len(prefix) + 1:]
        found = (event.details or {}).get(detail)
        return ("id", int(found)) if isinstance(found, int) else (None, None)

    obligations = _lookup(Obligation, [key(e, "obligation", "obligation_id") for e in events
                                       if e.kind in NOTIFIED and e.kind != ChangeKind.PAYMENT_NEW],
                          Obligation.kind, Obligation.due_on, Obligation.amount, Obligation.unit_id)
    payments = _lookup(Payment, [key(e, "payment", "payment_id") for e in events if e.kind == ChangeKind.PAYMENT_NEW],
                       Payment.paid_on, Payment.amount, Payment.unit_id)
    found: dict[int, Change] = {}
    for e in events:
        if e.kind not in NOTIFIED:
            continue
        if e.kind == ChangeKind.PAYMENT_NEW:
            p = payments.get(key(e, "payment", "payment_id"))
            found[e.id] = Change("payment", paid_on=p and p.paid_on, amount=_amount(e.new_value) or (p and p.amount),
                                 unit_id=p and p.unit_id)
            continue
        o = obligations.get(key(e, "obligation", "obligation_id"))
        kind, due, unit_id = (o.kind, o.due_on, o.unit_id) if o else (None, None, None)
        what = NOTIFIED[e.kind]
        if e.kind == ChangeKind.OBLIGATION_NEW:
            what = "reminder" if kind == ObligationKind.REMINDER_COST else "new"
            found[e.id] = Change(what, kind, due, amount=_amount(e.new_value) or (o and o.amount), unit_id=unit_id)
        elif e.kind == ChangeKind.OBLIGATION_AMOUNT_CHANGED:
            found[e.id] = Change(what, kind, due, amount=_amount(e.new_value), old_amount=_amount(e.old_value),
                                 unit_id=unit_id)
        elif e.kind == ChangeKind.OBLIGATION_DUE_CHANGED:
            found[e.id] = Change(what, kind, _date(e.new_value) or due, old_due=_date(e.old_value), unit_id=unit_id)
        else:
            found[e.id] = Change(what, kind, due, unit_id=unit_id)
    return found


def _lookup(model, keys: list, *columns) -> dict:
    """(`legacy`, legacy id) or (`id`, id) -> the row of `model` with `columns`, in chunked queries."""
    found = {}
    for kind, column in (("legacy", model.legacy_id), ("id", model.id)):
        wanted = sorted({v for k, v in keys if k == kind})
        for start in range(0, len(wanted), CHUNK):
            for row in db.session.execute(select(column.label("key"), *columns).where(
                    among(column, wanted[start:start + CHUNK]))):
                found[(kind, row.key)] = row
    return found


def _amount(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _messages(groups: dict[tuple[int, int | None], list], changes: dict[int, Change]) -> list[NewMessage]:
    """One message per group and channel its business wants and can be reached on."""
    told = {key: [changes[e.id] for e in events if e.id in changes] for key, events in groups.items()}
    contractors = sorted({c for (c, _run), found in told.items() if found})
    if not contractors:
        return []
    names = {row.id: row.name for row in db.session.execute(
        select(Contractor.id, Contractor.name).where(among(Contractor.id, contractors),
                                                     Contractor.status != RecordStatus.CANCELLED))}
    wanted = _channels_wanted(contractors)
    addresses = reachable(contractors)
    units = sorted({c.unit_id for found in told.values() for c in found if c.unit_id is not None})
    unit_names = dict(db.session.execute(select(Unit.id, Unit.name).where(among(Unit.id, units))).all()) if units else {}
    allowed = set(db.session.scalars(select(ReminderUnitSetting.unit_id).where(
        ReminderUnitSetting.amounts_in_email.is_(True), among(ReminderUnitSetting.unit_id, units)))) if units else set()
    policies = policies_for(units)
    wording = Wording.load()
    items = []
    for (contractor_id, run_id), found in told.items():
        if not found or contractor_id not in names:
            continue
        unit_id = next((c.unit_id for c in found if c.unit_id is not None), None)
        stamp = f"run{run_id}" if run_id is not None else f"ev{groups[(contractor_id, run_id)][0].id}"
        for channel in wanted.get(contractor_id, []):
            address = addresses.get((contractor_id, channel))
            if address is None:
                continue
            policy = policies.get(unit_id)
            body, subject = wording.render(
                channel, found, business=names[contractor_id],
                unit=unit_names.get(unit_id) or current_app.config["MAIL_FROM_NAME"],
                amounts=allowed if channel == "email" else set(),
                transliterated=bool(policy and policy.sms_transliterate))
            items.append(NewMessage(channel=channel, recipient=address, body=body, subject=subject,
                                    purpose=Purpose.NOTICE, idempotency_key=f"notice:{contractor_id}:{stamp}:{channel}",
                                    origin=f"notice:run{run_id}" if run_id is not None else "notice:direct",
                                    contractor_id=contractor_id, unit_id=unit_id))
    return items


def _channels_wanted(contractors: list[int]) -> dict[int, list[str]]:
    """Business -> the channels of its `changes` choice (its own, else the office's plan); none when off."""
    own = {p.contractor_id: Schedule.of(p) for p in db.session.scalars(select(ReminderPreference).where(
        ReminderPreference.topic == ACCOUNT_CHANGES, among(ReminderPreference.contractor_id, contractors)))}
    plan = plan_for(ACCOUNT_CHANGES)
    chosen = {c: own.get(c) or plan for c in contractors}
    return {c: list(s.channels) for c, s in chosen.items() if s.enabled}


@dataclass
class Wording:
    """The built-in Polish texts and the office's own, read once per run."""

    patterns: dict[str, str]
    kinds: dict[str, str]
    office: dict[str, ReminderText]
    link: str

    @classmethod
    def load(cls) -> Wording:
        """The office's `changes` texts and the built-in ones, in Polish."""
        with force_locale("pl"):
            patterns = {
                "sms": _("%(jednostka)s: there are changes on your account: %(zmiany)s. Details: %(link)s"),
                "email": _("Good morning,\n\nthere are changes on the account of %(nazwa)s with the office:\n"
                           "%(zmiany)s\n\nDetails in the business portal: %(link)s\n\n%(jednostka)s"),
                "subject": _("Changes on your account – %(jednostka)s"),
            }
            kinds = {str(k): str(v) for k, v in OBLIGATION_KIND_LABELS.items()}
        office = {t.channel: t for t in db.session.scalars(select(ReminderText).where(
            ReminderText.purpose == ACCOUNT_CHANGES))}
        return cls(patterns, kinds, office, portal_link())

    def render(self, channel: str, changes: list[Change], *, business: str, unit: str, amounts: set[int],
               transliterated: bool = False) -> tuple[str, str | None]:
        """(body, subject) of one business's notice on one channel; an SMS too long tells counts."""
        with force_locale("pl"):
            lines = [self.line(c, c.unit_id in amounts) for c in changes]
            listed = Counter(lines)
            lines = [f"{line} (×{listed[line]})" if listed[line] > 1 else line for line in dict.fromkeys(lines)]
            if channel == "email":
                return self._fill(channel, "\n".join(f"– {line}" for line in lines), business, unit)
            body = ""
            for listing in ("; ".join(lines), *self.summaries(changes)):  # the first that fits, else the shortest
                body, _subject = self._fill(channel, listing, business, unit)
                if measure(transliterate(body) if transliterated else body).parts <= SMS_PARTS:
                    break
            return body, None

    def _fill(self, channel: str, listing: str, business: str, unit: str) -> tuple[str, str | None]:
        values = {"nazwa": business, "zmiany": listing, "link": self.link, "jednostka": unit}
        own = self.office.get(channel)
        body = subject = None
        if own is not None:
            try:
                body = SANDBOX.from_string(own.body).render(values).strip()
                if channel == "email" and own.subject:
                    subject = SANDBOX.from_string(own.subject).render(values).strip()
            except TemplateError:
                log.exception("the office's account-change text for %s cannot be rendered; built-in used", channel)
                body = subject = None
        body = body or self.patterns[channel] % values
        if channel == "email":
            return body.strip() + "\n", (subject or self.patterns["subject"] % values)[:255]
        return body.strip(), None

    def line(self, change: Change, with_amount: bool) -> str:
        """One change in words: kind and dates; the amount only when it may be shown."""
        kind = self.kinds.get(change.kind or "", change.kind or _("obligation"))
        due = f"{change.due:%d.%m.%Y}" if change.due else None
        if change.what == "payment":
            text = _("payment of %(date)s booked", date=f"{change.paid_on:%d.%m.%Y}") if change.paid_on \
                else _("payment booked")
        elif change.what == "reminder":
            text = _("formal reminder cost added")
        elif change.what == "due":
            text = _("due date changed: %(kind)s, now %(due)s", kind=kind, due=due or "–")
            if change.old_due:
                text += " " + _("(was %(date)s)", date=f"{change.old_due:%d.%m.%Y}")
        else:
            label = {"new": _("new obligation: %(kind)s"), "amount": _("amount changed: %(kind)s"),
                     "cancelled": _("obligation cancelled: %(kind)s")}[change.what] % {"kind": kind}
            text = label + (", " + _("due %(date)s", date=due) if due else "")
        if with_amount and change.amount is not None:
            shown = format_amounts(change.old_amount, change.amount)
            text += f" ({shown})"
        return text

    def summaries(self, changes: list[Change]) -> list[str]:
        """Shorter listings for an SMS without room for each change: counts and the nearest due date, or
        that date alone."""
        counts = Counter(c.what for c in changes)
        phrases = {
            "new": lambda n: ngettext("%(num)d new obligation", "%(num)d new obligations", n),
            "reminder": lambda n: ngettext("%(num)d formal reminder cost", "%(num)d formal reminder costs", n),
            "amount": lambda n: ngettext("%(num)d changed amount", "%(num)d changed amounts", n),
            "due": lambda n: ngettext("%(num)d changed due date", "%(num)d changed due dates", n),
            "cancelled": lambda n: ngettext("%(num)d cancelled obligation", "%(num)d cancelled obligations", n),
            "payment": lambda n: ngettext("%(num)d payment booked", "%(num)d payments booked", n),
        }
        parts = [phrases[what](counts[what]) for what in phrases if counts[what]]
        dues = [c.due for c in changes if c.due and c.what in ("new", "amount", "due")]
        if not dues:
            return [", ".join(parts)]
        nearest = _("nearest due date %(date)s", date=f"{min(dues):%d.%m.%Y}")
        return [", ".join([*parts, nearest]), nearest]


def format_amounts(old: Decimal | None, new: Decimal) -> str:
    """`70,00 zł` or, for a changed amount, `67,00 zł → 70,00 zł`."""
    return f"{format_pln(old)} → {format_pln(new)}" if old is not None else format_pln(new)
