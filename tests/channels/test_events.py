"""Applying stored provider events: delivery outcomes, email failures and opt-outs."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.channels.events import process_events, record_delivery, store_events
from app.channels.models import Message, ProviderEvent
from app.channels.optouts import is_opted_out
from app.core.audit import AuditEntry
from tests.factories import create_contractor

pytestmark = pytest.mark.usefixtures("empty_broker")


def add_contact(db, contractor, value: str, channel: str = "email"):
    from app.accounts.models import ContactPoint

    point = ContactPoint(contractor_id=contractor.id, channel=channel, value=value)
    db.session.add(point)
    db.session.flush()
    return point


def email_event(message: Message, event: str, number: int = 1, **fields) -> tuple[str, dict]:
    payload = {"email": message.recipient, "timestamp": int(time.time()), "event": event,
               "sg_event_id": f"{event}-{message.id}-{number}",
               "sg_message_id": f"{message.provider_ref}.filter-{number}",
               "message_id": str(message.id), **fields}
    return f"sendgrid:{payload['sg_event_id']}", payload


def sms_report(message: Message, status: str, **fields) -> tuple[str, dict]:
    payload = {"MsgId": message.provider_ref, "status": status, "idx": str(message.id),
               "donedate": "", "to": message.recipient.lstrip("+"), "username": "urzad", **fields}
    return f"smsapi-report:{payload['MsgId']}:{status}", payload


def apply(db, provider: str, kind: str, *events) -> None:
    ids = store_events(provider, kind, list(events))
    process_events(ids)
    db.session.expire_all()


# --- record_delivery --------------------------------------------------------------------------


def test_delivery_finishes_a_message_once(db, create_message):
    message = create_message()
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert record_delivery(message.id, "delivered", at=at) is True
    assert record_delivery(message.id, "failed", reason="late report") is False
    assert record_delivery(message.id, "delivered") is False
    db.session.expire_all()
    message = db.session.get(Message, message.id)
    assert message.status == "delivered"
    assert message.finished_at.replace(tzinfo=UTC) == at
    assert message.error is None


def test_sent_settles_an_unknown_outcome_but_never_reopens_a_final_one(db, create_message):
    unknown = create_message(status="sending", sent_at=None, error="outcome unknown: timeout")
    failed = create_message(status="failed", error="SMSAPI 405 UNDELIVERED")
    assert record_delivery(unknown.id, "sent") is True
    assert record_delivery(failed.id, "sent") is False
    db.session.expire_all()
    assert db.session.get(Message, unknown.id).status == "sent"
    assert db.session.get(Message, unknown.id).sent_at is not None
    assert db.session.get(Message, failed.id).status == "failed"


def test_record_delivery_refuses_a_status_that_is_not_an_outcome(db, create_message):
    message = create_message()
    with pytest.raises(ValueError, match="cancelled"):
        record_delivery(message.id, "cancelled")


# --- SMSAPI reports ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status", "error"), [
    ("404", "delivered", None),
    ("405", "failed", "SMSAPI 405 UNDELIVERED"),
    ("406", "failed", "SMSAPI 406 FAILED"),
    ("407", "failed", "SMSAPI 407 REJECTED"),
    ("402", "expired", "SMSAPI 402 EXPIRED"),
    ("403", "sent", None),
    ("409", "sent", None),
    ("410", "sent", None),
    ("401", "sent", "SMSAPI 401 NOT_FOUND"),
    ("408", "sent", "SMSAPI 408 UNKNOWN"),
])
def test_smsapi_status_codes(db, create_message, code, status, error):
    message = create_message()
    db.session.commit()
    apply(db, "smsapi", "report", sms_report(message, code))
    message = db.session.get(Message, message.id)
    assert (message.status, message.error) == (status, error)


def test_report_found_by_provider_reference_without_idx(db, create_message):
    message = create_message(provider_ref="ABC123")
    db.session.commit()
    apply(db, "smsapi", "report", sms_report(message, "404", idx=""))
    assert db.session.get(Message, message.id).status == "delivered"


def test_report_with_donedate_dates_the_delivery(db, create_message):
    message = create_message()
    db.session.commit()
    apply(db, "smsapi", "report", sms_report(message, "404", donedate="1772443800"))
    finished = db.session.get(Message, message.id).finished_at.replace(tzinfo=UTC)
    assert finished == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


# --- SendGrid events --------------------------------------------------------------------------


def test_bounce_marks_the_address_unusable_after_the_configured_count(app, db, create_message):
    app.config["EMAIL_FAILURES_BEFORE_UNUSABLE"] = 2
    first, second = create_message(channel="email"), create_message(channel="email")
    second.recipient = first.recipient
    shop, branch = create_contractor(), create_contractor()
    points = [add_contact(db, shop, first.recipient), add_contact(db, branch, first.recipient)]
    other = add_contact(db, shop, "inny@example.pl")
    db.session.commit()

    bounce = email_event(first, "bounce", type="bounce", reason="550 5.1.1 no user")
    apply(db, "sendgrid", "email-event", bounce)
    assert db.session.get(Message, first.id).status == "failed"
    assert "550 5.1.1 no user" in db.session.get(Message, first.id).error
    assert [(p.failure_count, p.unusable_reason) for p in points] == [(1, None), (1, None)]

    apply(db, "sendgrid", "email-event", email_event(second, "bounce", type="bounce", reason="550"))
    assert [(p.failure_count, p.unusable_reason) for p in points] == [(2, "bounced"), (2, "bounced")]
    assert (other.failure_count, other.unusable_reason) == (0, None)


def test_dropped_counts_against_the_address(db, create_message):
    message = create_message(channel="email")
    point = add_contact(db, create_contractor(), message.recipient)
    db.session.commit()
    apply(db, "sendgrid", "email-event", email_event(message, "dropped", reason="Bounced Address"))
    assert db.session.get(Message, message.id).status == "failed"
    assert (point.failure_count, point.unusable_reason) == (1, "dropped")


def test_spam_report_opts_the_address_out(db, create_message):
    message = create_message(channel="email", status="delivered")
    point = add_contact(db, create_contractor(), message.recipient)
    db.session.commit()
    apply(db, "sendgrid", "email-event", email_event(message, "spamreport"))
    message = db.session.get(Message, message.id)
    assert is_opted_out("email", message.recipient)
    assert message.status == "delivered"
    assert "spam" in message.error
    assert point.unusable_reason == "spam-report"
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "channels.opt_out"))
    assert (audit.actor_type, audit.target) == ("recipient", f"email:{message.recipient}")


@pytest.mark.parametrize("kind", ["unsubscribe", "group_unsubscribe"])
def test_unsubscribe_opts_the_address_out(db, create_message, kind):
    message = create_message(channel="email", status="delivered")
    db.session.commit()
    apply(db, "sendgrid", "email-event", email_event(message, kind))
    assert is_opted_out("email", message.recipient)


def test_processed_settles_a_sending_email_and_opens_change_nothing(db, create_message):
    message = create_message(channel="email", status="sending", sent_at=None)
    db.session.commit()
    apply(db, "sendgrid", "email-event", email_event(message, "processed"))
    assert db.session.get(Message, message.id).status == "sent"
    apply(db, "sendgrid", "email-event", email_event(message, "open"), email_event(message, "click"))
    assert db.session.get(Message, message.id).status == "sent"
    events = db.session.scalars(select(ProviderEvent)).all()
    assert all(e.processed_at is not None and e.error is None for e in events)


def test_event_without_our_id_is_matched_by_sendgrid_reference_and_address(db, create_message):
    mine = create_message(channel="email", provider_ref="SGREQ1")
    neighbour = create_message(channel="email", provider_ref="SGREQ1")  # same request
    db.session.commit()
    key, payload = email_event(mine, "delivered")
    del payload["message_id"]
    apply(db, "sendgrid", "email-event", (key, payload))
    assert db.session.get(Message, mine.id).status == "delivered"
    assert db.session.get(Message, neighbour.id).status == "sent"


def test_one_failing_event_does_not_stop_the_others(db, create_message, monkeypatch):
    from app.channels import events

    def broken(payload):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(events._HANDLERS, ("smsapi", "report"), broken)
    sms, email = create_message(), create_message(channel="email")
    db.session.commit()
    ids = store_events("smsapi", "report", [sms_report(sms, "404")])
    ids += store_events("sendgrid", "email-event", [email_event(email, "delivered")])

    assert process_events(ids) == 2
    assert process_events(ids) == 0  # processed events are not applied again
    db.session.expire_all()
    failed = db.session.get(ProviderEvent, ids[0])
    assert failed.processed_at is not None and "database hiccup" in failed.error
    assert db.session.get(Message, email.id).status == "delivered"


def test_unknown_event_types_are_noted(db, create_message):
    message = create_message(channel="email")
    db.session.commit()
    apply(db, "sendgrid", "email-event", email_event(message, "teleported"))
    assert "unknown SendGrid event" in db.session.scalar(select(ProviderEvent.error))
    assert db.session.get(Message, message.id).status == "sent"
