"""What a business chose to pay: its obligations grouped by unit with what is still owed, or an amount.

Every id comes from the query string or a form, so every one is checked: an obligation that is not
the business's, not active, or of a unit the user has not consented to answers 404, as a foreign
contractor id does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import abort
from sqlalchemy import select

from app.accounts.models import Contractor, Obligation, RecordStatus, Unit
from app.accounts.payments import remaining_amounts
from app.accounts.virtual_accounts import virtual_account
from app.billing_view.transfer_form import QR_TITLE_MAX, TITLE_MAX, transfer_title
from app.core.extensions import db
from app.core.money import parse_amount

MAX_CHOSEN = 200
MAX_AMOUNT = Decimal("9999999.99")


@dataclass
class ChosenRow:
    """One chosen obligation and what is still owed on it."""

    obligation: Obligation
    remaining: Decimal


@dataclass
class UnitPayment:
    """One payment to one unit: its chosen obligations (none for an amount) and the total."""

    unit: Unit
    amount: Decimal
    rows: list[ChosenRow] = field(default_factory=list)

    @property
    def obligation_ids(self) -> list[int]:
        """Ids of the obligations this payment settles."""
        return [row.obligation.id for row in self.rows]

    @property
    def shares(self) -> dict[int, Decimal]:
        """What goes to each obligation: all that is still owed on it."""
        return {row.obligation.id: row.remaining for row in self.rows}


def parse_ids(values: list[str]) -> list[int]:
    """Obligation ids from the request, without repeats; 404 for one that is not a number."""
    ids: list[int] = []
    for value in values:
        if not value.isdigit() or len(value) > 12:
            abort(404)
        if int(value) not in ids:
            ids.append(int(value))
    if len(ids) > MAX_CHOSEN:
        abort(400, f"At most {MAX_CHOSEN} obligations can be paid at once.")
    return ids


def parse_id(value: str | None) -> int:
    """A required id from the request; 404 when missing or not a number."""
    if not value or not value.isdigit() or len(value) > 12:
        abort(404)
    return int(value)


def chosen_obligations(contractor_id: int, ids: list[int], unit_ids: set[int]) -> list[Obligation]:
    """The business's active obligations of these ids in consented units; 404 if any is not."""
    if not ids:
        return []
    found = list(db.session.scalars(select(Obligation).where(Obligation.id.in_(ids))
                                    .order_by(Obligation.unit_id, Obligation.due_on, Obligation.id)))
    if len(found) != len(ids) or any(o.contractor_id != contractor_id or o.unit_id not in unit_ids
                                     or o.status != RecordStatus.ACTIVE for o in found):
        abort(404)
    return found


def by_unit(obligations: list[Obligation]) -> tuple[list[UnitPayment], list[Obligation]]:
    """One payment per unit of the obligations still owed, and the ones already paid in full."""
    remaining = remaining_amounts([o.id for o in obligations])
    parts: dict[int, UnitPayment] = {}
    paid: list[Obligation] = []
    for obligation in obligations:
        owed = remaining.get(obligation.id, Decimal("0.00"))
        if owed <= 0:
            paid.append(obligation)
            continue
        part = parts.setdefault(obligation.unit_id, UnitPayment(unit=obligation.unit, amount=Decimal("0.00")))
        part.rows.append(ChosenRow(obligation, owed))
        part.amount += owed
    return sorted(parts.values(), key=lambda p: (p.unit.name, p.unit.id)), paid


def read_amount(text: str | None) -> tuple[Decimal | None, str | None]:
    """An amount typed by the payer and the error message key when it is not a good one."""
    if not text or not text.strip():
        return None, "missing"
    try:
        amount = parse_amount(text.replace(".", ",") if text.count(".") == 1 and "," not in text else text)
    except ValueError:
        return None, "malformed"
    if amount <= 0:
        return None, "not_positive"
    if amount > MAX_AMOUNT:
        return None, "too_large"
    return amount, None


def obligation_label(obligation: Obligation) -> str:
    """How an obligation is named in a transfer title: kind, document number, period."""
    parts = [obligation.kind, obligation.document_no, obligation.period]
    label = " ".join(p for p in parts if p)
    return label if (obligation.document_no or obligation.period) else f"{label} {obligation.description}"


def payment_titles(contractor: Contractor, obligations: list[Obligation]) -> tuple[str, str]:
    """The transfer title (two rows of the form) and its short form for the QR code."""
    if obligations:
        labels = [obligation_label(o) for o in obligations]
        return transfer_title(labels, TITLE_MAX), transfer_title(labels, QR_TITLE_MAX)
    who = f"NIP {contractor.nip}" if contractor.nip else contractor.legacy_id
    return f"Wpłata na poczet należności, {who}", f"Wpłata, {who}"


def recipient_account(unit: Unit, contractor_id: int) -> str | None:
    """The account the business pays the unit to: its own virtual account when the unit has them."""
    return virtual_account(unit, contractor_id) or unit.account_nrb
