"""Opt-outs: addresses that asked for no more messages on a channel (SMS `STOP`, unsubscribes).

The sending engine withholds messages to an opted-out address at send time, so an opt-out
takes effect for messages already waiting in the outbox too.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, exists, select

from app.accounts.contacts import ContactError, normalise_email, normalise_phone
from app.channels.models import OptOut
from app.core import audit
from app.core.clock import utcnow
from app.core.db import insert_ignoring_duplicates, transactional
from app.core.extensions import db

CHANNELS = ("sms", "email")


def opt_out_address(channel: str, address: str) -> str:
    """The form an address is kept in (E.164, normalised email); raw when it cannot be read."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    try:
        if channel == "sms":
            return normalise_phone(address, region=current_app.config["DEFAULT_PHONE_REGION"])
        return normalise_email(address)
    except ContactError:
        return address.strip()[:255]


@transactional
def opt_out(channel: str, address: str, source: str, *, staff_user_id: int | None = None) -> bool:
    """Record that `address` wants no more messages on `channel`; True when it is new.

    `source` says how we learnt it (sms, sendgrid, spam-report, staff, portal); a staff user's
    id makes the audit entry theirs, otherwise it is the recipient's own.
    """
    value = opt_out_address(channel, address)
    result = db.session.execute(
        insert_ignoring_duplicates(OptOut.__table__, ["channel", "address"]),
        [{"channel": channel, "address": value, "source": source[:20], "recorded_at": utcnow()}],
    )
    added = bool(result.rowcount)
    if added:
        _audit("channels.opt_out", channel, value, source, staff_user_id)
    return added


@transactional
def opt_in(channel: str, address: str, source: str, *, staff_user_id: int | None = None) -> bool:
    """Withdraw an opt-out of `address` on `channel`; True when there was one."""
    value = opt_out_address(channel, address)
    result = db.session.execute(
        delete(OptOut).where(OptOut.channel == channel, OptOut.address == value)
    )
    removed = bool(result.rowcount)
    if removed:
        _audit("channels.opt_in", channel, value, source, staff_user_id)
    return removed


def is_opted_out(channel: str, address: str) -> bool:
    """True when `address` opted out of `channel`."""
    value = opt_out_address(channel, address)
    return bool(
        db.session.scalar(
            select(exists().where(OptOut.channel == channel, OptOut.address == value))
        )
    )


def _audit(action: str, channel: str, address: str, source: str, staff_user_id: int | None) -> None:
    audit.record(
        action,
        actor_type="staff" if staff_user_id is not None else "recipient",
        actor_id=staff_user_id,
        actor_label=None if staff_user_id is not None else address,
        target=f"{channel}:{address}",
        source=source,
    )
