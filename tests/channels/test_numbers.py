"""SMS goes to Polish mobile numbers only, unless the office allows more."""

import pytest

from app.channels.numbers import SmsNumberPolicy, refusal_reason


@pytest.mark.parametrize(("number", "reason"), [
    ("+48600100200", None),        # mobile
    ("+48876543210", "not-mobile"),  # landline in Ełk (87)
    ("+48700123456", "premium"),
    ("+48800123456", "premium"),   # toll free
    ("+4915123456789", "foreign"),  # German mobile
    ("+48123", "invalid"),
    ("not a number", "invalid"),
])
def test_default_policy(number, reason):
    assert refusal_reason(number) == reason


def test_office_may_allow_foreign_and_landline_numbers_but_never_premium():
    policy = SmsNumberPolicy(allow_foreign=True, allow_non_mobile=True)
    assert refusal_reason("+4915123456789", policy) is None
    assert refusal_reason("+48876543210", policy) is None
    assert refusal_reason("+48700123456", policy) == "premium"
