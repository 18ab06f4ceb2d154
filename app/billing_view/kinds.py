"""Names of obligation kinds and payment methods as the portal shows them."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.accounts.models import ObligationKind, PaymentMethod

KIND_NAMES = {
    ObligationKind.PROPERTY_TAX: _l("Property tax"),
    ObligationKind.TRANSPORT_TAX: _l("Transport vehicle tax"),
    ObligationKind.ALCOHOL_LICENCE: _l("Alcohol licence fee"),
    ObligationKind.PERPETUAL_USUFRUCT: _l("Perpetual usufruct fee"),
    ObligationKind.LEASE_RENT: _l("Lease rent"),
    ObligationKind.REMINDER_COST: _l("Formal reminder cost"),
    ObligationKind.INTEREST: _l("Late interest"),
    ObligationKind.OTHER_FEE: _l("Other fee"),
}

METHOD_NAMES = {
    PaymentMethod.TRANSFER: _l("Bank transfer"),
    PaymentMethod.CASH: _l("Cash"),
    PaymentMethod.ONLINE: _l("Online payment"),
}


def kind_name(kind: str) -> str:
    """The kind's name in the current language (the code itself for an unknown kind)."""
    name = KIND_NAMES.get(kind)
    return str(name) if name is not None else kind


def method_name(method: str) -> str:
    """The payment method's name in the current language."""
    name = METHOD_NAMES.get(method)
    return str(name) if name is not None else method


def kind_namer() -> Callable[[str], str]:
    """`kind_name` for a page that names many rows: the kinds translated once per language."""
    return _namer(str(get_locale()))


@cache
def _namer(locale: str) -> Callable[[str], str]:
    names = {kind: str(name) for kind, name in KIND_NAMES.items()}
    return lambda kind: names.get(kind, kind)
