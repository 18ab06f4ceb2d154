"""Inbound SMS: keywords (STOP, START, POMOC) are answered at once, the rest goes to the office inbox.

An inbox entry is threaded with the last message we sent to that number and, through it or
through the contact points, with the contractor. Answers are ordinary outbox messages with
purpose `reply`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app.accounts.contacts import ContactError, normalise_phone
from app.accounts.models import ContactPoint, StaffUser
from app.channels.models import InboundSms, InboundStatus, Message, MessageStatus, Purpose
from app.channels.optouts import opt_in, opt_out
from app.channels.outbox import NewMessage, create_messages, policies_for
from app.channels.sms_text import measure, transliterate
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db

#: Whole texts (after normalising, see `keyword_of`) that are commands, not questions.
KEYWORDS = {
    "STOP": "stop", "NIE": "stop", "STOP WSZYSTKO": "stop",
    "START": "start",
    "POMOC": "help", "HELP": "help",
}
STOP_REPLY = (
    "Urzad Miasta: ten numer nie bedzie juz otrzymywal powiadomien SMS. "
    "Aby je przywrocic, odpisz START."
)
START_REPLY = (
    "Urzad Miasta: ten numer znow bedzie otrzymywal powiadomienia SMS. "
    "Aby z nich zrezygnowac, odpisz STOP."
)
_PUNCTUATION = " .,!?;:'\"()-"


class InboundError(ValueError):
    """An inbox action that cannot be done, with the reason."""


def keyword_of(text: str) -> str | None:
    """The command a text is (`stop`, `start`, `help`), or None for anything else.

    Only a whole text matches: trimmed, spaces collapsed, upper-cased, Polish letters
    replaced and surrounding punctuation dropped (` Stop. ` is STOP, `nie wiem` is not).
    """
    words = " ".join(transliterate(text).upper().split()).strip(_PUNCTUATION)
    return KEYWORDS.get(words)


def sender_number(sender: str) -> str | None:
    """The sender in E.164 (SMSAPI writes `48600100200`), or None when it is not a number."""
    region = current_app.config["DEFAULT_PHONE_REGION"]
    raw = sender.strip()
    candidates = [raw] + ([f"+{raw}"] if raw.isdigit() else [])
    for candidate in candidates:
        try:
            return normalise_phone(candidate, region=region)
        except ContactError:
            continue
    return None


@transactional
def receive_sms(
    sender: str,
    text: str,
    *,
    recipient: str | None = None,
    provider_ref: str | None = None,
    received_at: datetime | None = None,
) -> InboundSms:
    """Record an SMS someone sent us and answer it if it is a keyword; idempotent by provider_ref."""
    if provider_ref:
        existing = db.session.scalar(select(InboundSms).where(InboundSms.provider_ref == provider_ref))
        if existing is not None:
            return existing
    number = sender_number(sender)
    last = _last_sent(number) if number else None
    inbound = InboundSms(
        provider_ref=provider_ref,
        sender=number or sender.strip()[:20],
        recipient=(recipient or "").strip()[:20] or None,
        text=text,
        received_at=received_at or utcnow(),
        keyword=keyword_of(text),
        status=InboundStatus.NEW,
        contractor_id=last.contractor_id if last and last.contractor_id else _contractor_of(number),
        in_reply_to_id=last.id if last else None,
    )
    db.session.add(inbound)
    db.session.flush()
    if inbound.keyword:
        _obey(inbound, number, last.unit_id if last else None)
    return inbound


def _obey(inbound: InboundSms, number: str | None, unit_id: int | None) -> None:
    """Carry out a keyword and confirm it to the sender at once (urgent: not held by quiet hours)."""
    inbound.status = InboundStatus.AUTOMATIC
    inbound.handled_at = utcnow()
    if inbound.keyword == "stop":
        opt_out("sms", inbound.sender, "sms")
        body = STOP_REPLY
    elif inbound.keyword == "start":
        opt_in("sms", inbound.sender, "sms")
        body = START_REPLY
    else:
        policy = policies_for([unit_id]).get(unit_id) if unit_id else None
        body = policy.help_text if policy and policy.help_text else current_app.config["SMS_HELP_TEXT"]
    if number is None:
        return  # an alphanumeric sender cannot be answered
    create_messages([
        NewMessage(
            channel="sms", recipient=number, body=body, purpose=Purpose.REPLY,
            idempotency_key=f"reply:inbound:{inbound.id}", origin=f"inbound:{inbound.id}",
            urgent=True, contractor_id=inbound.contractor_id, unit_id=unit_id,
        )
    ])


def _last_sent(number: str) -> Message | None:
    """The last SMS that reached (or was handed over for) this number."""
    return db.session.scalar(
        select(Message)
        .where(Message.channel == "sms", Message.recipient == number,
               Message.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )


def _contractor_of(number: str | None) -> int | None:
    """The contractor with this phone among its active contact points, if exactly one has it."""
    if number is None:
        return None
    owners = set(
        db.session.scalars(
            select(ContactPoint.contractor_id)
            .where(ContactPoint.channel == "sms", ContactPoint.value == number,
                   ContactPoint.is_active.is_(True))
            .limit(2)
        )
    )
    return owners.pop() if len(owners) == 1 else None


@transactional
def reply(inbound_id: int, text: str, staff_user_id: int) -> Message:
    """Answer an inbox SMS by SMS on behalf of a staff user; the same text twice sends once."""
    inbound = _inbound(inbound_id)
    staff = _staff(staff_user_id)
    body = text.strip()
    if not body:
        raise InboundError("the reply is empty")
    unit_id = inbound.in_reply_to.unit_id if inbound.in_reply_to else None
    policy = policies_for([unit_id]).get(unit_id) if unit_id else None
    max_parts = current_app.config["SMS_MAX_PARTS"]
    if policy is not None and policy.sms_max_parts:
        max_parts = policy.sms_max_parts
    parts = measure(body).parts
    if parts > max_parts:
        raise InboundError(f"the reply needs {parts} SMS parts, at most {max_parts} allowed")
    number = sender_number(inbound.sender)
    if number is None:
        raise InboundError(f"the sender {inbound.sender!r} is not a phone number that can be answered")
    digest = hashlib.sha256(f"{staff.id}\n{body}".encode()).hexdigest()[:16]
    key = f"reply:inbound:{inbound.id}:{digest}"
    repeated = db.session.scalar(select(Message.id).where(Message.idempotency_key == key)) is not None
    [message_id] = create_messages([
        NewMessage(
            channel="sms", recipient=number, body=body, purpose=Purpose.REPLY, idempotency_key=key,
            origin=f"inbound:{inbound.id}", contractor_id=inbound.contractor_id, unit_id=unit_id,
        )
    ])
    if not repeated:
        inbound.status = InboundStatus.ANSWERED
        inbound.handled_by_id = staff.id
        inbound.handled_at = utcnow()
        audit.record(
            "inbound.replied", actor_type="staff", actor_id=staff.id, actor_label=staff.email,
            target=f"inbound:{inbound.id}", message_id=message_id,
        )
    return db.session.get(Message, message_id)


@transactional
def close(inbound_id: int, staff_user_id: int) -> None:
    """Close an inbox SMS that needs no (further) answer."""
    inbound = _inbound(inbound_id)
    staff = _staff(staff_user_id)
    if inbound.status == InboundStatus.CLOSED:
        return
    inbound.status = InboundStatus.CLOSED
    inbound.handled_by_id = staff.id
    inbound.handled_at = utcnow()
    audit.record(
        "inbound.closed", actor_type="staff", actor_id=staff.id, actor_label=staff.email,
        target=f"inbound:{inbound.id}",
    )


def _inbound(inbound_id: int) -> InboundSms:
    inbound = db.session.get(InboundSms, inbound_id)
    if inbound is None:
        raise InboundError(f"no inbound SMS #{inbound_id}")
    return inbound


def _staff(staff_user_id: int) -> StaffUser:
    staff = db.session.get(StaffUser, staff_user_id)
    if staff is None or not staff.is_active:
        raise InboundError(f"no active staff user #{staff_user_id}")
    return staff
