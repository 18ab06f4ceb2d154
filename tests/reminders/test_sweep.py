"""The reminder sweep driven across a year: every reminder once, on its day and hour, none for paid ones."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.models import Allocation
from app.channels.models import Message
from app.reminders import sweep as sweeping
from app.reminders.calendar import effective_due, statutory_deadlines
from app.reminders.models import ReminderDelivery, ReminderUnitSetting
from app.reminders.preferences import Schedule, ensure_plans, save_preference
from tests.campaigns.conftest import business
from tests.factories import create_obligation, create_payment, create_unit

YEAR = 2027
START = datetime(YEAR - 1, 12, 20, tzinfo=UTC)
END = datetime(YEAR + 1, 1, 10, tzinfo=UTC)


def _local(message: Message) -> tuple[str, date, int]:
    """(channel, day, hour) a reminder belongs to, read from its idempotency key."""
    stamp = message.idempotency_key.split(":")[2]
    moment = datetime.strptime(stamp, "%Y%m%dT%H")
    return message.channel, moment.date(), moment.hour


def _run_year(step_hours: int = 6) -> None:
    sweeping.reset_mark(START)
    now = START
    while now <= END:
        now += timedelta(hours=step_hours)
        sweeping.sweep(now)


@pytest.fixture
def office(db, app):
    app.config["QUIET_HOURS"] = "00:00-00:00"
    ensure_plans()  # the built-in plan: 7 and 1 day before at 9:00 by SMS, overdue after 3 days
    unit = create_unit(name="Urząd Miasta Ełku")
    db.session.commit()
    return unit


def test_a_year_of_reminders_each_once_on_its_day_and_hour(db, office):
    plan_only = business(db, phone="+48600200001", email="a@firma.pl", name="Piekarnia")
    own = business(db, phone="+48600200002", email="b@firma.pl", name="Hurtownia Alkoholi")
    off = business(db, phone="+48600200003", name="Sklep Wyłączony")
    db.session.commit()
    # Property tax: twelve instalments for the first, by the statutory calendar.
    pon = [create_obligation(contractor=plan_only, unit=office, kind="PON", due_on=d.nominal, amount=Decimal("250"))
           for d in statutory_deadlines("PON", YEAR)]
    # Alcohol licence for the second: its own choice (3 days before and on the day, 8:00, email).
    alk = [create_obligation(contractor=own, unit=office, kind="ALK", due_on=d.nominal, amount=Decimal("900"))
           for d in statutory_deadlines("ALK", YEAR)]
    save_preference(own.id, "ALK", Schedule(days_before=[3, 0], days_after=[], channels=["email"], hour=8))
    # The third switched property tax off.
    create_obligation(contractor=off, unit=office, kind="PON", due_on=date(YEAR, 3, 15))
    save_preference(off.id, "PON", Schedule(enabled=False, channels=[]))
    # One instalment paid in full long before its deadline: no reminder for it at all.
    paid = pon[5]
    payment = create_payment(contractor=plan_only, unit=office, paid_on=date(YEAR, 1, 5), amount=paid.amount)
    db.session.add(Allocation(payment_id=payment.id, obligation_id=paid.id, amount=paid.amount))
    db.session.commit()

    _run_year()

    sent = list(db.session.scalars(select(Message).where(Message.purpose == "reminder")))
    got = Counter((m.contractor_id, *_local(m)) for m in sent)
    assert all(n == 1 for n in got.values()), "a reminder went twice"
    expected = Counter()
    for obligation in pon:
        if obligation.id == paid.id:
            continue
        due = effective_due("PON", obligation.due_on)
        for days in (7, 1):
            expected[(plan_only.id, "sms", due - timedelta(days=days), 9)] += 1
        expected[(plan_only.id, "sms", due + timedelta(days=3), 9)] += 1  # nobody paid: overdue notices
    for obligation in alk:
        for days in (3, 0):
            expected[(own.id, "email", obligation.due_on - timedelta(days=days), 8)] += 1
    assert got == expected
    # January's instalment (31.01.2027 is a Sunday) is due Monday 1 February; the alcohol fee stays.
    assert (plan_only.id, "sms", date(YEAR, 1, 31), 9) in got  # 1 day before Monday 1.02
    assert (own.id, "email", date(YEAR, 1, 31), 8) in got  # ALK on the (Sunday) day itself
    # Tax secrecy: no amount in any reminder.
    assert not any("250" in m.body or "900" in m.body for m in sent)
    texts = [m.body for m in sent if m.contractor_id == plan_only.id and "01.02.2027" in m.body]
    assert texts and "podatek od nieruchomości" in texts[0]


def test_a_reminder_missed_while_down_goes_late_only_before_the_deadline(db, office):
    firm = business(db, phone="+48600200010", name="Zakład")
    obligation = create_obligation(contractor=firm, unit=office, kind="PST", due_on=date(YEAR, 9, 15))
    db.session.commit()
    ensure_plans()
    # Down from 1 September to the morning of 14 September: the 7-day reminder (8.09 9:00) is late
    # but the deadline has not passed, so it goes; the 1-day one (14.09 9:00) goes on time.
    sweeping.reset_mark(datetime(YEAR, 9, 1, tzinfo=UTC))
    sweeping.sweep(datetime(YEAR, 9, 14, 7, 30, tzinfo=UTC))
    sweeping.sweep(datetime(YEAR, 9, 14, 8, 30, tzinfo=UTC))
    days = sorted(_local(m)[1] for m in db.session.scalars(select(Message).where(Message.contractor_id == firm.id)))
    assert days == [date(YEAR, 9, 8), date(YEAR, 9, 14)]
    # Down over the whole deadline: the reminders before it are not sent after it, the overdue one is.
    db.session.query(Message).delete()
    db.session.query(ReminderDelivery).delete()
    db.session.commit()
    sweeping.reset_mark(datetime(YEAR, 9, 1, tzinfo=UTC))
    sweeping.sweep(datetime(YEAR, 9, 20, 12, tzinfo=UTC))
    late = [m for m in db.session.scalars(select(Message).where(Message.contractor_id == firm.id))]
    assert [_local(m)[1] for m in late] == [date(YEAR, 9, 18)]
    assert "minął termin" in late[0].body.lower()
    assert obligation.id in set(db.session.scalars(select(ReminderDelivery.obligation_id)))


def test_one_message_per_business_and_moment_lists_everything_due(db, office):
    firm = business(db, phone="+48600200020", email="firma@firma.pl", name="Firma")
    other_unit = create_unit(name="Zarząd Mienia")
    create_obligation(contractor=firm, unit=office, kind="PON", due_on=date(YEAR, 3, 15))
    create_obligation(contractor=firm, unit=other_unit, kind="UW", due_on=date(YEAR, 3, 15))
    db.session.add(ReminderUnitSetting(unit_id=office.id, amounts_in_email=True))
    db.session.commit()
    save_preference(firm.id, "PON", Schedule(days_before=[1], channels=["sms", "email"], hour=9))
    save_preference(firm.id, "UW", Schedule(days_before=[1], channels=["sms"], hour=9))
    sweeping.reset_mark(datetime(YEAR, 3, 14, 7, tzinfo=UTC))
    sweeping.sweep(datetime(YEAR, 3, 14, 9, tzinfo=UTC))
    messages = {m.channel: m for m in db.session.scalars(select(Message).where(Message.contractor_id == firm.id))}
    assert set(messages) == {"sms", "email"}
    assert "podatek od nieruchomości" in messages["sms"].body and "użytkowanie wieczyste" in messages["sms"].body
    assert "zł" not in messages["sms"].body  # never an amount by SMS
    assert "100,00" in messages["email"].body  # this unit allows amounts in emails


def test_a_payment_cancels_a_reminder_not_yet_sent(db, office, app):
    app.config["QUIET_HOURS"] = "08:00-10:00"  # the 9:00 reminder waits until 10:00
    firm = business(db, phone="+48600200030", name="Firma")
    obligation = create_obligation(contractor=firm, unit=office, kind="PON", due_on=date(YEAR, 4, 15))
    db.session.commit()
    ensure_plans()
    sweeping.reset_mark(datetime(YEAR, 4, 14, 6, tzinfo=UTC))
    sweeping.sweep(datetime(YEAR, 4, 14, 7, 30, tzinfo=UTC))
    message = db.session.scalar(select(Message).where(Message.contractor_id == firm.id))
    assert message is not None
    payment = create_payment(contractor=firm, unit=office, paid_on=date(YEAR, 4, 14), amount=obligation.amount)
    db.session.add(Allocation(payment_id=payment.id, obligation_id=obligation.id, amount=obligation.amount))
    db.session.commit()
    result = sweeping.sweep(datetime(YEAR, 4, 14, 7, 40, tzinfo=UTC))
    db.session.refresh(message)
    if message.status == "created":
        pytest.fail("the paid obligation's reminder still waits to be sent")
    assert result.cancelled == 1 or message.status == "cancelled"


def test_two_sweeps_at_once_send_nothing_twice(db, office, app):
    firms = [business(db, phone=f"+486002001{n:02d}", name=f"Firma {n}") for n in range(20)]
    for firm in firms:
        create_obligation(contractor=firm, unit=office, kind="PON", due_on=date(YEAR, 5, 17))
    db.session.commit()
    ensure_plans()
    sweeping.reset_mark(datetime(YEAR, 5, 10, 6, tzinfo=UTC))
    now = datetime(YEAR, 5, 10, 8, tzinfo=UTC)
    errors = []

    def run():
        try:
            with app.app_context():
                sweeping.sweep(now)
                from app.core.extensions import db as own

                own.session.remove()
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors and not db.engine.dialect.name == "postgresql":
        # SQLite serialises writers: the second sweep may find the database locked and give up.
        assert all("locked" in str(e) for e in errors)
    else:
        assert not errors
    db.session.expire_all()
    keys = list(db.session.scalars(select(Message.idempotency_key).where(Message.purpose == "reminder")))
    assert len(keys) == len(set(keys)) == 20
    assert Counter(db.session.scalars(select(ReminderDelivery.obligation_id))).most_common(1)[0][1] == 1
    assert all(local.hour == 9 for local in (datetime.strptime(k.split(":")[2], "%Y%m%dT%H") for k in keys))


def test_a_new_installation_reminds_by_the_built_in_plan(db, app):
    app.config["QUIET_HOURS"] = "00:00-00:00"
    firm = business(db, phone="+48600200040", name="Nowa Firma")
    create_obligation(contractor=firm, unit=create_unit(), kind="PON", due_on=date(YEAR, 6, 15))
    db.session.commit()
    sweeping.reset_mark(datetime(YEAR, 6, 14, 6, tzinfo=UTC))  # nobody ever saved a plan
    sweeping.sweep(datetime(YEAR, 6, 14, 8, tzinfo=UTC))
    sent = list(db.session.scalars(select(Message).where(Message.contractor_id == firm.id)))
    assert [(m.channel, _local(m)[1:]) for m in sent] == [("sms", (date(YEAR, 6, 14), 9))]
