"""SMS encoding and part counting agree with a plain reference count on any text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.channels.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsTooLong,
    check_parts,
    estimate_cost,
    measure,
    transliterate,
)

POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
gsm_basic = st.text(alphabet=sorted(GSM7_BASIC), max_size=700)
gsm_any = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
polish = st.text(alphabet=sorted(GSM7_BASIC) + list(POLISH) + ["😀"], max_size=400)


def reference_parts(text: str) -> tuple[str, int]:
    """Split the text the long way: encode, then cut it into parts without splitting a pair."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        encoding, single, per_part = "GSM-7", 160, 153
        units = [("\x1b" + ch) if ch in GSM7_EXTENSION else ch for ch in text]
    else:
        encoding, single, per_part = "UCS-2", 70, 67
        units = [ch.encode("utf-16-be") for ch in text]
        units = [u.decode("latin-1") for u in units]  # 2 or 4 bytes per character
    sizes = [len(u) if encoding == "GSM-7" else len(u) // 2 for u in units]
    if sum(sizes) == 0:
        return encoding, 0
    if sum(sizes) <= single:
        return encoding, 1
    parts, current = [], 0
    for size in sizes:
        if current + size > per_part:
            parts.append(current)
            current = 0
        current += size
    parts.append(current)
    return encoding, len(parts)


@given(gsm_basic)
def test_plain_gsm_text(text):
    size = measure(text)
    assert (size.encoding, size.parts) == reference_parts(text)
    assert size.units == len(text)


@given(gsm_any)
def test_extension_characters_count_double_and_stay_whole(text):
    size = measure(text)
    assert (size.encoding, size.parts) == reference_parts(text)
    assert size.units == len(text) + sum(ch in GSM7_EXTENSION for ch in text)


@given(polish)
def test_polish_text_is_ucs2_unless_transliterated(text):
    size = measure(text)
    assert (size.encoding, size.parts) == reference_parts(text)
    if any(ch in POLISH for ch in text) and "😀" not in text:
        assert measure(transliterate(text)).encoding == "GSM-7"


@pytest.mark.parametrize(("text", "encoding", "parts"), [
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 3),  # 306 units, but the escape pair is not split
    ("ł" * 70, "UCS-2", 1),
    ("ł" * 71, "UCS-2", 2),
    ("ł" * 134, "UCS-2", 2),
    ("ł" * 135, "UCS-2", 3),
    ("", "GSM-7", 0),
])
def test_boundaries(text, encoding, parts):
    size = measure(text)
    assert (size.encoding, size.parts) == (encoding, parts)


def test_transliteration_covers_every_polish_letter_including_l_with_stroke():
    assert transliterate("Zażółć gęślą jaźń. ŁÓDŹ") == "Zazolc gesla jazn. LODZ"


def test_too_many_parts_is_refused_with_the_count():
    with pytest.raises(SmsTooLong, match="needs 3 parts"):
        check_parts("ą" * 135, max_parts=2)
    assert check_parts("ą" * 134, max_parts=2).parts == 2


def test_cost_is_parts_times_recipients_times_price():
    assert estimate_cost("ą" * 71, 1000, Decimal("0.16")) == Decimal("320.00")
    assert measure("Termin płatności").units_left == 70 - 16
