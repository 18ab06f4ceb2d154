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


def _patterns() -> dict[tuple[str, str], str]:
    """The built-in wordings (in the current locale) by (purpose, channel); `subject` as a channel of email."""
    return {
        ("due", "sms"): _("%(jednostka)s: reminder of payment deadlines: %(terminy)s. Details: %(link)s"),
        ("overdue", "sms"): _("%(jednostka)s: the payment deadline has passed: %(terminy)s. If you have paid, "
                              "please ignore this message. Details: %(link)s"),
        ("due", "email"): _("Good morning,\n\nwe remind %(nazwa)s of the payment deadlines:\n%(terminy)s\n\n"
                            "You can see the amounts and pay online in the business portal: %(link)s\n\n"
                            "%(jednostka)s"),
        ("overdue", "email"): _("Good morning,\n\nthe payment deadline of %(nazwa)s has passed:\n%(terminy)s\n\n"
                                "If you have already paid, please ignore this message. Details and online payment "
                                "in the business portal: %(link)s\n\n%(jednostka)s"),
        ("due", "subject"): _("Payment deadline %(termin)s"),
        ("overdue", "subject"): _("Payment deadline passed: %(termin)s"),
    }


@dataclass
class Wording:
    """Everything a reminder's text needs, read and translated once for a whole sweep."""

    patterns: dict[tuple[str, str], str]
    kinds: dict[str, str]
    office: dict[tuple[str, str], ReminderText]
    link: str

    @classmethod
    def load(cls) -> Wording:
        """The office's texts and the built-in ones, in Polish (the language of messages to businesses)."""
        with force_locale("pl"):
            patterns = _patterns()
            kinds = {str(k): str(v) for k, v in OBLIGATION_KIND_LABELS.items()}
        office = {(t.purpose, t.channel): t for t in db.session.scalars(select(ReminderText))}
        return cls(patterns, kinds, office, portal_link())

    def listing(self, items: list[Item], with_amounts: bool) -> str:
        """`15.03.2027 – podatek od nieruchomości; ...`, amounts only when they may be shown."""
        lines = []
        for item in sorted(items, key=lambda i: (i.due, i.kind)):
            line = f"{item.due:%d.%m.%Y} – {self.kinds.get(item.kind, item.kind)}"
            if with_amounts and item.amount is not None:
                line += f" ({format_pln(item.amount)})"
            lines.append(line)
        return "; ".join(dict.fromkeys(lines))

    def render(self, channel: str, items: list[Item], *, business: str, unit: str, amounts: bool = False) -> Text:
        """The reminder of one business on one channel for the items due (or overdue) at one moment."""
        shown = amounts and channel == "email"
        parts, subjects = [], []
        for purpose, group in (("due", [i for i in items if not i.overdue]),
                               ("overdue", [i for i in items if i.overdue])):
            if not group:
                continue
            values = {"nazwa": business, "terminy": self.listing(group, shown),
                      "termin": f"{min(i.due for i in group):%d.%m.%Y}", "link": self.link, "jednostka": unit}
            own = self.office.get((purpose, channel))
            body = (SANDBOX.from_string(own.body).render(values) if own
                    else self.patterns[(purpose, channel)] % values)
            parts.append(body.strip())
            if channel == "email":
                subjects.append(SANDBOX.from_string(own.subject).render(values) if own and own.subject
                                else self.patterns[(purpose, "subject")] % values)
        if channel == "sms":
            return Text(body=" ".join(parts))
        return Text(body="\n\n".join(parts) + "\n", subject=" / ".join(subjects)[:255])
