"""The SMS inbox in the admin: the list, the thread, answering, closing and the start-page count."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.channels.inbound import receive_sms
from app.channels.models import InboundSms, Message
from app.channels.outbox import NewMessage, create_messages
from app.channels.sending import send_batch
from app.core.audit import AuditEntry
from app.core.clock import to_warsaw, utcnow
from tests.admin_support import csrf_from, signed_in
from tests.factories import create_contractor

_keys = itertools.count(1)
NUMBER = "+48600100200"


pytestmark = pytest.mark.usefixtures("daytime")
STAFF_NAME = "Marek Zieliński"


def sent_sms(db, body="Jutro mija termin płatności podatku od nieruchomości.", **extra) -> Message:
    [message_id] = create_messages(
        [NewMessage("sms", NUMBER, body, "reminder", f"inbox-test:{next(_keys)}", **extra)]
    )
    db.session.commit()
    send_batch([message_id])
    db.session.expire_all()
    return db.session.get(Message, message_id)


def answer(db, text: str) -> InboundSms:
    inbound = receive_sms("48600100200", text, provider_ref=f"in-{next(_keys)}")
    db.session.expire_all()
    return db.session.get(InboundSms, inbound.id)


def reply_form_post(client, inbound, text):
    page = client.get(f"/admin/inbox/details/?id={inbound.id}").get_data(as_text=True)
    return client.post(
        f"/admin/inbox/{inbound.id}/reply/", data={"csrf_token": csrf_from(page), "text": text}
    )


def test_inbox_lists_replies_newest_first_with_status_sender_and_contractor(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    contractor = create_contractor(name="Kwiaciarnia Róża")
    db.session.commit()
    sent_sms(db, contractor_id=contractor.id)
    answer(db, "Pierwsze pytanie")
    answer(db, "Drugie pytanie")
    page = client.get("/admin/inbox/").get_data(as_text=True)
    assert page.index("Drugie pytanie") < page.index("Pierwsze pytanie")
    assert "+48 600 100 200" in page and "Kwiaciarnia Róża" in page
    assert 'data-status="new"' in page and ">nowa<" in page


def test_thread_shows_our_sms_and_the_answers_in_order(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    sent_sms(db, body="Zaproszenie na targi pracy w piątek.")
    first = answer(db, "Gdzie odbędą się targi?")
    sent_sms(db, body="Przypomnienie: targi w hali MOSiR.")
    second = answer(db, "Dziękuję")
    page = client.get(f"/admin/inbox/details/?id={second.id}").get_data(as_text=True)
    thread = page[page.index('data-section="thread"') :]
    order = [
        thread.index(t)
        for t in (
            "Zaproszenie na targi",
            "Gdzie odbędą się targi?",
            "Przypomnienie: targi w hali",
            "Dziękuję",
        )
    ]
    assert order == sorted(order)
    assert second.in_reply_to_id != first.in_reply_to_id
    assert "odpowiedź dotyczy tej wiadomości" in thread


def test_reply_creates_an_outgoing_sms_and_marks_the_sms_answered(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    original = sent_sms(db)
    inbound = answer(db, "Czy mogę zapłacić jutro?")
    response = reply_form_post(client, inbound, "Tak, do końca dnia jutro.\r\nPozdrawiamy, UM")
    assert response.status_code == 302
    reply = db.session.scalar(select(Message).where(Message.purpose == "reply"))
    assert reply.recipient == NUMBER and reply.body == "Tak, do końca dnia jutro.\nPozdrawiamy, UM"
    assert reply.origin == f"inbound:{inbound.id}" and reply.id != original.id
    page = client.get(f"/admin/inbox/details/?id={inbound.id}").get_data(as_text=True)
    assert "Twoja odpowiedź do +48 600 100 200 jest w drodze" in page
    assert "Tak, do końca dnia jutro." in page and ">odpowiedziano<" in page
    assert STAFF_NAME in page  # handled by
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "inbound.replied"))


def test_a_reply_during_quiet_hours_says_when_it_goes_out(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    sent_sms(db)
    inbound = answer(db, "Pytanie wieczorem")
    now = to_warsaw(utcnow())
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time()
    client.application.config["QUIET_HOURS"] = f"{start:%H:%M}-{end:%H:%M}"
    response = reply_form_post(client, inbound, "Odpowiemy rano.")
    assert response.status_code == 302
    reply = db.session.scalar(select(Message).where(Message.purpose == "reply"))
    assert reply.status == "created" and reply.send_after is not None
    page = client.get(f"/admin/inbox/details/?id={inbound.id}").get_data(as_text=True)
    assert "czeka na koniec ciszy nocnej" in page and f"{end:%H:%M}" in page


def test_a_too_long_reply_is_refused_with_the_part_count_and_kept(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    client.application.config["SMS_MAX_PARTS"] = 2
    sent_sms(db)
    inbound = answer(db, "Pytanie")
    text = "Zażółć gęślą jaźń. " * 12
    response = reply_form_post(client, inbound, text)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Odpowiedź wymaga 4 części SMS" in page and "dozwolone są najwyżej 2" in page
    assert "Zażółć gęślą jaźń." in page  # the text stays in the form
    assert db.session.scalar(select(Message).where(Message.purpose == "reply")) is None


def test_an_empty_reply_is_refused(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    sent_sms(db)
    inbound = answer(db, "Pytanie")
    page = reply_form_post(client, inbound, "   ").get_data(as_text=True)
    assert "Wpisz treść odpowiedzi." in page


def test_close_takes_the_sms_off_the_new_list(client, db):
    signed_in(client, db, "admin")
    sent_sms(db)
    inbound = answer(db, "Dziękuję, nie trzeba odpowiadać")
    page = client.get(f"/admin/inbox/details/?id={inbound.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/inbox/{inbound.id}/close/", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    listing = client.get("/admin/inbox/").get_data(as_text=True)
    assert ">zamknięta<" in listing
    assert "Dziękuję, nie trzeba odpowiadać" not in client.get("/admin/inbox/?flt0_0=new").get_data(
        as_text=True
    )


def test_stop_is_answered_automatically_and_shown_as_such(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    sent_sms(db)
    inbound = answer(db, "STOP")
    page = client.get(f"/admin/inbox/details/?id={inbound.id}").get_data(as_text=True)
    assert ">automatyczna<" in page and "odpowiedziano automatycznie" in page
    assert "Zamknij" not in page


def test_dashboard_counts_new_sms_for_the_inbox_role(client, db):
    signed_in(client, db, "inbox", name=STAFF_NAME)
    sent_sms(db)
    answer(db, "Pytanie pierwsze")
    answer(db, "Pytanie drugie")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Nowe odpowiedzi SMS" in page
    assert '<p class="display-4 mb-0" data-stat="inbox-new">2</p>' in page


def test_communicators_read_and_answer_replies(client, db):
    signed_in(client, db, "communicator")
    assert client.get("/admin/inbox/").status_code == 200


def test_finance_has_no_inbox(client, db):
    signed_in(client, db, "finance")
    assert client.get("/admin/inbox/").status_code == 403
    assert "Nowe odpowiedzi SMS" not in client.get("/admin/").get_data(as_text=True)


def test_strangers_are_sent_to_sign_in(client):
    response = client.get("/admin/inbox/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
