"""The real SMSAPI and SendGrid clients against the fake servers, through the sending engine."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.channels.models import Message
from app.channels.outbox import NewMessage, create_messages
from app.channels.reconcile import recover_stuck
from app.channels.sending import send_batch
from app.core.clock import to_warsaw, utcnow
from tests.fakes.sendgrid import FakeSendgrid
from tests.fakes.smsapi import FakeSmsapi


@pytest.fixture
def smsapi():
    with FakeSmsapi(token="sms-token") as fake:
        yield fake


@pytest.fixture
def sendgrid():
    with FakeSendgrid(api_key="SG.key") as fake:
        yield fake


@pytest.fixture
def providers(app, smsapi, sendgrid):
    app.config.update(
        SMSAPI_TOKEN="sms-token", SMSAPI_URL=smsapi.url, SMSAPI_RATE=1000,
        SENDGRID_API_KEY="SG.key", SENDGRID_URL=sendgrid.url, SENDGRID_RATE=1000,
        PROVIDER_TIMEOUT=1.0, QUIET_HOURS="00:00-00:00", SMS_SENDER="UrzadMiasta",
    )
    return smsapi, sendgrid


def sms(key: str, number: str, text: str = "Jutro festyn na Rynku", **extra) -> NewMessage:
    return NewMessage("sms", number, text, "campaign", key, **extra)


def email(key: str, address: str, **extra) -> NewMessage:
    return NewMessage("email", address, "Zapraszamy", "campaign", key, subject="Festyn", **extra)


def rows(db) -> dict[str, Message]:
    db.session.expire_all()
    return {m.idempotency_key: m for m in db.session.scalars(select(Message))}


def test_one_text_to_many_numbers_is_one_request_with_our_ids(providers, db):
    smsapi, _ = providers
    ids = create_messages([sms(f"s{i}", f"60010020{i}") for i in range(3)])
    db.session.commit()
    result = send_batch(ids)
    assert (result.sent, result.requests) == (3, 1)
    assert {s.idx for s in smsapi.sent} == {str(i) for i in ids}
    assert {s.sender for s in smsapi.sent} == {"UrzadMiasta"}
    for message in rows(db).values():
        assert message.status == "sent" and message.provider == "smsapi"
        assert message.provider_ref in {s.id for s in smsapi.sent}
        assert message.parts == 1 and message.cost == Decimal("0.16")


def test_personal_texts_share_a_request_through_params(providers, db):
    smsapi, _ = providers
    template = "Firma [%1%]: termin płatności 15 grudnia"
    ids = create_messages([
        sms(f"p{i}", f"60010020{i}", template.replace("[%1%]", name), template=template, params=[name])
        for i, name in enumerate(["Alfa", "Beta"])
    ])
    db.session.commit()
    assert send_batch(ids).requests == 1
    assert sorted(s.text for s in smsapi.sent) == [
        "Firma Alfa: termin płatności 15 grudnia", "Firma Beta: termin płatności 15 grudnia",
    ]


def test_a_number_the_provider_refuses_fails_alone_with_its_reason(providers, db):
    smsapi, _ = providers
    smsapi.invalid_numbers.add("48600100201")
    ids = create_messages([sms("good", "600100200"), sms("bad", "600100201")])
    db.session.commit()
    send_batch(ids)
    result = rows(db)
    assert result["good"].status == "sent"
    assert result["bad"].status == "failed" and "SMSAPI" in result["bad"].error


@pytest.mark.parametrize("failure", ["error:201", "http503", "timeout"])
def test_transient_sms_errors_retry_later_and_then_send_once(providers, db, failure):
    smsapi, _ = providers
    smsapi.timeout_seconds = 2.0
    smsapi.fail_next(failure)
    ids = create_messages([sms("a", "600100200")])
    db.session.commit()
    first = send_batch(ids)
    message = rows(db)["a"]
    assert first.retrying == 1
    assert (message.status, message.attempts) == ("created", 1)
    assert to_warsaw(message.send_after) > to_warsaw(utcnow()) and "retry" in message.error
    db.session.execute(update(Message).values(send_after=None))
    db.session.commit()
    assert send_batch(ids).sent == 1
    assert rows(db)["a"].status == "sent" and len(smsapi.sent) == 1


def test_an_sms_the_provider_already_has_is_not_sent_again(providers, db):
    """A worker died after SMSAPI accepted the request: check_idx makes the retry harmless."""
    smsapi, _ = providers
    ids = create_messages([sms(f"s{i}", f"60010020{i}") for i in range(3)])
    db.session.commit()
    send_batch(ids[:1])  # SMSAPI has the first one; then "the worker dies" before recording it
    db.session.execute(update(Message).where(Message.id == ids[0]).values(status="created"))
    db.session.commit()
    send_batch(ids)
    assert len(smsapi.sent) == 3 and smsapi.duplicates == 0
    assert {m.status for m in rows(db).values()} == {"sent"}


def test_messages_out_of_attempts_fail_with_the_last_reason(providers, app, db):
    smsapi, _ = providers
    app.config["MESSAGE_MAX_ATTEMPTS"] = 1
    smsapi.fail_next("error:203")
    ids = create_messages([sms("a", "600100200")])
    db.session.commit()
    send_batch(ids)
    message = rows(db)["a"]
    assert message.status == "failed" and "203" in message.error


def test_emails_carry_our_id_and_share_a_request(providers, db):
    _, sendgrid = providers
    ids = create_messages([email(f"e{i}", f"firma{i}@example.pl") for i in range(3)])
    db.session.commit()
    result = send_batch(ids)
    assert (result.sent, result.requests) == (3, 1)
    assert sorted(e.custom_args["message_id"] for e in sendgrid.sent) == sorted(str(i) for i in ids)
    assert {m.provider_ref for m in rows(db).values()} == {sendgrid.sent[0].message_id}


def test_sendgrid_rate_limit_is_honoured(providers, db):
    _, sendgrid = providers
    sendgrid.fail_next("http429", retry_after=120)
    ids = create_messages([email("e", "firma@example.pl")])
    db.session.commit()
    result = send_batch(ids)
    message = rows(db)["e"]
    assert result.retry_delay == pytest.approx(120, abs=1)
    assert message.status == "created"
    wait = to_warsaw(message.send_after) - to_warsaw(utcnow())
    assert timedelta(seconds=100) < wait <= timedelta(seconds=121)


def test_an_email_timeout_leaves_the_outcome_open_until_reconciliation(providers, app, db):
    _, sendgrid = providers
    sendgrid.timeout_seconds = 2.0
    sendgrid.fail_next("timeout")
    ids = create_messages([email("e", "firma@example.pl")])
    db.session.commit()
    assert send_batch(ids).unknown == 1
    message = rows(db)["e"]
    assert message.status == "sending" and "unknown" in message.error
    # SendGrid cannot deduplicate: the message goes back only after twice the stuck time.
    app.config["STUCK_SENDING_SECONDS"] = 0
    db.session.execute(update(Message).values(claimed_at=utcnow() - timedelta(seconds=5)))
    db.session.commit()
    assert recover_stuck() == 1
    assert send_batch(ids).sent == 1
    assert len(sendgrid.sent) == 1
