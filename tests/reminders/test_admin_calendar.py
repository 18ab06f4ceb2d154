"""The "Payment deadlines" staff page: who may open it, a year's deadlines, unpaid obligations due soon."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from app.accounts.models import Allocation, RecordStatus
from app.reminders import admin_calendar
from app.reminders.admin_calendar import unpaid_by_due_day
from tests.admin_support import signed_in
from tests.factories import create_contractor, create_obligation, create_payment, create_unit


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    """The words a reader sees, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def row(html: str, attribute: str) -> str:
    """The text of the table row carrying `attribute` (e.g. 'data-due="2026-02-02"')."""
    match = re.search(rf"<tr [^>]*{re.escape(attribute)}[^>]*>(.*?)</tr>", html, re.S)
    assert match, f"no row with {attribute}"
    return text_of(match.group(1)).strip()


def table_of_kind(html: str, kind: str) -> str:
    match = re.search(rf'<table [^>]*data-kind="{kind}"[^>]*>(.*?)</table>', html, re.S)
    assert match, f"no table of {kind}"
    return match.group(1)


@pytest.fixture
def today(monkeypatch):
    """The page's today in Warsaw, fixed: Wednesday 28 January 2026."""
    day = date(2026, 1, 28)
    monkeypatch.setattr(admin_calendar, "today_warsaw", lambda: day)
    return day


@pytest.mark.parametrize("role", ["admin", "communicator", "approver", "finance", "inbox"])
def test_every_staff_role_sees_the_calendar_in_the_menu(client, db, role):
    signed_in(client, db, role)
    html = page(client, "/admin/deadline_calendar/?lang=en")
    assert "Payment deadlines" in html
    assert 'href="/admin/deadline_calendar/"' in page(client, "/admin/?lang=en")


def test_strangers_are_sent_to_sign_in(client, db):
    response = client.get("/admin/deadline_calendar/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_the_year_shows_nominal_and_effective_dates_and_says_which_moved(client, db, today):
    signed_in(client, db, "finance")
    html = page(client, "/admin/deadline_calendar/?year=2026&lang=en")
    assert "Statutory deadlines in 2026" in html

    pon = table_of_kind(html, "PON")
    assert "<caption" in pon and "property tax (PON)" in pon
    assert re.search(r'<th scope="col"', pon)
    assert row(pon, 'data-nominal="2026-01-31"') == (
        "Property tax, instalment 1 of 12 31.01.2026 02.02.2026 Monday moved from Saturday 31.01")
    assert row(pon, 'data-nominal="2026-08-15"').endswith("moved from Saturday 15.08 (Assumption Day)")
    assert row(pon, 'data-nominal="2026-11-15"') == (
        "Property tax, instalment 11 of 12 15.11.2026 16.11.2026 Monday moved from Sunday 15.11")
    assert row(pon, 'data-nominal="2026-04-15"') == "Property tax, instalment 4 of 12 15.04.2026 15.04.2026 Wednesday"

    alk = table_of_kind(html, "ALK")
    assert row(alk, 'data-nominal="2026-01-31"') == (
        "Alcohol licence fee, instalment 1 of 3 31.01.2026 31.01.2026 Saturday "
        "falls on Saturday and is not moved: the statutory date is final")
    assert row(table_of_kind(html, "PST"), 'data-nominal="2026-02-15"').startswith(
        "Transport vehicle tax, instalment 1 of 2 15.02.2026 16.02.2026 Monday")
    assert row(table_of_kind(html, "UW"), 'data-nominal="2026-03-31"') == (
        "Perpetual usufruct fee for the year 31.03.2026 31.03.2026 Tuesday")
    assert 'data-kind="DZR"' not in html and "No statutory calendar: lease rent" in html


def test_another_year_is_chosen_and_the_default_is_this_year(client, db, today):
    signed_in(client, db, "communicator")
    html = page(client, "/admin/deadline_calendar/?year=2027&lang=en")
    assert row(table_of_kind(html, "PON"), 'data-nominal="2027-01-31"').endswith("moved from Sunday 31.01")
    assert 'href="/admin/deadline_calendar/?year=2028"' in html
    assert "Statutory deadlines in 2026" in page(client, "/admin/deadline_calendar/")


def test_a_year_that_is_not_one_is_refused_with_a_message(client, db, today):
    signed_in(client, db, "communicator")
    html = page(client, "/admin/deadline_calendar/?year=20x6&lang=en")
    assert "The year must be a number from 2000 to 2100; showing 2026." in html
    assert "Statutory deadlines in 2026" in html


def test_the_page_in_polish_names_weekdays_in_polish(client, db, today):
    signed_in(client, db, "admin")
    html = page(client, "/admin/deadline_calendar/?year=2026&lang=pl")
    assert "sobota" in row(table_of_kind(html, "ALK"), 'data-nominal="2026-01-31"')


def _unpaid(**fields):
    return create_obligation(amount=Decimal("100.00"), **fields)


def _paid(obligation, amount: str, status=RecordStatus.ACTIVE):
    payment = create_payment(contractor=obligation.contractor, amount=Decimal(amount), status=status)
    payment.allocations.append(Allocation(obligation_id=obligation.id, amount=Decimal(amount)))


def test_unpaid_obligations_are_counted_on_the_day_they_are_really_due(client, db, today):
    firm, unit = create_contractor(), create_unit()
    same = dict(contractor=firm, unit=unit)
    _unpaid(kind="PON", due_on=date(2026, 1, 31), **same)  # Saturday -> Monday 2.02
    _unpaid(kind="PON", due_on=date(2026, 2, 1), **same)  # Sunday -> Monday 2.02
    _paid(_unpaid(kind="PON", due_on=date(2026, 2, 2), **same), "40.00")  # partly paid
    _paid(_unpaid(kind="PON", due_on=date(2026, 2, 2), **same), "100.00")  # paid
    _paid(_unpaid(kind="PON", due_on=date(2026, 2, 2), **same), "100.00", RecordStatus.CANCELLED)
    _unpaid(kind="PON", due_on=date(2026, 2, 2), status=RecordStatus.CANCELLED, **same)
    _unpaid(kind="ALK", due_on=date(2026, 1, 31), **same)  # stays on Saturday
    _unpaid(kind="DZR", due_on=date(2026, 1, 27), **same)  # already past
    _unpaid(kind="PON", due_on=date(2026, 3, 28), **same)  # Saturday -> 30.03, past the 60 days
    _unpaid(kind="DZR", due_on=date(2026, 3, 27), **same)  # the last Friday within the 60 days
    db.session.commit()

    signed_in(client, db, "finance")
    html = page(client, "/admin/deadline_calendar/?lang=en")
    assert "Unpaid obligations falling due in the next 60 days" in html
    assert "28.01.2026–28.03.2026" in text_of(html)
    due_rows = re.findall(r'data-due="([\d-]+)"', html)
    assert due_rows == ["2026-01-31", "2026-02-02", "2026-03-27"]
    header = text_of(re.search(r'<section [^>]*data-section="due-soon".*?</thead>', html, re.S).group(0))
    assert "Payment due on property tax alcohol licence fee lease rent Total" in header
    assert row(html, 'data-due="2026-01-31"') == "31.01.2026 Saturday — 1 — 1"
    assert row(html, 'data-due="2026-02-02"') == "02.02.2026 Monday 4 — — 4"
    assert row(html, 'data-due="2026-03-27"') == "27.03.2026 Friday — — 1 1"


def test_nothing_due_soon_says_so(client, db, today):
    signed_in(client, db, "inbox")
    html = page(client, "/admin/deadline_calendar/?lang=en")
    assert "No unpaid obligation falls due from 28.01.2026 to 28.03.2026." in html


def test_on_a_saturday_a_deadline_moved_from_the_friday_holiday_before_still_counts(db):
    # Friday 1 May 2026 is a public holiday and Sunday 3 May too: both fall due on Monday 4 May.
    _unpaid(kind="PON", due_on=date(2026, 5, 1))
    _unpaid(kind="UW", due_on=date(2026, 5, 3))
    _unpaid(kind="ALK", due_on=date(2026, 5, 1))  # never moved: already past on Saturday
    db.session.commit()
    due = unpaid_by_due_day(date(2026, 5, 2))
    assert [(d.day, d.counts) for d in due] == [(date(2026, 5, 4), {"PON": 1, "UW": 1})]
