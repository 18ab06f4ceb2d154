"""Parsers of the legacy format's field values; each raises FieldError naming what is wrong."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from stdnum.pl import nip as nip_number
from stdnum.pl import pesel as pesel_number
from stdnum.pl import regon as regon_number

from app.core.clock import warsaw_to_utc
from app.core.money import parse_amount


class FieldError(ValueError):
    """A field value that cannot be accepted; `reason` is short and stable (used in reports)."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(f"{reason} ({field}={value!r})")
        self.field = field
        self.value = value
        self.reason = reason


@lru_cache(maxsize=8192)
def _parse_day(text: str) -> date:
    day, month, year = text.split(".")
    if len(day) != 2 or len(month) != 2 or len(year) != 4:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def day(field: str, text: str, *, required: bool = True) -> date | None:
    """A `DD.MM.RRRR` date; empty gives None unless required."""
    try:
        return _parse_day(text)  # the common case: a clean date, cached
    except ValueError:
        pass
    value = text.strip()
    if not value:
        if required:
            raise FieldError(field, text, "bad date")
        return None
    try:
        return _parse_day(value)
    except ValueError:
        raise FieldError(field, text, "bad date") from None


_DATETIME = re.compile(r"^(\d{2}\.\d{2}\.\d{4}) (\d{2}):(\d{2})$")


def instant(field: str, text: str) -> datetime | None:
    """A `DD.MM.RRRR HH:MM` Warsaw time as a UTC instant; empty gives None."""
    value = text.strip()
    if not value:
        return None
    match = _DATETIME.match(value)
    try:
        if not match:
            raise ValueError(value)
        d = _parse_day(match.group(1))
        local = datetime(d.year, d.month, d.day, int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise FieldError(field, text, "bad date") from None
    return warsaw_to_utc(local)


@lru_cache(maxsize=65536)
def _parse_amount(text: str) -> Decimal:
    return parse_amount(text)


def amount(field: str, text: str) -> Decimal:
    """A non-negative amount with a decimal comma (`1 234,56`)."""
    try:
        value = _parse_amount(text)
    except ValueError:
        raise FieldError(field, text, "bad amount") from None
    if value < 0:
        raise FieldError(field, text, "bad amount")
    return value


def flag(field: str, text: str) -> bool:
    """`T` (tak) or `N` (nie); empty is N."""
    value = text.strip().upper()
    if value in ("T", ""):
        return value == "T"
    if value == "N":
        return False
    raise FieldError(field, text, "bad flag")


def required_text(field: str, text: str, max_length: int) -> str:
    """A non-empty text of at most `max_length` characters."""
    value = text.strip()
    if not value:
        raise FieldError(field, text, "missing value")
    if len(value) > max_length:
        raise FieldError(field, text[:60], f"longer than {max_length} characters")
    return value


def optional_text(field: str, text: str, max_length: int) -> str | None:
    """A text of at most `max_length` characters; empty gives None."""
    value = text.strip()
    if len(value) > max_length:
        raise FieldError(field, text[:60], f"longer than {max_length} characters")
    return value or None


def nip(field: str, text: str, *, required: bool = True) -> str | None:
    """A NIP with a valid checksum, dashes and spaces removed."""
    value = nip_number.compact(text) if text.strip() else ""
    if not value:
        if required:
            raise FieldError(field, text, "missing NIP")
        return None
    if not nip_number.is_valid(value):
        raise FieldError(field, text, "NIP checksum")
    return value


def regon(field: str, text: str) -> str | None:
    """A 9- or 14-digit REGON with a valid checksum; empty gives None."""
    value = regon_number.compact(text) if text.strip() else ""
    if not value:
        return None
    if not regon_number.is_valid(value):
        raise FieldError(field, text, "REGON checksum")
    return value


def pesel(field: str, text: str) -> str | None:
    """An 11-digit PESEL with a valid checksum; empty gives None."""
    value = pesel_number.compact(text) if text.strip() else ""
    if not value:
        return None
    if not pesel_number.is_valid(value):
        raise FieldError(field, text, "PESEL checksum")
    return value


def choice(field: str, text: str, allowed: dict[str, str]) -> str:
    """One of the allowed codes, mapped to its stored value."""
    value = text.strip().upper()
    if value not in allowed:
        raise FieldError(field, text, f"unknown code (expected {', '.join(allowed)})")
    return allowed[value]


_NUMBER = re.compile(r"^-?\d+(?:[ \u00a0]\d{3})*(?:,\d+)?$")
_LIST = re.compile(r"^[0-9A-Za-z]{1,4}(?:\s*,\s*[0-9A-Za-z]{1,4})+$")


def attribute_number(text: str) -> Decimal | None:
    """The numeric reading of an attribute value (`8`, `765,44`), or None."""
    value = text.strip()
    if not _NUMBER.match(value):
        return None
    return Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))


def attribute_date(text: str) -> date | None:
    """The date reading of an attribute value (`DD.MM.RRRR`), or None."""
    try:
        return _parse_day(text.strip())
    except ValueError:
        return None


def looks_like_list(text: str) -> bool:
    """True for comma lists of short codes such as `A,C`."""
    return bool(_LIST.match(text.strip()))
