"""Normalisation and validation of contact data: phones to E.164, emails checked."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberType

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
PREMIUM_TYPES = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST, PhoneNumberType.TOLL_FREE}

#: `number_class` of a phone an SMS may go to under the strictest policy.
MOBILE = "mobile"


class ContactError(ValueError):
    """A phone number or email address that cannot be used, with the reason."""


def normalise_phone(text: str, *, region: str = "PL") -> str:
    """Return the number in E.164 (`+48600100200`); ContactError if it is not a valid number.

    Accepts the forms people write: `600100200`, `+48 600-100-200`, `0048600100200`,
    `600 100 200`, `(48) 600 100 200`.
    """
    raw = text.strip()
    if not raw:
        raise ContactError("empty phone number")
    compact = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    try:
        number = phonenumbers.parse(compact, region)
    except NumberParseException as exc:
        raise ContactError(f"not a phone number: {text!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ContactError(f"invalid phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """True when the E.164 number can receive SMS (mobile or possibly mobile)."""
    return phonenumbers.number_type(phonenumbers.parse(e164)) in MOBILE_TYPES


def number_class(number: str, *, home_region: str = "PL") -> str:
    """Classify a phone for texting: `mobile` (a home mobile), or the first reason an SMS could be
    refused: `invalid`, `premium`, `foreign` or `not-mobile`. Stored on SMS contact points, so
    audiences can tell reachable numbers in SQL."""
    try:
        parsed = phonenumbers.parse(number, home_region)
    except NumberParseException:
        return "invalid"
    if not phonenumbers.is_valid_number(parsed):
        return "invalid"
    kind = phonenumbers.number_type(parsed)
    if kind in PREMIUM_TYPES:
        return "premium"
    if phonenumbers.region_code_for_number(parsed) != home_region:
        return "foreign"
    if kind not in MOBILE_TYPES:
        return "not-mobile"
    return MOBILE


def normalise_email(text: str) -> str:
    """Return the address with its domain normalised; ContactError if it is malformed."""
    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ContactError(f"invalid email address: {text!r} ({exc})") from exc
    return result.normalized


def format_phone(e164: str) -> str:
    """Show an E.164 number the Polish way: `+48 600 100 200`."""
    try:
        number = phonenumbers.parse(e164)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def classify_phones(connection) -> int:
    """Set `number_class` on SMS contact points written in bulk without it; returns how many."""
    from sqlalchemy import bindparam, select, update

    from app.accounts.models import Channel, ContactPoint

    table = ContactPoint.__table__
    rows = connection.execute(
        select(table.c.id, table.c.value).where(
            table.c.channel == Channel.SMS, table.c.number_class.is_(None)
        )
    ).all()
    if rows:
        connection.execute(
            update(table).where(table.c.id == bindparam("point_id"))
            .values(number_class=bindparam("klass")),
            [{"point_id": row.id, "klass": number_class(row.value)} for row in rows],
        )
    return len(rows)
