"""SMS text: GSM-7 or UCS-2, the number of parts, Polish transliteration, cost.

GSM-7 (3GPP TS 23.038) carries 160 septets in one SMS or 153 per part of a long one; the
characters of the extension table take two septets (escape + character), and a pair is never
split across parts. Any other character makes the whole message UCS-2: 70 UTF-16 code units in
one SMS, 67 per part, a surrogate pair never split.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7, UCS2 = "GSM-7", "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}

#: Polish letters and their plain forms; `ł` has no Unicode decomposition, so a table it is.
POLISH_TRANSLITERATION = str.maketrans({
    "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z", "ż": "z",
    "Ą": "A", "Ć": "C", "Ę": "E", "Ł": "L", "Ń": "N", "Ó": "O", "Ś": "S", "Ź": "Z", "Ż": "Z",
})


class SmsTooLong(ValueError):
    """The text needs more parts than allowed."""


@dataclass(frozen=True)
class SmsSize:
    """How a text travels: its encoding, length in units and number of parts."""

    encoding: str
    units: int
    parts: int

    @property
    def capacity(self) -> int:
        """Units the current number of parts can hold."""
        return SINGLE[self.encoding] if self.parts <= 1 else PER_PART[self.encoding] * self.parts

    @property
    def units_left(self) -> int:
        """Units still free in the last part (what an editor shows as characters left)."""
        return max(self.capacity - self.units, 0)


GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return GSM7_ALL.issuperset(text)


def _unit_lengths(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _units(text: str, encoding: str) -> int:
    """The text's length in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if encoding == GSM7:
        return len(text) + sum(text.count(ch) for ch in GSM7_EXTENSION.intersection(text))
    return len(text.encode("utf-16-le")) // 2


def measure(text: str) -> SmsSize:
    """The encoding, length and part count of a text, exactly as a handset would split it."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    units = _units(text, encoding)
    if units == 0:
        return SmsSize(encoding, 0, 0)
    if units <= SINGLE[encoding]:
        return SmsSize(encoding, units, 1)
    per_part, parts, used = PER_PART[encoding], 1, 0
    if units == len(text):  # no two-unit characters: the parts are full to the last
        return SmsSize(encoding, units, -(-units // per_part))
    for length in _unit_lengths(text, encoding):  # an escape pair or surrogate pair stays within one part
        if used + length > per_part:
            parts, used = parts + 1, 0
        used += length
    return SmsSize(encoding, units, parts)


def transliterate(text: str) -> str:
    """Replace Polish letters with their plain forms (`Zażółć` -> `Zazolc`)."""
    return text.translate(POLISH_TRANSLITERATION)


def check_parts(text: str, max_parts: int) -> SmsSize:
    """Measure a text and refuse it when it needs more than `max_parts` parts."""
    size = measure(text)
    if size.parts > max_parts:
        raise SmsTooLong(
            f"SMS needs {size.parts} parts ({size.units} {size.encoding} units), at most {max_parts} allowed"
        )
    return size


def estimate_cost(text: str, recipients: int, price_per_part: Decimal) -> Decimal:
    """Cost of sending the text to a number of recipients at a price per part."""
    return (price_per_part * measure(text).parts * recipients).quantize(Decimal("0.01"))
