"""The outbox: one row per recipient and purpose, queued after commit, claimed once, quiet at night."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.contacts import ContactError
from app.broker import QUEUE_MESSAGES, QUEUE_URGENT, broker
from app.channels.models import ChannelPolicy, Message, MessageStatus, OptOut
from app.channels.outbox import NewMessage, create_messages
from app.channels.sending import send_batch
from app.core.clock import to_warsaw, utcnow, warsaw_to_utc
from tests.factories import create_unit


def sms(key: str, number: str = "600100200", text: str = "Przypomnienie o terminie", **extra) -> NewMessage:
    return NewMessage("sms", number, text, "test", key, **extra)


def email(key: str, address: str = "biuro@firma.pl", **extra) -> NewMessage:
    return NewMessage("email", address, "Treść", "test", key, subject="Temat", **extra)


def statuses(db) -> dict[str, str]:
    return {m.idempotency_key: m.status for m in db.session.scalars(select(Message))}


def test_a_repeated_idempotency_key_creates_nothing_new(daytime, db):
    first = create_messages([sms("reminder:1"), email("reminder:1:email")])
    db.session.commit()
    again = create_messages([sms("reminder:1", text="Inny tekst")])
    db.session.commit()
    assert set(again) <= set(first)
    assert db.session.scalar(select(Message.body).where(Message.idempotency_key == "reminder:1")) == (
        "Przypomnienie o terminie"
    )
    assert db.session.query(Message).count() == 2


def test_recipients_are_normalised_and_a_bad_one_names_itself(daytime, db):
    create_messages([sms("a", number="+48 600-100-200"), email("b", address="Biuro@Firma.PL")])
    db.session.commit()
    recipients = set(db.session.scalars(select(Message.recipient)))
    assert recipients == {"+48600100200", "Biuro@firma.pl"}
    with pytest.raises(ContactError, match="12345"):
        create_messages([sms("c", number="12345")])


def pending(queue: str) -> int:
    """Tasks waiting in a queue of the stub broker or of Redis."""
    if hasattr(broker, "client"):
        return broker.client.hlen(f"{broker.namespace}:{queue}.msgs")
    return broker.queues[queue].qsize()


def test_messages_are_queued_only_after_the_commit(daytime, db):
    broker.flush_all()
    create_messages([sms("a"), sms("b", urgent=True)])
    assert pending(QUEUE_MESSAGES) == 0
    db.session.rollback()
    assert db.session.query(Message).count() == 0
    ids = create_messages([sms("a"), sms("b", urgent=True)])
    db.session.commit()
    assert (pending(QUEUE_MESSAGES), pending(QUEUE_URGENT)) == (1, 1)
    assert all(m.queued_at for m in db.session.scalars(select(Message).where(Message.id.in_(ids))))
    broker.flush_all()


def test_the_outbox_provider_keeps_what_would_be_sent(daytime, db):
    ids = create_messages([sms("a", text="Zażółć gęślą jaźń"), email("b")])
    db.session.commit()
    result = send_batch(ids)
    assert (result.claimed, result.sent) == (2, 2)
    sent = db.session.scalar(select(Message).where(Message.idempotency_key == "a"))
    assert (sent.status, sent.provider, sent.parts) == ("sent", "outbox", 1)
    assert sent.provider_ref == f"outbox-{sent.id}"
    assert sent.sent_at is not None


def test_a_batch_sent_twice_sends_each_message_once(daytime, db):
    ids = create_messages([sms(f"k{i}", number=f"60010020{i}") for i in range(5)])
    db.session.commit()
    first, second = send_batch(ids), send_batch(ids)
    assert (first.sent, second.claimed, second.skipped) == (5, 0, 5)


def test_numbers_the_office_may_not_text_fail_with_the_reason(daytime, db):
    ids = create_messages([
        sms("landline", number="+48 22 123 45 67"),
        sms("foreign", number="+49 1512 3456789"),
        sms("long", text="x" * 2000),
        sms("fine"),
    ])
    db.session.commit()
    send_batch(ids)
    rows = {m.idempotency_key: m for m in db.session.scalars(select(Message))}
    assert rows["landline"].status == "failed" and "not-mobile" in rows["landline"].error
    assert rows["foreign"].status == "failed" and "foreign" in rows["foreign"].error
    assert rows["long"].status == "failed" and "parts" in rows["long"].error
    assert rows["fine"].status == "sent"


def test_an_opt_out_is_checked_at_send_time(daytime, db):
    unit = create_unit()
    ids = create_messages([sms("normal"), sms("urgent", urgent=True), sms("urgent-policy", urgent=True, unit_id=unit.id)])
    db.session.add(OptOut(channel="sms", address="+48600100200", source="sms"))
    db.session.commit()
    send_batch(ids)
    assert statuses(db) == {"normal": "cancelled", "urgent": "cancelled", "urgent-policy": "cancelled"}

    db.session.add(ChannelPolicy(unit_id=unit.id, urgent_ignores_stop=True))
    db.session.commit()
    ids = create_messages([sms("urgent-2", urgent=True, unit_id=unit.id)])
    db.session.commit()
    send_batch(ids)
    assert statuses(db)["urgent-2"] == "sent"


def test_a_unit_policy_transliterates_polish_letters(daytime, db):
    unit = create_unit()
    db.session.add(ChannelPolicy(unit_id=unit.id, sms_transliterate=True))
    db.session.commit()
    create_messages([sms("a", text="Zażółć gęślą jaźń", unit_id=unit.id)])
    db.session.commit()
    assert db.session.scalar(select(Message.body)) == "Zazolc gesla jazn"


def test_messages_due_at_night_wait_for_the_morning_unless_urgent(app, db):
    now = to_warsaw(utcnow())
    app.config["QUIET_HOURS"] = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    ids = create_messages([sms("normal"), sms("urgent", urgent=True)])
    db.session.commit()
    rows = {m.idempotency_key: m for m in db.session.scalars(select(Message))}
    assert to_warsaw(rows["normal"].send_after) > now and rows["normal"].queued_at is None
    assert rows["urgent"].send_after is None
    send_batch(ids)
    assert statuses(db) == {"normal": "created", "urgent": "sent"}


def test_expired_messages_are_not_sent(daytime, db):
    ids = create_messages([sms("late", expires_at=utcnow() - timedelta(minutes=1))])
    db.session.commit()
    send_batch(ids)
    late = db.session.scalar(select(Message))
    assert late.status == MessageStatus.EXPIRED and late.sent_at is None


def test_scheduled_messages_wait_for_their_time(daytime, db):
    later = warsaw_to_utc(datetime.now().replace(microsecond=0)) + timedelta(days=1)
    ids = create_messages([sms("later", send_after=later)])
    db.session.commit()
    assert send_batch(ids).claimed == 0
    assert statuses(db) == {"later": "created"}
