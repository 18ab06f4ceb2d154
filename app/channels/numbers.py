"""Which phone numbers may receive an SMS: mobile, Polish and not premium, unless allowed."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
PREMIUM = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST, PhoneNumberType.TOLL_FREE}


@dataclass(frozen=True)
class SmsNumberPolicy:
    """What the office allows beyond Polish mobile numbers (from configuration)."""

    home_region: str = "PL"
    allow_foreign: bool = False
    allow_non_mobile: bool = False


def refusal_reason(number: str, policy: SmsNumberPolicy = SmsNumberPolicy()) -> str | None:
    """Why the number may not receive an SMS (`invalid`, `premium`, `foreign`, `not-mobile`),
    or None when it may."""
    try:
        parsed = phonenumbers.parse(number, policy.home_region)
    except NumberParseException:
        return "invalid"
    if not phonenumbers.is_valid_number(parsed):
        return "invalid"
    kind = phonenumbers.number_type(parsed)
    if kind in PREMIUM:
        return "premium"
    if phonenumbers.region_code_for_number(parsed) != policy.home_region and not policy.allow_foreign:
        return "foreign"
    if kind not in MOBILE and not policy.allow_non_mobile:
        return "not-mobile"
    return None
