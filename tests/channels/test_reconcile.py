"""Reconciliation finds what the broker lost and what a dead worker left, and sends it once."""

from __future__ import annotations

from datetime import timedelta

from dramatiq import Worker
from sqlalchemy import select, update

from app.broker import QUEUE_MESSAGES, broker
from app.channels.models import Message
from app.channels.outbox import NewMessage, create_messages
from app.channels.reconcile import reconcile
from app.core.clock import utcnow


def sms(key: str, number: str, **extra) -> NewMessage:
    return NewMessage("sms", number, "Komunikat", "campaign", key, **extra)


def statuses(db) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Message.status)))


def test_messages_whose_tasks_were_lost_are_found_and_sent(app, db):
    """A Redis restart (it keeps nothing on disk) loses every queued task: nothing is lost."""
    app.config.update(QUIET_HOURS="00:00-00:00", STALE_QUEUED_SECONDS=0)
    create_messages([sms(f"k{i}", f"60010020{i}") for i in range(5)])
    db.session.commit()
    broker.flush_all()  # what a restarted Redis holds
    assert statuses(db) == ["created"] * 5

    worker = Worker(broker, worker_timeout=100, worker_threads=1)
    worker.start()
    try:
        assert reconcile()["queued"] == 5
        broker.join(QUEUE_MESSAGES)
        worker.join()
    finally:
        worker.stop()
    assert statuses(db) == ["sent"] * 5


def test_messages_left_sending_by_a_dead_worker_are_sent_again_once(app, db):
    app.config.update(QUIET_HOURS="00:00-00:00", STUCK_SENDING_SECONDS=60, STALE_QUEUED_SECONDS=0)
    ids = create_messages([sms("old", "600100200"), sms("recent", "600100201")])
    db.session.commit()
    broker.flush_all()
    now = utcnow()
    db.session.execute(update(Message).where(Message.id == ids[0]).values(status="sending", claimed_at=now - timedelta(minutes=5)))
    db.session.execute(update(Message).where(Message.id == ids[1]).values(status="sending", claimed_at=now))
    db.session.commit()
    counts = reconcile()
    assert counts["recovered"] == 1 and counts["queued"] == 1
    db.session.expire_all()
    rows = {m.idempotency_key: m.status for m in db.session.scalars(select(Message))}
    assert rows == {"old": "created", "recent": "sending"}
    broker.flush_all()


def test_waiting_messages_past_their_expiry_are_expired(app, db):
    app.config.update(QUIET_HOURS="00:00-00:00")
    create_messages([sms("late", "600100200", send_after=utcnow() + timedelta(hours=1),
                         expires_at=utcnow() - timedelta(seconds=1))])
    db.session.commit()
    assert reconcile()["expired"] == 1
    assert statuses(db) == ["expired"]


def test_messages_waiting_for_the_morning_are_queued_when_it_comes(app, db):
    app.config.update(QUIET_HOURS="00:00-00:00", STALE_QUEUED_SECONDS=600)
    create_messages([sms("night", "600100200", send_after=utcnow() + timedelta(hours=8))])
    db.session.commit()
    assert reconcile()["queued"] == 0
    db.session.execute(update(Message).values(send_after=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert reconcile()["queued"] == 1
    assert reconcile()["queued"] == 0  # queued recently: not again
    broker.flush_all()
