"""Fixtures of the channels tests: outbox messages as a provider left them, pending events run."""

from __future__ import annotations

import itertools

import pytest

_seq = itertools.count(1)


@pytest.fixture
def daytime(app):
    """No quiet hours: messages created now may go now."""
    app.config["QUIET_HOURS"] = "00:00-00:00"
    return app


@pytest.fixture
def create_message(db):
    """A function adding an outbox message (default: an SMS SMSAPI accepted) and flushing it."""
    from app.channels.models import Message
    from app.core.clock import utcnow

    def create(**overrides) -> Message:
        n = next(_seq)
        channel = overrides.get("channel", "sms")
        values = dict(
            idempotency_key=f"test:{n}", channel=channel, purpose="notice",
            recipient="+48600100200" if channel == "sms" else f"firma{n}@example.pl",
            body="Przypominamy o terminie płatności.", status="sent",
            provider="smsapi" if channel == "sms" else "sendgrid", provider_ref=f"REF{n}",
            created_at=utcnow(), sent_at=utcnow(),
        )
        values.update(overrides)
        message = Message(**values)
        db.session.add(message)
        db.session.flush()
        return message

    return create


@pytest.fixture
def run_events(db):
    """A function processing every stored provider event not yet processed (as the worker does)."""
    from sqlalchemy import select

    from app.channels.events import process_events
    from app.channels.models import ProviderEvent

    def run() -> int:
        pending = select(ProviderEvent.id).where(ProviderEvent.processed_at.is_(None))
        ids = list(db.session.scalars(pending))
        done = process_events(ids)
        db.session.expire_all()
        return done

    return run


@pytest.fixture
def empty_broker():
    """Drop the tasks a test left on the stub broker (queued after its commits), for the next test."""
    from app.broker import broker

    yield broker
    broker.flush_all()
