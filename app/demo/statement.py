"""A demo bank statement of the town hall, imported so finance staff find entries booked and waiting."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.accounts.models import Contractor, Obligation, RecordStatus, Unit
from app.accounts.payments import remaining_amounts
from app.accounts.virtual_accounts import virtual_account
from app.billing_view.finance_models import BankStatement
from app.billing_view.statement_import import import_statement
from app.core.clock import today_warsaw
from app.core.extensions import db

SENDER_ACCOUNT = "61114020040000987654321000"


def _entry(day: date, amount: Decimal, mark: str, index: int, title: str, name: str, account: str) -> list[str]:
    """A `:61:` line and its `:86:` with the title cut into `~20`–`~25` as banks do."""
    chunks = [title[i:i + 27] for i in range(0, len(title), 27)][:6]
    details = ("020~00VE02" + "".join(f"~2{n}{chunk}" for n, chunk in enumerate(chunks))
               + f"~30{account[2:10]}~31{account[10:]}~32{name[:27]}~38PL{account}")
    lines = [f":61:{day:%y%m%d%m%d}{mark}{str(amount).replace('.', ',')}NTRFNONREF//DEMO{day:%y%m%d}{index:04d}",
             ":86:" + details[:65]]
    lines.extend(details[i:i + 65] for i in range(65, len(details), 65))
    return lines


def demo_statement_text(unit: Unit, payers: list[tuple[Contractor, Obligation, Decimal]], day: date) -> str:
    """The statement: payers by virtual account and by title, a stranger's gift and the bank's fee."""
    out = [":20:MT940", f":25:/PL{unit.account_nrb}", f":28C:{day:%j}/001", f":60F:C{day:%y%m%d}PLN250000,00"]
    entries: list[tuple[Decimal, str, str, str, str]] = []
    for index, (contractor, obligation, amount) in enumerate(payers):
        by_account = index % 2 == 0 and virtual_account(unit, contractor.id)
        title = f"{obligation.kind} {obligation.document_no or ''} {obligation.period or ''}".strip()
        if not by_account:
            title += f" NIP {contractor.nip}" if contractor.nip else f" {contractor.legacy_id}"
        entries.append((amount, "C", title, contractor.name.upper(), by_account or SENDER_ACCOUNT))
    entries.append((Decimal("250.00"), "C", "Darowizna na festyn miejski", "JAN KOWALSKI", SENDER_ACCOUNT))
    entries.append((Decimal("35.00"), "D", "Opłata za prowadzenie rachunku", "BANK", SENDER_ACCOUNT))
    balance = Decimal("250000.00")
    for index, (amount, mark, title, name, account) in enumerate(entries, start=1):
        out.extend(_entry(day, amount, mark, index, title, name, account))
        balance += amount if mark == "C" else -amount
    out += [f":62F:C{day:%y%m%d}PLN{str(balance).replace('.', ',')}", "-"]
    return "\r\n".join(out) + "\r\n"


def ensure_demo_statement() -> BankStatement | None:
    """Import the demo statement once; None when one exists or the town hall has no account."""
    if db.session.scalar(select(func.count()).select_from(BankStatement)):
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == "UM"))
    if unit is None or not unit.account_nrb:
        return None
    rows = db.session.execute(
        select(Obligation, Contractor).join(Contractor, Contractor.id == Obligation.contractor_id)
        .where(Obligation.unit_id == unit.id, Obligation.status == RecordStatus.ACTIVE,
               Obligation.due_on.is_not(None), Contractor.nip.is_not(None))
        .order_by(Obligation.due_on.desc(), Obligation.id).limit(40)).all()
    remaining = remaining_amounts([obligation.id for obligation, _c in rows])
    payers, seen = [], set()
    for obligation, contractor in rows:
        owed = remaining.get(obligation.id, Decimal("0.00"))
        if owed > 0 and contractor.id not in seen:
            payers.append((contractor, obligation, owed))
            seen.add(contractor.id)
        if len(payers) == 4:
            break
    day = today_warsaw() - timedelta(days=1)
    text = demo_statement_text(unit, payers, day)
    return import_statement(text.encode("utf-8"), f"wyciag-{day:%Y%m%d}.sta", imported_by="demo")
