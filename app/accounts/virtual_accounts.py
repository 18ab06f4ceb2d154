"""Individual virtual account numbers (identyfikacja masowa): one NRB per contractor and unit.

A unit that uses mass identification has a prefix from its bank (the 8-digit settlement
number and the office's client code); the rest of the 24-digit BBAN is the contractor's id,
zero-padded, and the two check digits follow ISO 7064 MOD 97-10 as for every IBAN.
"""

from __future__ import annotations

from stdnum.iso7064 import mod_97_10

from app.accounts.models import Unit

BBAN_LENGTH = 24
MIN_PREFIX, MAX_PREFIX = 8, 16
_PL = "2521"  # "PL" as IBAN digits


def check_digits(bban: str) -> str:
    """The two NRB check digits of a 24-digit Polish BBAN."""
    return mod_97_10.calc_check_digits(bban + _PL)


def virtual_account(unit: Unit, contractor_id: int) -> str | None:
    """The contractor's 26-digit virtual NRB in the unit, or None when the unit has no prefix."""
    prefix = unit.virtual_account_prefix
    if not prefix:
        return None
    width = BBAN_LENGTH - len(prefix)
    payer = str(contractor_id)
    if len(payer) > width:
        return None
    bban = prefix + payer.zfill(width)
    return check_digits(bban) + bban


def payer_of(nrb: str, units: list[Unit]) -> tuple[Unit, int] | None:
    """The unit and contractor id a virtual NRB stands for, or None when it is not one of ours."""
    digits = "".join(ch for ch in nrb if ch.isdigit())  # spaces and a leading "PL" fall away
    if len(digits) != 26 or check_digits(digits[2:]) != digits[:2]:
        return None
    bban = digits[2:]
    for unit in units:
        prefix = unit.virtual_account_prefix
        if prefix and bban.startswith(prefix):
            payer = bban[len(prefix):].lstrip("0")
            return (unit, int(payer)) if payer else None
    return None
