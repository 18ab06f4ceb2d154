"""Money helpers: amounts are `Decimal` with two places, shown the Polish way."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
NBSP = "\u00a0"
_AMOUNT = re.compile(r"^-?\d{1,3}(?:[ \u00a0]?\d{3})*(?:,\d{1,2})?$|^-?\d+(?:,\d{1,2})?$")


def parse_amount(text: str) -> Decimal:
    """Parse a Polish amount (`1 234,56`, `67,00`, `92`) into a Decimal; ValueError if malformed."""
    value = text.strip()
    if not _AMOUNT.match(value):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", ".")).quantize(CENT)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
        raise ValueError(f"not an amount: {text!r}") from exc


def quantize(amount: Decimal | int | str) -> Decimal:
    """Round an amount to grosze, half up."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_pln(amount: Decimal | None, *, currency: bool = True) -> str:
    """Format an amount as `1 234,56 zł` (non-breaking space between thousands)."""
    if amount is None:
        return ""
    value = quantize(amount)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + NBSP.join(groups) + "," + cents
    return text + NBSP + "zł" if currency else text
