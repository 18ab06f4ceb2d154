"""Staff notifications go through the outbox, once per notice, user and channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.channels.models import Message
from app.channels.notify import notify_staff
from tests.factories import create_staff_user

pytestmark = pytest.mark.usefixtures("empty_broker")


def staff_messages(db) -> list[tuple[str, str, str]]:
    rows = db.session.scalars(select(Message).where(Message.purpose == "staff").order_by(Message.id))
    return [(m.channel, m.recipient, m.subject or m.body) for m in rows]


def test_the_same_notice_twice_is_sent_once(db):
    anna = create_staff_user(roles=("approver",), email="anna@um.elk.pl", phone="600 100 200")
    create_staff_user(roles=("approver",), email="piotr@um.elk.pl")  # no phone: email only
    create_staff_user(roles=("finance",), email="ewa@um.elk.pl")
    create_staff_user(roles=("approver",), email="jan@um.elk.pl", is_active=False)

    first = notify_staff("approver", "Kampania czeka na akceptację", "Kampania #12 czeka.",
                         key="campaign:12:approval", channels=("email", "sms"))
    again = notify_staff("approver", "Kampania czeka na akceptację", "Kampania #12 czeka.",
                         key="campaign:12:approval", channels=("email", "sms"))
    db.session.commit()

    assert sorted(first) == sorted(again)
    assert staff_messages(db) == [
        ("email", "anna@um.elk.pl", "Kampania czeka na akceptację"),
        ("sms", "+48600100200", "Kampania czeka na akceptację: Kampania #12 czeka."),
        ("email", "piotr@um.elk.pl", "Kampania czeka na akceptację"),
    ]
    email = db.session.scalar(select(Message).where(Message.recipient == "anna@um.elk.pl"))
    assert email.body == "Kampania #12 czeka."
    assert email.idempotency_key == f"staff:campaign:12:approval:{anna.id}:email"


def test_a_new_notice_is_sent_again(db):
    create_staff_user(roles=("inbox",), email="anna@um.elk.pl")
    notify_staff("inbox", "Nowy SMS", "Od +48600100200", key="inbound:1")
    notify_staff("inbox", "Nowy SMS", "Od +48600100201", key="inbound:2")
    assert len(staff_messages(db)) == 2


def test_administrators_get_a_notice_nobody_else_holds_the_role_for(db):
    create_staff_user(roles=("admin",), email="admin@um.elk.pl")
    create_staff_user(roles=("finance",), email="ewa@um.elk.pl")
    notify_staff("inbox", "Nowy SMS", "Od +48600100200", key="inbound:3")
    assert [r for _c, r, _s in staff_messages(db)] == ["admin@um.elk.pl"]


def test_urgent_notice_is_marked_urgent(db):
    create_staff_user(roles=("admin",), email="admin@um.elk.pl")
    [message_id] = notify_staff("admin", "Awaria", "SMSAPI odrzuca klucz.", key="smsapi:401",
                                urgent=True)
    assert db.session.get(Message, message_id).urgent is True


def test_unknown_role_is_refused(db):
    with pytest.raises(ValueError):
        notify_staff("janitor", "X", "Y", key="x")
