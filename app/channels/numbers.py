"""Which phone numbers may receive an SMS: mobile, Polish and not premium, unless allowed."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.contacts import MOBILE, number_class


@dataclass(frozen=True)
class SmsNumberPolicy:
    """What the office allows beyond Polish mobile numbers (from configuration)."""

    home_region: str = "PL"
    allow_foreign: bool = False
    allow_non_mobile: bool = False

    def allows(self, klass: str | None) -> bool:
        """True when a number of this `number_class` may be texted."""
        if klass == "foreign":
            return self.allow_foreign
        if klass == "not-mobile":
            return self.allow_non_mobile
        return klass == MOBILE

    def allowed_classes(self) -> list[str]:
        """The `number_class` values this policy texts (for SQL filters)."""
        return [k for k in (MOBILE, "foreign", "not-mobile") if self.allows(k)]


def refusal_reason(number: str, policy: SmsNumberPolicy = SmsNumberPolicy()) -> str | None:
    """Why the number may not receive an SMS (`invalid`, `premium`, `foreign`, `not-mobile`),
    or None when it may."""
    klass = number_class(number, home_region=policy.home_region)
    return None if policy.allows(klass) else klass
