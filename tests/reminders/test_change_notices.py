"""Account-change notices: each business hears of what an import changed, once, as it chose, under tax secrecy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import ChangeEvent, Contractor, Unit
from app.broker import QUEUE_DEFAULT, broker
from app.channels.models import Message
from app.channels.sms_text import measure
from app.legacy.service import import_snapshot
from app.reminders.change_notices import notify_changes
from app.reminders.models import ReminderText, ReminderUnitSetting
from app.reminders.preferences import Schedule, save_plan, save_preference
from tests.legacy.conftest import FIXTURES, edit_file

SHOP = "K000010"  # Sklep Ewa Krawczyk: mobile 796 682 145, biuro@krawczyk10.pl, both consents
PHONE, EMAIL = "+48796682145", "biuro@krawczyk10.pl"
PORTAL = "http://127.0.0.1:5000/portal"
NEW_TAX = "N00000998;{who};UM;PON;Podatek od nieruchomości 2027, rata 01;Deklaracja DN-1;DN-1/2027/10;2027/01;" \
          "01.02.2027;358,00;20.11.2026;A\r\n"
REMINDER_COST = "N00000999;{who};UM;KU;Koszty upomnienia;Upomnienie nr 12/2026;UP/12/2026;2026;;16,00;20.11.2026;A\r\n"
PAYMENT = "W00000998;K000010;N00000155;20.11.2026;358,00;P;Podatek od nieruchomości 2026, rata 12\r\n"


@pytest.fixture
def office(db, app, tmp_path) -> Path:
    """The sample town imported once (its first events told nobody), notices by SMS and email."""
    sample = Path(shutil.copytree(FIXTURES / "sample", tmp_path / "sample"))
    app.config["QUIET_HOURS"] = "00:00-00:00"
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    import_snapshot(sample)
    assert notify_changes() == 0  # a new business hears nothing of its own arrival
    save_plan("changes", Schedule(channels=["sms", "email"]))
    return sample


def _id(db, legacy_id: str) -> int:
    return db.session.scalar(select(Contractor.id).where(Contractor.legacy_id == legacy_id))


def _notices(db, legacy_id: str = SHOP) -> dict[str, list[Message]]:
    found: dict[str, list[Message]] = {"sms": [], "email": []}
    for m in db.session.scalars(select(Message).where(Message.contractor_id == _id(db, legacy_id),
                                                      Message.purpose == "notice").order_by(Message.id)):
        found[m.channel].append(m)
    return found


def _unprocessed(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ChangeEvent).where(ChangeEvent.processed_at.is_(None)))


def _changes_for_the_shop(folder: Path) -> None:
    """A new property-tax instalment, a formal reminder's cost, a payment and a moved deadline."""
    edit_file(folder, "naleznosci.csv", lambda t: t.replace(
        "2026/12;15.12.2026;358,00", "2026/12;16.12.2026;358,00") + NEW_TAX.format(who=SHOP)
        + REMINDER_COST.format(who=SHOP))
    edit_file(folder, "wplaty.csv", lambda t: t + PAYMENT)


def test_one_sms_and_one_email_per_import_listing_its_changes_without_amounts(db, office):
    _changes_for_the_shop(office)
    import_snapshot(office)

    assert notify_changes() == 2
    notices = _notices(db)
    [sms], [email] = notices["sms"], notices["email"]
    assert (sms.recipient, email.recipient) == (PHONE, EMAIL)
    assert "podatek od nieruchomości" in email.body and "01.02.2027" in email.body  # the new instalment
    assert "16.12.2026" in email.body and "15.12.2026" in email.body  # the deadline moved, and from when
    assert "20.11.2026" in email.body  # the payment's date
    assert "koszt upomnienia" in email.body  # the formal reminder's cost
    assert "Sklep Ewa Krawczyk" in email.body and email.subject
    for message in (sms, email):
        assert PORTAL in message.body
        assert "358" not in message.body and "16,00" not in message.body and "zł" not in message.body
    # Four changes do not fit two parts of an SMS: it counts them and names the nearest deadline.
    assert measure(sms.body).parts <= 2
    assert "01.02.2027" in sms.body or "16.12.2026" in sms.body
    assert _unprocessed(db) == 0


def test_a_unit_allowing_amounts_shows_them_in_the_email_only(db, office):
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "UM"))
    db.session.add(ReminderUnitSetting(unit_id=unit_id, amounts_in_email=True))
    db.session.commit()
    _changes_for_the_shop(office)
    import_snapshot(office)

    notify_changes()
    [sms], [email] = _notices(db)["sms"], _notices(db)["email"]
    assert "358,00\u00a0zł" in email.body  # the new instalment and the payment
    assert "16,00\u00a0zł" in email.body  # the reminder's cost
    assert "358" not in sms.body and "zł" not in sms.body


def test_a_single_change_is_named_in_the_sms(db, office):
    edit_file(office, "wplaty.csv", lambda t: t + PAYMENT)
    import_snapshot(office)

    notify_changes()
    [sms] = _notices(db)["sms"]
    assert "20.11.2026" in sms.body and PORTAL in sms.body and "358" not in sms.body
    assert measure(sms.body).parts <= 2


def test_a_batch_limit_never_splits_one_import_of_one_business(db, office):
    _changes_for_the_shop(office)
    import_snapshot(office)

    notify_changes(limit=1)  # takes the first event, and the rest of that business's import with it
    [email] = _notices(db)["email"]
    assert all(date in email.body for date in ("01.02.2027", "16.12.2026", "20.11.2026"))
    assert _unprocessed(db) == 0


def test_a_business_that_switched_notices_off_hears_nothing_but_its_changes_are_done(db, office):
    save_preference(_id(db, SHOP), "changes", Schedule(enabled=False, channels=[]))
    _changes_for_the_shop(office)
    import_snapshot(office)

    assert notify_changes() == 0
    assert _notices(db) == {"sms": [], "email": []}
    assert _unprocessed(db) == 0
    assert notify_changes() == 0  # and they are not told later either


def test_a_business_choosing_email_only_gets_no_sms(db, office):
    save_preference(_id(db, SHOP), "changes", Schedule(channels=["email"]))
    _changes_for_the_shop(office)
    import_snapshot(office)

    notify_changes()
    notices = _notices(db)
    assert (len(notices["sms"]), len(notices["email"])) == (0, 1)


def test_two_imports_make_two_notices_and_a_repeated_run_sends_nothing_new(db, office):
    edit_file(office, "wplaty.csv", lambda t: t + PAYMENT)
    import_snapshot(office)
    edit_file(office, "naleznosci.csv", lambda t: t + NEW_TAX.format(who=SHOP))
    import_snapshot(office)

    assert notify_changes() == 4
    emails = _notices(db)["email"]
    assert len(emails) == 2
    assert "20.11.2026" in emails[0].body and "01.02.2027" not in emails[0].body
    assert "01.02.2027" in emails[1].body and "20.11.2026" not in emails[1].body
    assert notify_changes() == 0
    assert db.session.scalar(select(func.count()).select_from(Message)) == 4


def test_a_business_without_consent_or_contact_gets_nothing(db, office):
    # K000004: no consent at all; K000011: a mobile but no consent; K000007: a mobile with consent, no email.
    for who in ("K000004", "K000011", "K000007"):
        edit_file(office, "naleznosci.csv", lambda t, who=who: t + NEW_TAX.format(who=who).replace(
            "N00000998", f"N9{who}"))
    import_snapshot(office)

    notify_changes()
    assert _notices(db, "K000004") == {"sms": [], "email": []}
    assert _notices(db, "K000011") == {"sms": [], "email": []}
    reached = _notices(db, "K000007")
    assert (len(reached["sms"]), len(reached["email"])) == (1, 0)
    assert _unprocessed(db) == 0


def test_the_offices_own_wording_is_used(db, office):
    db.session.add(ReminderText(purpose="changes", channel="email", subject="Zmiany na koncie {{ nazwa }}",
                                body="Szanowni Państwo,\n{{ zmiany }}\nPortal: {{ link }}\n{{ jednostka }}"))
    db.session.commit()
    edit_file(office, "wplaty.csv", lambda t: t + PAYMENT)
    import_snapshot(office)

    notify_changes()
    [email] = _notices(db)["email"]
    assert email.subject == "Zmiany na koncie Sklep Ewa Krawczyk"
    assert email.body.startswith("Szanowni Państwo,\n– ")
    assert f"Portal: {PORTAL}" in email.body and "20.11.2026" in email.body
    assert "Urząd Miasta Ełku" in email.body  # the unit of the paid obligation


def test_notices_go_out_right_after_an_import(db, office, stub_worker):
    edit_file(office, "wplaty.csv", lambda t: t + PAYMENT)
    import_snapshot(office)  # commits, then signals: the notice actor is enqueued

    broker.join(QUEUE_DEFAULT)
    stub_worker.join()
    db.session.remove()
    notices = _notices(db)
    assert (len(notices["sms"]), len(notices["email"])) == (1, 1)
