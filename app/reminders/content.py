"""The words of payment reminders and overdue notices, in Polish, under tax secrecy.

By default neither SMS nor email names an amount or an arrear (tajemnica skarbowa: a phone or a
mailbox may be read by someone else): they name the kind of payment, its deadline and the
portal. A unit may allow amounts in emails; an SMS never carries one. The office may replace
the built-in wording per purpose (`due`, `overdue`) and channel with its own text
(`ReminderText`), rendered in a sandbox with the placeholders below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select

from app.accounts.contractor_admin import OBLIGATION_KIND_LABELS
from app.core.extensions import db
from app.core.money import format_pln
from app.reminders.models import ReminderText

#: Placeholders an office text may use, with what they stand for.
PLACEHOLDERS = ("nazwa", "terminy", "termin", "link", "jednostka")
SANDBOX = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class Item:
    """One obligation in a reminder: its kind, effective deadline and (if it may be shown) amount."""

    kind: str
    due: date
    overdue: bool
    amount: Decimal | None = None


@dataclass(frozen=True)
class Text:
    """A rendered message: subject for email, the body for both channels."""

    body: str
    subject: str | None = None


def portal_link() -> str:
    """The portal's address, where a business sees what it owes."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/portal"


def _kind(kind: str) -> str:
    label = OBLIGATION_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def _listing(items: list[Item], with_amounts: bool) -> str:
    lines = []
    for item in sorted(items, key=lambda i: (i.due, i.kind)):
        line = f"{item.due:%d.%m.%Y} – {_kind(item.kind)}"
        if with_amounts and item.amount is not None:
            line += f" ({format_pln(item.amount)})"
        lines.append(line)
    return "; ".join(dict.fromkeys(lines))


def render(channel: str, items: list[Item], *, business: str, unit: str, amounts: bool = False) -> Text:
    """The reminder of one business on one channel for the items due (or overdue) at one moment."""
    with force_locale("pl"):
        shown = amounts and channel == "email"
        due = [i for i in items if not i.overdue]
        late = [i for i in items if i.overdue]
        parts, subjects = [], []
        for purpose, group in (("due", due), ("overdue", late)):
            if not group:
                continue
            values = {"nazwa": business, "terminy": _listing(group, shown),
                      "termin": f"{min(i.due for i in group):%d.%m.%Y}", "link": portal_link(), "jednostka": unit}
            own = _office_text(purpose, channel)
            body = SANDBOX.from_string(own.body).render(values) if own else _built_in(purpose, channel, values)
            subject = None
            if channel == "email":
                subject = (SANDBOX.from_string(own.subject).render(values) if own and own.subject
                           else _built_in_subject(purpose, values))
            parts.append(body.strip())
            subjects.append(subject)
        if channel == "sms":
            return Text(body=" ".join(parts))
        return Text(body="\n\n".join(parts) + "\n", subject=" / ".join(s for s in subjects if s)[:255])


def _office_text(purpose: str, channel: str) -> ReminderText | None:
    return db.session.scalar(select(ReminderText).where(ReminderText.purpose == purpose,
                                                        ReminderText.channel == channel))


def _built_in(purpose: str, channel: str, values: dict) -> str:
    if channel == "sms":
        if purpose == "due":
            return _("%(unit)s: reminder of payment deadlines: %(items)s. Details: %(link)s",
                     unit=values["jednostka"], items=values["terminy"], link=values["link"])
        return _("%(unit)s: the payment deadline has passed: %(items)s. If you have paid, please ignore "
                 "this message. Details: %(link)s", unit=values["jednostka"], items=values["terminy"],
                 link=values["link"])
    if purpose == "due":
        return _("Good morning,\n\nwe remind %(business)s of the payment deadlines:\n%(items)s\n\n"
                 "You can see the amounts and pay online in the business portal: %(link)s\n\n%(unit)s",
                 business=values["nazwa"], items=values["terminy"], link=values["link"], unit=values["jednostka"])
    return _("Good morning,\n\nthe payment deadline of %(business)s has passed:\n%(items)s\n\n"
             "If you have already paid, please ignore this message. Details and online payment in the "
             "business portal: %(link)s\n\n%(unit)s",
             business=values["nazwa"], items=values["terminy"], link=values["link"], unit=values["jednostka"])


def _built_in_subject(purpose: str, values: dict) -> str:
    if purpose == "due":
        return _("Payment deadline %(date)s", date=values["termin"])
    return _("Payment deadline passed: %(date)s", date=values["termin"])
