"""Finance staff hear about arriving payments: on their list's channel, once, now or in a daily digest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.contractor_admin import OBLIGATION_KIND_LABELS
from app.accounts.models import Allocation
from app.channels.models import Message
from app.reminders.staff_models import PaymentNoticeList
from app.reminders.staff_notices import SOURCE_LABELS, payments_arrived, send_digests
from tests.admin_support import csrf_from, signed_in
from tests.campaigns.conftest import drain  # noqa: F401  (fixture)
from tests.factories import (
    create_contractor,
    create_obligation,
    create_payment,
    create_staff_user,
    create_unit,
)
from tests.legacy.conftest import edit_file, sample  # noqa: F401  (fixture)


@pytest.fixture
def office(db, app):
    """Two units and three finance staff (one without a phone, one who left the office)."""
    app.config["QUIET_HOURS"] = "00:00-00:00"
    office = type("Office", (), {})()
    office.town_hall = create_unit(code="UM", name="Urząd Miasta Ełku")
    office.housing = create_unit(code="ZGN", name="Zakład Gospodarki Nieruchomościami")
    office.ewa = create_staff_user(roles=("finance",), name="Ewa Finansowa", email="ewa@um.elk.pl",
                                   phone="600 100 200")
    office.jan = create_staff_user(roles=("finance",), name="Jan Księgowy", email="jan@um.elk.pl")
    office.gone = create_staff_user(roles=("finance",), name="Olga Była", email="olga@um.elk.pl",
                                    is_active=False)
    db.session.commit()
    return office


def notice_list(db, *, members, **fields) -> PaymentNoticeList:
    values = dict(name=f"Lista {len(members)}-{fields.get('channel', 'email')}-{fields.get('unit_id')}",
                  kinds=[], channel="email", mode="immediate")
    values.update(fields)
    item = PaymentNoticeList(**values)
    item.members = list(members)
    db.session.add(item)
    db.session.commit()
    return item


def paid(db, unit, *, kind="PON", amount="1234.56", payer="Piekarnia Pod Lipą", source="legacy",
         paid_on=date(2026, 3, 10)):
    """A payment that settles an obligation of `kind` owed to `unit`."""
    contractor = create_contractor(name=payer, nip="7900712840")
    obligation = create_obligation(contractor=contractor, unit=unit, kind=kind, amount=Decimal(amount))
    payment = create_payment(contractor=contractor, unit=unit, amount=Decimal(amount), paid_on=paid_on,
                             source=source)
    db.session.add(Allocation(payment=payment, obligation=obligation, amount=Decimal(amount)))
    db.session.commit()
    return payment


def staff_messages(db) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.purpose == "staff").order_by(Message.id)))


def test_an_immediate_notice_tells_each_member_the_payments_facts(db, office):
    notice_list(db, members=[office.ewa, office.jan, office.gone], unit_id=office.town_hall.id, kinds=["PON"])
    payment = paid(db, office.town_hall)

    payments_arrived([payment.id])

    messages = staff_messages(db)
    assert [(m.channel, m.recipient) for m in messages] == [("email", "ewa@um.elk.pl"), ("email", "jan@um.elk.pl")]
    email = messages[0]
    assert "Piekarnia Pod Lipą" in email.subject and "1\u00a0234,56\u00a0zł" in email.subject
    for fact in ("Piekarnia Pod Lipą", "7900712840", "1\u00a0234,56\u00a0zł", "10.03.2026", "Urząd Miasta Ełku",
                 str(OBLIGATION_KIND_LABELS["PON"]), str(SOURCE_LABELS["legacy"])):
        assert fact in email.body


def test_an_sms_list_texts_members_with_a_phone(db, office):
    notice_list(db, members=[office.ewa, office.jan], channel="sms")
    payment = paid(db, office.housing, kind="DZR", amount="450.00", payer="Kwiaciarnia Róża", source="online")

    payments_arrived([payment.id])

    [sms] = staff_messages(db)
    assert (sms.channel, sms.recipient) == ("sms", "+48600100200")
    for fact in ("Kwiaciarnia Róża", "450,00\u00a0zł", "10.03.2026", "Zakład Gospodarki Nieruchomościami",
                 str(OBLIGATION_KIND_LABELS["DZR"]), str(SOURCE_LABELS["online"])):
        assert fact in sms.body


def test_lists_of_another_unit_or_kind_hear_nothing(db, office):
    notice_list(db, name="Other unit", members=[office.ewa], unit_id=office.housing.id)
    notice_list(db, name="Other kind", members=[office.ewa], unit_id=office.town_hall.id, kinds=["PST", "ALK"])
    notice_list(db, name="Everything", members=[office.jan])
    notice_list(db, name="Switched off", members=[office.ewa], is_active=False)
    payment = paid(db, office.town_hall, kind="PON")

    payments_arrived([payment.id])

    assert [m.recipient for m in staff_messages(db)] == ["jan@um.elk.pl"]


def test_a_batch_is_one_notice_per_member_and_calling_twice_sends_nothing_new(db, office):
    notice_list(db, members=[office.ewa, office.jan])
    first = paid(db, office.town_hall, payer="Piekarnia Pod Lipą", amount="100.00")
    second = paid(db, office.housing, payer="Warsztat Auto", amount="25.50", kind="UW")

    assert len(payments_arrived([first.id, second.id])) == 2
    assert payments_arrived([first.id, second.id]) == []
    assert payments_arrived([second.id]) == []

    messages = staff_messages(db)
    assert len(messages) == 2
    assert "125,50\u00a0zł" in messages[0].subject
    assert "Piekarnia Pod Lipą" in messages[0].body and "Warsztat Auto" in messages[0].body


def test_a_digest_lists_the_days_payments_once_per_member_at_its_hour(db, office, monkeypatch):
    from app.reminders import staff_notices

    def arrive(payment, at: datetime) -> None:
        monkeypatch.setattr(staff_notices, "utcnow", lambda: at)
        assert payments_arrived([payment.id]) == []  # a digest list is told at its hour only

    notice_list(db, members=[office.ewa, office.jan], mode="digest", digest_hour=16)
    arrive(paid(db, office.town_hall, payer="Piekarnia Pod Lipą", amount="100.00"), datetime(2026, 3, 10, 8, tzinfo=UTC))
    arrive(paid(db, office.town_hall, payer="Warsztat Auto", amount="200.00"), datetime(2026, 3, 10, 11, tzinfo=UTC))
    assert send_digests(datetime(2026, 3, 10, 13, 0, tzinfo=UTC)) == []  # 14:00 in Warsaw: not yet

    assert len(send_digests(datetime(2026, 3, 10, 15, 5, tzinfo=UTC))) == 2  # 16:05 in Warsaw
    assert send_digests(datetime(2026, 3, 10, 15, 20, tzinfo=UTC)) == []
    arrive(paid(db, office.town_hall, payer="Kwiaciarnia Róża", amount="300.00"), datetime(2026, 3, 10, 17, tzinfo=UTC))
    assert send_digests(datetime(2026, 3, 10, 20, 0, tzinfo=UTC)) == []  # today's digest went out

    messages = staff_messages(db)
    assert [m.recipient for m in messages] == ["ewa@um.elk.pl", "jan@um.elk.pl"]
    assert "10.03.2026" in messages[0].subject and "300,00\u00a0zł" in messages[0].subject
    assert "Piekarnia Pod Lipą" in messages[0].body and "Warsztat Auto" in messages[0].body

    assert len(send_digests(datetime(2026, 3, 11, 15, 0, tzinfo=UTC))) == 2  # next day, 16:00
    tomorrow = staff_messages(db)[2:]
    assert [m.recipient for m in tomorrow] == ["ewa@um.elk.pl", "jan@um.elk.pl"]
    assert "Kwiaciarnia Róża" in tomorrow[0].body and "Piekarnia" not in tomorrow[0].body

    assert send_digests(datetime(2026, 3, 12, 15, 0, tzinfo=UTC)) == []  # nothing waited on the 12th
    arrive(paid(db, office.town_hall, payer="Hurtownia Nowa", amount="50.00"), datetime(2026, 3, 12, 17, tzinfo=UTC))
    assert send_digests(datetime(2026, 3, 12, 17, 15, tzinfo=UTC)) == []  # after the hour: tomorrow's
    assert len(send_digests(datetime(2026, 3, 13, 15, 0, tzinfo=UTC))) == 2
    assert "Hurtownia Nowa" in staff_messages(db)[-1].body


def test_imported_payments_are_notified_after_the_import_commits(db, office, sample, drain):  # noqa: F811
    import app.reminders.tasks  # noqa: F401  (connects the import signal)
    from app.legacy.service import import_snapshot

    import_snapshot(sample)  # the first import: the office's history (units UM and ZGN as the office's)
    drain()
    notice_list(db, name="Urząd", members=[office.ewa], unit_id=office.town_hall.id, kinds=["PON"])
    notice_list(db, name="ZGN", members=[office.jan], unit_id=office.housing.id)
    edit_file(sample, "wplaty.csv",
              lambda t: t + "W00000998;K000003;N00000029;20.11.2026;1234,56;P;Przelew\r\n")

    run = import_snapshot(sample)
    drain()

    [email] = staff_messages(db)
    assert email.recipient == "ewa@um.elk.pl"
    for fact in ("Przedsiębiorstwo Handlowe KOWALSKI S.A.", "1\u00a0234,56\u00a0zł", "20.11.2026",
                 "Urząd Miasta Ełku", str(SOURCE_LABELS["legacy"])):
        assert fact in email.body
    from app.reminders.staff_notices import notify_import_run

    assert notify_import_run(run.id) == []  # the run told once


def test_finance_staff_create_a_list_choosing_among_active_staff(client, db, office):
    signed_in(client, db, "finance")
    page = client.get("/admin/payment_notices/new/").get_data(as_text=True)
    assert "Ewa Finansowa" in page and "Olga Była" not in page
    response = client.post("/admin/payment_notices/new/", data={
        "name": " Podatki UM ", "unit": str(office.town_hall.id), "kinds": ["PON", "PST"], "channel": "sms",
        "mode": "digest", "digest_hour": "7", "members": [str(office.ewa.id), str(office.jan.id)],
        "is_active": "y", "csrf_token": csrf_from(page),
    })
    assert response.status_code == 302
    saved = db.session.scalars(select(PaymentNoticeList)).one()
    assert (saved.name, saved.unit_id, saved.kinds, saved.channel, saved.mode, saved.digest_hour) == (
        "Podatki UM", office.town_hall.id, ["PON", "PST"], "sms", "digest", 7)
    assert {u.email for u in saved.members} == {"ewa@um.elk.pl", "jan@um.elk.pl"}
    listing = client.get("/admin/payment_notices/").get_data(as_text=True)
    assert "Podatki UM" in listing and "07:00" in listing


def test_the_page_is_closed_to_staff_without_finance(client, db, office):
    signed_in(client, db, "communicator")
    assert client.get("/admin/payment_notices/").status_code == 403
