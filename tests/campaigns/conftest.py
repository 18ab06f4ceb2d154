"""Fixtures of the campaigns tests: a small town of businesses, an author and an approver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.accounts.models import AttributeDefinition, Consent, ContactPoint, ContractorAttribute
from app.audiences.models import Segment
from tests.factories import create_contractor, create_staff_user

STAMP = datetime(2026, 1, 1, tzinfo=UTC)
CENTRUM = {"field": "district", "op": "eq", "value": "Centrum"}


def business(db, *, phone=None, email=None, sms_consent=True, email_consent=True, attributes=None, **fields):
    """A contractor with a phone and/or email, consent per channel and legacy attributes."""
    c = create_contractor(**fields)
    for channel, value, consent in (("sms", phone, sms_consent), ("email", email, email_consent)):
        if value:
            db.session.add(ContactPoint(contractor_id=c.id, channel=channel, value=value))
        if consent is not None:
            db.session.add(Consent(contractor_id=c.id, channel=channel, granted=consent, source="legacy",
                                   recorded_at=STAMP))
    for code, value in (attributes or {}).items():
        if db.session.get(AttributeDefinition, code) is None:
            db.session.add(AttributeDefinition(code=code))
        db.session.add(ContractorAttribute(contractor_id=c.id, code=code, value=value))
    db.session.flush()
    return c


@dataclass
class Town:
    """Businesses of district Centrum (and one elsewhere), a segment of Centrum, two staff members."""

    people: dict
    segment: Segment
    author: object
    approver: object


@pytest.fixture
def town(db, daytime):
    people = {
        "bakery": business(db, phone="+48600100200", email="piekarnia@firma.pl", name="Piekarnia Pod Lipą",
                           attributes={"BRANZA": "spożywcza"}),
        "garage": business(db, phone="+48600100201", email="warsztat@firma.pl", name="Warsztat „Auto” & Syn"),
        "sms_only": business(db, phone="+48600100202", name="Kwiaciarnia Róża"),
        "email_only": business(db, email="biuro@sklep.pl", name="Sklep Nowy"),
        "no_consent": business(db, phone="+48600100203", sms_consent=False, email_consent=None),
        "elsewhere": business(db, phone="+48600100299", district="Zatorze"),
    }
    segment = Segment(name="Centrum", rule=CENTRUM)
    db.session.add(segment)
    author = create_staff_user(roles=("communicator",), phone="+48600999001", name="Anna Autorka")
    approver = create_staff_user(roles=("approver",), phone="+48600999002", name="Zenon Zatwierdzający")
    db.session.commit()
    return Town(people, segment, author, approver)


@pytest.fixture
def daytime(app):
    """No quiet hours: messages created now may go now."""
    app.config["QUIET_HOURS"] = "00:00-00:00"
    return app


def messages_of(db, campaign_id: int):
    """The campaign's outbox messages, by recipient."""
    from app.channels.models import Message

    db.session.expire_all()
    rows = db.session.scalars(select(Message).where(Message.origin == f"campaign:{campaign_id}"))
    return {m.recipient: m for m in rows}


@pytest.fixture
def drain(stub_worker):
    """A function running every queued task, and the tasks those queue, until nothing is left.

    Works on the stub broker of `make test` and on the Redis broker of `.ci/run`.
    """
    from dramatiq.brokers.stub import StubBroker

    from app.broker import ALL_QUEUES, broker

    def waiting() -> int:
        if isinstance(broker, StubBroker):
            return sum(broker.queues[q].qsize() for q in broker.queues)
        return sum(broker.do_qsize(q + suffix) for q in ALL_QUEUES for suffix in ("", ".DQ"))

    def run() -> None:
        for _ in range(50):
            for queue in ALL_QUEUES:
                if isinstance(broker, StubBroker):
                    broker.join(queue, fail_fast=True)
                else:
                    broker.join(queue, interval=20, timeout=60_000)
            stub_worker.join()
            if not waiting():
                return
        raise AssertionError("the queues never emptied")

    return run
