"""Inbound SMS: keywords obeyed and confirmed, everything else threaded into the office inbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import ContactPoint
from app.channels.inbound import START_REPLY, STOP_REPLY, InboundError, close, receive_sms, reply
from app.channels.models import ChannelPolicy, InboundSms, Message
from app.channels.optouts import is_opted_out, opt_out
from app.core.audit import AuditEntry
from tests.factories import create_contractor, create_staff_user, create_unit

pytestmark = pytest.mark.usefixtures("empty_broker")

NUMBER = "+48600100200"


def replies(db, inbound: InboundSms) -> list[Message]:
    return db.session.scalars(select(Message).where(Message.origin == f"inbound:{inbound.id}")).all()


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop ", "STOP WSZYSTKO", "stop  wszystko", "nie",
                                  "Nie.", "STÓP"])
def test_stop_opts_the_number_out_and_confirms_once(db, text):
    inbound = receive_sms("48600100200", text, provider_ref="IN-1")
    receive_sms("48600100200", text, provider_ref="IN-1")  # the same SMS reported again

    assert is_opted_out("sms", NUMBER)
    assert (inbound.keyword, inbound.status) == ("stop", "automatic")
    [answer] = replies(db, inbound)
    assert (answer.recipient, answer.body) == (NUMBER, STOP_REPLY)
    assert (answer.purpose, answer.urgent) == ("reply", True)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "channels.opt_out"))
    assert (audit.actor_type, audit.target) == ("recipient", f"sms:{NUMBER}")
    assert audit.details["source"] == "sms"


def test_stop_confirmation_reaches_the_number_that_just_opted_out(db):
    from app.channels.sending import send_batch

    inbound = receive_sms(NUMBER, "STOP")
    [answer] = replies(db, inbound)
    send_batch([answer.id])
    db.session.expire_all()
    assert db.session.get(Message, answer.id).status == "sent"


@pytest.mark.parametrize("text", ["nie wiem", "stop proszę nie wysyłać w weekend", "STOPA", ""])
def test_sentences_are_not_keywords(db, text):
    inbound = receive_sms(NUMBER, text)
    assert not is_opted_out("sms", NUMBER)
    assert (inbound.keyword, inbound.status) == (None, "new")
    assert replies(db, inbound) == []


def test_start_opts_back_in_and_confirms(db):
    opt_out("sms", NUMBER, "sms")
    inbound = receive_sms(NUMBER, "Start")
    assert not is_opted_out("sms", NUMBER)
    assert [m.body for m in replies(db, inbound)] == [START_REPLY]


def test_help_answers_with_the_configured_text(app, db):
    inbound = receive_sms(NUMBER, "pomoc")
    assert [m.body for m in replies(db, inbound)] == [app.config["SMS_HELP_TEXT"]]
    assert not is_opted_out("sms", NUMBER)


def test_help_answers_with_the_text_of_the_unit_that_wrote_last(db, create_message):
    unit = create_unit()
    db.session.add(ChannelPolicy(unit_id=unit.id, help_text="Wydzial Podatkow: tel. 87 000 00 00"))
    create_message(unit_id=unit.id)
    inbound = receive_sms(NUMBER, "HELP")
    [answer] = replies(db, inbound)
    assert (answer.body, answer.unit_id) == ("Wydzial Podatkow: tel. 87 000 00 00", unit.id)


def test_other_text_lands_in_the_inbox_threaded_with_the_last_message(db, create_message):
    shop = create_contractor()
    create_message(contractor_id=shop.id, recipient=NUMBER)
    last = create_message(contractor_id=shop.id, recipient=NUMBER)
    create_message(recipient=NUMBER, status="failed")  # never reached the phone
    create_message(recipient="+48600100201")

    inbound = receive_sms("48600100200", "Czy mogę zapłacić w ratach?", recipient="48500600700",
                          provider_ref="IN-7")

    assert (inbound.status, inbound.keyword) == ("new", None)
    assert (inbound.sender, inbound.recipient) == (NUMBER, "48500600700")
    assert (inbound.in_reply_to_id, inbound.contractor_id) == (last.id, shop.id)
    assert replies(db, inbound) == []


def test_contractor_found_by_phone_when_nothing_was_sent(db):
    shop = create_contractor()
    db.session.add(ContactPoint(contractor_id=shop.id, channel="sms", value=NUMBER))
    inbound = receive_sms(NUMBER, "Dzień dobry")
    assert (inbound.in_reply_to_id, inbound.contractor_id) == (None, shop.id)


def test_phone_shared_by_two_contractors_leaves_the_choice_to_staff(db):
    for shop in (create_contractor(), create_contractor()):
        db.session.add(ContactPoint(contractor_id=shop.id, channel="sms", value=NUMBER))
    assert receive_sms(NUMBER, "Dzień dobry").contractor_id is None


def test_an_unreadable_sender_is_kept_raw_and_not_answered(db):
    inbound = receive_sms("SMSAPI", "STOP")
    assert (inbound.sender, inbound.keyword) == ("SMSAPI", "stop")
    assert replies(db, inbound) == []


def test_staff_reply_is_an_sms_to_the_sender(db, create_message):
    shop = create_contractor()
    create_message(contractor_id=shop.id)
    staff = create_staff_user(roles=("inbox",))
    inbound = receive_sms(NUMBER, "Czy mogę zapłacić w ratach?")

    message = reply(inbound.id, "  Tak, prosimy o wniosek.  ", staff.id)
    reply(inbound.id, "Tak, prosimy o wniosek.", staff.id)  # a double click

    assert (message.channel, message.recipient) == ("sms", NUMBER)
    assert message.body == "Tak, prosimy o wniosek."
    assert (message.purpose, message.origin) == ("reply", f"inbound:{inbound.id}")
    assert message.contractor_id == shop.id
    assert len(replies(db, inbound)) == 1
    assert (inbound.status, inbound.handled_by_id) == ("answered", staff.id)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "inbound.replied")).all()
    assert [(e.actor_type, e.actor_id) for e in entries] == [("staff", staff.id)]


@pytest.mark.parametrize(("text", "problem"), [("   ", "empty"), ("ą" * 1000, "parts")])
def test_staff_reply_refuses_what_cannot_be_sent(db, text, problem):
    staff = create_staff_user()
    inbound = receive_sms(NUMBER, "Pytanie")
    with pytest.raises(InboundError, match=problem):
        reply(inbound.id, text, staff.id)
    assert replies(db, inbound) == []


def test_close_files_the_sms_away(db):
    staff = create_staff_user()
    inbound = receive_sms(NUMBER, "Dziękuję")
    close(inbound.id, staff.id)
    assert (inbound.status, inbound.handled_by_id) == ("closed", staff.id)
    assert replies(db, inbound) == []
