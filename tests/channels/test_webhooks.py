"""Provider webhooks: authenticated, validated, stored once, applied by the worker."""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from app.channels.models import InboundSms, Message, ProviderEvent
from app.channels.registry import webhook_secret

SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"

pytestmark = pytest.mark.usefixtures("empty_broker")


class Signer:
    """Signs event posts as SendGrid does: ECDSA P-256 over timestamp + body."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.public_key = base64.b64encode(der).decode("ascii")

    def headers(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.private_key.sign((stamp + body).encode(), ec.ECDSA(hashes.SHA256()))
        return {SIGNATURE: base64.b64encode(signature).decode("ascii"), TIMESTAMP: stamp}

    def post(self, client, events, *, timestamp: int | None = None, body: str | None = None,
             signed_body: str | None = None):
        body = json.dumps(events) if body is None else body
        headers = self.headers(body if signed_body is None else signed_body, timestamp)
        return client.post("/hooks/sendgrid/events", data=body.encode(), headers=headers,
                           content_type="application/json")


@pytest.fixture
def signer(app):
    signer = Signer()
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = signer.public_key
    return signer


def stored(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ProviderEvent))


def reports_url(secret: str | None = None) -> str:
    return f"/hooks/smsapi/{secret or webhook_secret()}/reports"


def email_event(message: Message, event: str = "delivered", **fields) -> dict:
    return {"email": message.recipient, "timestamp": int(time.time()), "event": event,
            "sg_event_id": f"ev-{message.id}-{event}",
            "sg_message_id": f"{message.provider_ref}.filter-1",
            "message_id": str(message.id), **fields}


# --- SMSAPI delivery reports -----------------------------------------------------------------


def test_reports_with_several_values_update_each_message(client, db, create_message, run_events):
    delivered = create_message()
    undelivered = create_message()
    unsettled = create_message(status="sending", provider_ref="MSG-C", sent_at=None)
    db.session.commit()

    response = client.get(reports_url(), query_string={
        "MsgId": f"{delivered.provider_ref},{undelivered.provider_ref},MSG-C",
        "status": "404,406,403",
        "idx": f"{delivered.id},{undelivered.id},",
        "donedate": "1767225600,1767225601,1767225602",
        "to": "48600100200,48600100200,48600100200",
        "username": "urzad",
    })

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "OK"
    # The worker applies them, not the hook.
    assert db.session.get(Message, delivered.id).status == "sent"
    run_events()
    assert db.session.get(Message, delivered.id).status == "delivered"
    assert db.session.get(Message, delivered.id).finished_at.year == 2026
    failed = db.session.get(Message, undelivered.id)
    assert failed.status == "failed" and "FAILED" in failed.error
    assert db.session.get(Message, unsettled.id).status == "sent"


def test_report_queues_the_worker_after_commit(client, db, create_message, monkeypatch):
    from app.channels import tasks

    message = create_message()
    db.session.commit()
    seen = []

    def send(ids):
        with db.engine.connect() as other:  # committed: another connection sees the rows
            seen.append((ids, other.scalar(select(func.count()).select_from(ProviderEvent))))

    monkeypatch.setattr(tasks.process_events, "send", send)
    client.get(reports_url(), query_string={"MsgId": message.provider_ref, "status": "404",
                                            "idx": str(message.id)})

    event_id = db.session.scalar(select(ProviderEvent.id))
    assert seen == [([event_id], 1)]


def test_report_tells_the_reference_of_a_message_without_one(client, db, create_message, run_events):
    message = create_message(status="sending", provider=None, provider_ref=None, sent_at=None)
    db.session.commit()
    client.get(reports_url(), query_string={"MsgId": "5F1A2B", "status": "404", "idx": str(message.id)})
    run_events()
    message = db.session.get(Message, message.id)
    assert (message.status, message.provider_ref, message.provider) == ("delivered", "5F1A2B", "smsapi")


def test_wrong_secret_is_not_found_and_stores_nothing(client, db, create_message):
    message = create_message()
    db.session.commit()
    response = client.get(reports_url("guessed-secret"), query_string={
        "MsgId": message.provider_ref, "status": "404", "idx": str(message.id)})
    inbound = client.post("/hooks/smsapi/guessed-secret/inbound", data={
        "sms_from": "48600100200", "sms_text": "STOP", "MsgId": "IN1"})
    assert (response.status_code, inbound.status_code) == (404, 404)
    assert stored(db) == 0


def test_repeated_and_late_reports_change_nothing(client, db, create_message, run_events):
    message = create_message()
    db.session.commit()
    query = {"MsgId": message.provider_ref, "status": "404", "idx": str(message.id),
             "donedate": "1767225600"}
    client.get(reports_url(), query_string=query)
    run_events()
    finished = db.session.get(Message, message.id).finished_at

    client.get(reports_url(), query_string=query)
    client.get(reports_url(), query_string={**query, "status": "405"})
    run_events()

    assert stored(db) == 2  # the repeat was dropped, the late one was kept but did nothing
    message = db.session.get(Message, message.id)
    assert (message.status, message.finished_at, message.error) == ("delivered", finished, None)


@pytest.mark.parametrize(("query", "field"), [
    ({"status": "404"}, "MsgId"),
    ({"MsgId": "A,B", "status": "404"}, "status"),
    ({"MsgId": "A", "status": "DELIVERED"}, "status"),
    ({"MsgId": "A,B", "status": "404,404", "idx": "1"}, "idx"),
    ({"MsgId": "A", "status": "404", "donedate": "yesterday"}, "donedate"),
    ({"MsgId": "A;DROP", "status": "404"}, "MsgId"),
    ({"MsgId": "A" * 101, "status": "404"}, "MsgId"),
])
def test_malformed_reports_are_refused_naming_the_field(client, db, query, field):
    response = client.get(reports_url(), query_string=query)
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(f"{field}:")
    assert stored(db) == 0


def test_report_of_an_unknown_message_is_kept_with_the_reason(client, db, run_events):
    client.get(reports_url(), query_string={"MsgId": "NOPE", "status": "404", "idx": "999999"})
    run_events()
    event = db.session.scalar(select(ProviderEvent))
    assert event.processed_at is not None
    assert "no SMS message" in event.error


# --- SMSAPI inbound SMS -----------------------------------------------------------------------


def test_inbound_sms_is_stored_once_and_reaches_the_inbox(client, db, run_events):
    form = {"sms_from": "48600100200", "sms_to": "48500600700", "sms_text": "Kiedy termin?",
            "sms_date": str(int(time.time())), "MsgId": "IN-1", "username": "urzad"}
    url = f"/hooks/smsapi/{webhook_secret()}/inbound"
    first, again = client.post(url, data=form), client.post(url, data=form)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_data(as_text=True) == "OK"
    run_events()
    rows = db.session.scalars(select(InboundSms)).all()
    assert [(r.sender, r.text, r.status) for r in rows] == [("+48600100200", "Kiedy termin?", "new")]


def test_inbound_sms_without_sender_is_refused(client, db):
    response = client.post(f"/hooks/smsapi/{webhook_secret()}/inbound",
                           data={"sms_text": "Kiedy termin?", "MsgId": "IN-2"})
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("sms_from:")
    assert stored(db) == 0


# --- SendGrid events --------------------------------------------------------------------------


def test_signed_events_are_applied(client, db, signer, create_message, run_events):
    message = create_message(channel="email", status="sending", sent_at=None)
    db.session.commit()
    events = [email_event(message, "processed"), email_event(message, "delivered")]
    response = signer.post(client, events)
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 2, "rejected": 0}
    run_events()
    assert db.session.get(Message, message.id).status == "delivered"


@pytest.mark.parametrize("case", ["other key", "tampered", "stale", "future", "no signature",
                                  "not base64", "no key configured"])
def test_unauthentic_or_stale_events_are_refused(client, db, app, signer, create_message, case):
    message = create_message(channel="email")
    db.session.commit()
    events = [email_event(message, "bounce", reason="550 no such user", type="bounce")]
    body = json.dumps(events)
    now = int(time.time())
    max_age = app.config["SENDGRID_EVENT_MAX_AGE"]
    if case == "other key":
        response = Signer().post(client, events)
    elif case == "tampered":
        response = signer.post(client, events, signed_body=body.replace("bounce", "delivered"))
    elif case == "stale":
        response = signer.post(client, events, timestamp=now - max_age - 60)
    elif case == "future":
        response = signer.post(client, events, timestamp=now + max_age + 60)
    elif case == "no signature":
        response = client.post("/hooks/sendgrid/events", data=body, content_type="application/json")
    elif case == "not base64":
        response = client.post("/hooks/sendgrid/events", data=body, content_type="application/json",
                               headers={SIGNATURE: "%%%not-base64", TIMESTAMP: str(now)})
    else:
        app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = ""
        response = signer.post(client, events)
    assert response.status_code == 403
    assert stored(db) == 0
    assert db.session.get(Message, message.id).status == "sent"


def test_refused_events_are_logged(client, db, signer, caplog, monkeypatch):
    # Alembic's fileConfig (the test database is built in-process) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("app.channels.webhooks"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="app.channels.webhooks"):
        response = Signer().post(client, [{"event": "delivered", "sg_event_id": "x"}])
    assert response.status_code == 403
    assert "SendGrid event webhook refused" in caplog.text


def test_a_repeated_event_is_stored_once(client, db, signer, create_message, run_events):
    message = create_message(channel="email")
    db.session.commit()
    event = email_event(message, "delivered")
    signer.post(client, [event, event])
    signer.post(client, [event])
    assert stored(db) == 1
    run_events()
    assert db.session.get(Message, message.id).status == "delivered"


def test_events_without_an_id_are_rejected_one_by_one(client, db, signer, create_message):
    message = create_message(channel="email")
    db.session.commit()
    anonymous = {**email_event(message, "open"), "sg_event_id": None}
    response = signer.post(client, [email_event(message, "delivered"), anonymous, "not an event"])
    assert response.get_json() == {"accepted": 1, "rejected": 2}
    assert stored(db) == 1


@pytest.mark.parametrize(("body", "status"), [
    ("[{\"event\": ", 400),
    ("{\"event\": \"delivered\"}", 400),
    ("[NaN]", 400),
    ("[" * 100_000 + "]" * 100_000, 400),
])
def test_malformed_bodies_are_refused(client, db, signer, body, status):
    response = signer.post(client, None, body=body)
    assert response.status_code == status
    assert stored(db) == 0


def test_oversized_bodies_are_refused(client, db, signer):
    response = signer.post(client, None, body="[" + " " * (6 * 1024 * 1024) + "]")
    assert response.status_code == 413
    assert stored(db) == 0


def test_the_worker_applies_what_the_webhook_stored(client, db, signer, create_message, stub_worker):
    from app.broker import QUEUE_DEFAULT, broker

    message = create_message(channel="email")
    db.session.commit()
    signer.post(client, [email_event(message, "delivered")])
    broker.join(QUEUE_DEFAULT)
    stub_worker.join()
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "delivered"
