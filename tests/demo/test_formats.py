"""Properties of the demo format helpers: working days, amounts, identifiers."""

from __future__ import annotations

import random
from datetime import date, timedelta

import holidays
import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.pl import nip, pesel, regon

from app.core.money import parse_amount
from app.demo.formats import (
    fmt_grosze,
    format_nip,
    format_phone,
    make_mobile,
    make_nip,
    make_pesel,
    make_regon,
    next_working_day,
)

POLAND = holidays.Poland(years=range(2024, 2031))
DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31))


@given(DAYS)
def test_next_working_day_is_the_first_working_day_on_or_after(day):
    moved = next_working_day(day)
    assert moved >= day and moved.weekday() < 5 and moved not in POLAND
    between = day
    while between < moved:
        assert between.weekday() >= 5 or between in POLAND
        between += timedelta(days=1)


@given(st.integers(min_value=0, max_value=10**12))
def test_amounts_parse_back_with_the_platform_parser(grosze):
    text = fmt_grosze(grosze)
    assert parse_amount(text) * 100 == grosze
    assert "." not in text and "\u00a0" not in text


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=2**32), DAYS, st.booleans())
def test_generated_identifiers_are_valid(seed, born, female):
    rng = random.Random(seed)
    number = make_nip(rng, "848")
    assert nip.is_valid(number) and number.startswith("848")
    for style in range(3):
        assert nip.compact(format_nip(number, style)) == number
    assert regon.is_valid(make_regon(rng)) and len(make_regon(rng)) == 9
    assert regon.is_valid(make_regon(rng, "36", local_unit=True))
    born = born.replace(year=born.year - 40)
    personal = make_pesel(rng, born, female)
    assert pesel.is_valid(personal) and pesel.get_birth_date(personal) == born
    assert pesel.get_gender(personal) == ("F" if female else "M")


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=5))
def test_phones_in_every_form_are_valid_polish_mobiles(seed, style):
    text = format_phone(make_mobile(random.Random(seed)), style)
    number = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, "PL")
    assert phonenumbers.is_valid_number(number)
    assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
