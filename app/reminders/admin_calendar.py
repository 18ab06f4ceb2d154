"""The staff page "Payment deadlines": a year's statutory deadlines and the unpaid obligations soon due."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import Blueprint, flash, request
from flask_admin import Admin, expose
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.balance import paid_in_full
from app.accounts.contractor_admin import OBLIGATION_KIND_LABELS
from app.accounts.models import Obligation, ObligationKind, RecordStatus
from app.core.admin import ALL_ROLES, SecureBaseView
from app.core.clock import today_warsaw
from app.core.extensions import db
from app.reminders.calendar import (
    Deadline,
    effective_due,
    holiday_name,
    is_working_day,
    next_working_day,
    nominal_dates_for,
    statutory_deadlines,
)

#: How many days ahead the page counts unpaid obligations.
HORIZON_DAYS = 60
#: The years the page accepts.
FIRST_YEAR, LAST_YEAR = 2000, 2100

#: Serves this package's templates (`reminders/...`) to the admin views.
templates = Blueprint(
    "reminders_templates", __name__, template_folder=str(Path(__file__).parent / "templates")
)


@dataclass(frozen=True)
class DueDay:
    """Unpaid active obligations effectively due on one day, counted per kind."""

    day: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """All kinds together."""
        return sum(self.counts.values())


def unpaid_by_due_day(start: date, days: int = HORIZON_DAYS) -> list[DueDay]:
    """Unpaid active obligations effectively due from `start` for `days` days, per day and kind.

    One grouped query by nominal `due_on` and kind; nominal dates become effective ones here.
    The earliest nominal date that can fall due on `start` or later lies just after the last
    working day before `start`, which `nominal_dates_for` gives for a kind that moves.
    """
    end = start + timedelta(days=days - 1)
    first_nominal = min(nominal_dates_for(ObligationKind.PROPERTY_TAX, next_working_day(start)))
    query = (
        select(Obligation.due_on, Obligation.kind, func.count())
        .where(
            Obligation.status == RecordStatus.ACTIVE,
            Obligation.due_on.between(first_nominal, end),
            ~paid_in_full(),
        )
        .group_by(Obligation.due_on, Obligation.kind)
    )
    per_day: dict[date, Counter] = {}
    for nominal, kind, count in db.session.execute(query):
        effective = effective_due(kind, nominal)
        if start <= effective <= end:
            per_day.setdefault(effective, Counter())[kind] += count
    return [DueDay(day, dict(per_day[day])) for day in sorted(per_day)]


def _weekday(day: date) -> str:
    return format_date(day, "EEEE")


def deadline_note(deadline: Deadline) -> str:
    """What a member of staff should know about the deadline's date, or ""."""
    language = get_locale().language if get_locale() else "en"
    holiday = holiday_name(deadline.nominal, language)
    if deadline.moved:
        note = _("moved from %(weekday)s %(day)s", weekday=_weekday(deadline.nominal),
                 day=deadline.nominal.strftime("%d.%m"))
        return f"{note} ({holiday})" if holiday else note
    if not is_working_day(deadline.nominal):
        note = _("falls on %(weekday)s and is not moved: the statutory date is final",
                 weekday=_weekday(deadline.nominal))
        return f"{note} ({holiday})" if holiday else note
    return ""


def _chosen_year(today: date) -> int:
    raw = request.args.get("year", "").strip()
    if not raw:
        return today.year
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return int(raw)
    flash(_("The year must be a number from %(first)d to %(last)d; showing %(year)d.",
            first=FIRST_YEAR, last=LAST_YEAR, year=today.year), "error")
    return today.year


class DeadlineCalendarView(SecureBaseView):
    """Statutory deadlines of a year (nominal and effective) and unpaid obligations due soon."""

    required_roles = ALL_ROLES

    @expose("/")
    def index(self):
        """The calendar of the chosen year (`?year=`, default this year in Warsaw)."""
        today = today_warsaw()
        year = _chosen_year(today)
        calendars = [
            (kind, [(d, deadline_note(d)) for d in statutory_deadlines(kind, year)])
            for kind in ObligationKind
        ]
        due_days = unpaid_by_due_day(today)
        due_kinds = [kind for kind in ObligationKind if any(kind in d.counts for d in due_days)]
        return self.render(
            "reminders/admin/calendar.html",
            year=year,
            first_year=FIRST_YEAR,
            last_year=LAST_YEAR,
            calendars=[(kind, rows) for kind, rows in calendars if rows],
            without_calendar=", ".join(str(OBLIGATION_KIND_LABELS[k]) for k, rows in calendars if not rows),
            kind_labels=OBLIGATION_KIND_LABELS,
            today=today,
            horizon_end=today + timedelta(days=HORIZON_DAYS - 1),
            horizon_days=HORIZON_DAYS,
            due_days=due_days,
            due_kinds=due_kinds,
            weekday=_weekday,
        )


def register_admin(admin: Admin) -> None:
    """Add "Payment deadlines" under "Reminders"."""
    if "reminders_templates" not in admin.app.blueprints:
        admin.app.register_blueprint(templates)
    admin.add_view(DeadlineCalendarView(name=_l("Payment deadlines"), endpoint="deadline_calendar",
                                        category=_l("Reminders")))
