"""Bank statement import: each credit is matched to a business and booked, or left for a person.

Matching, strongest first: the individual virtual account the money was paid to (identyfikacja
masowa); else what the title names (the business's NIP, its legacy id, document numbers of its
obligations), taken only when every named thing points to the same business. A matched credit is
booked through `book_payment` (so staff notices and reminder cancellation follow) and allocated to
the obligations the title names, then oldest first. A file is imported once (by its SHA-256); an
entry repeated in a later statement is recognised and not booked twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from stdnum.pl import nip as nip_number

from app.accounts.models import Contractor, Obligation, PaymentMethod, RecordStatus, Unit
from app.accounts.payments import BookingError, book_payment, oldest_first
from app.accounts.virtual_accounts import payer_of
from app.billing_view.finance_models import BankStatement, LineStatus, StatementLine
from app.billing_view.mt940_reader import MAX_FILE_BYTES, Entry, StatementFileError, read_statement
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db
from app.core.money import quantize

NIP_RE = re.compile(r"(?<!\d)(\d{3}-?\d{3}-?\d{2}-?\d{2}|\d{3}-?\d{2}-?\d{2}-?\d{3})(?!\d)")
TOKEN_STRIP = ".,;:()[]\"'"
MAX_TOKENS = 30
MAX_UPLOAD_BYTES = MAX_FILE_BYTES


#: Why a line waits for a person (stored in `StatementLine.note`; the admin translates them).
NOTE_UNIDENTIFIED = "No business could be identified from the account or the title."
NOTE_DUPLICATE = "The same entry was imported with an earlier statement."
NOTE_CURRENCY = "Not in złoty: only a person books it."


class StatementImportError(ValueError):
    """A statement file that cannot be imported at all; the message names the file and why.

    `code` (already_imported, in_progress, too_large, binary, no_tags) lets the admin say it in the user's language.
    """

    def __init__(self, message: str, code: str, **params: object) -> None:
        super().__init__(message)
        self.code, self.params = code, params


@dataclass
class Match:
    """Who an entry was matched to, how, and the obligations its title names."""

    contractor_id: int
    unit_id: int | None
    matched_by: str
    named_obligations: list[int] = field(default_factory=list)


def _tokens(title: str) -> list[str]:
    """Words of a title that may be an identifier (they hold a digit), without edge punctuation."""
    words = (w.strip(TOKEN_STRIP) for w in re.split(r"[\s,;]+", title))
    return list(dict.fromkeys(w for w in words if w and any(c.isdigit() for c in w) and len(w) <= 80))[:MAX_TOKENS]


def _nips(title: str) -> set[str]:
    """Valid NIPs written in a title, with or without dashes."""
    found = {m.replace("-", "") for m in NIP_RE.findall(title)}
    return {n for n in found if nip_number.is_valid(n)}


def _contractors_named(title: str, unit_id: int | None) -> tuple[dict[str, set[int]], dict[int, list[int]]]:
    """Contractor ids each kind of title evidence points to, and the obligations named per contractor."""
    evidence: dict[str, set[int]] = {}
    nips = _nips(title)
    if nips:
        evidence["nip"] = set(db.session.scalars(
            select(Contractor.id).where(Contractor.nip.in_(nips), Contractor.status == RecordStatus.ACTIVE)))
    tokens = _tokens(title)
    upper = [t.upper() for t in tokens]
    if tokens:
        legacy = set(db.session.scalars(select(Contractor.id).where(Contractor.legacy_id.in_(upper))))
        if legacy:
            evidence["legacy_id"] = legacy
    named: dict[int, list[int]] = {}
    if tokens:
        query = select(Obligation.id, Obligation.contractor_id).where(
            (Obligation.document_no.in_(tokens) | Obligation.legacy_id.in_(upper)),
            Obligation.status == RecordStatus.ACTIVE)
        if unit_id is not None:
            query = query.where(Obligation.unit_id == unit_id)
        for oid, cid in db.session.execute(query):
            named.setdefault(cid, []).append(oid)
        if named:
            evidence["document"] = set(named)
    return evidence, named


def candidates_for(title: str, limit: int = 10) -> list[Contractor]:
    """Businesses a title points to in any way (NIP, id, document), to suggest to a person."""
    evidence, _named = _contractors_named(title, None)
    ids = set().union(*evidence.values()) if evidence else set()
    if not ids:
        return []
    return list(db.session.scalars(select(Contractor).where(Contractor.id.in_(ids)).order_by(Contractor.name)
                                   .limit(limit)))


def match_entry(entry: Entry, virtual_units: list[Unit], statement_unit_id: int | None) -> Match | None:
    """The business an entry was paid by, or None when the evidence is missing or ambiguous."""
    for number in entry.numbers:
        found = payer_of(number, virtual_units)
        if found is not None:
            unit, contractor_id = found
            if db.session.get(Contractor, contractor_id) is not None:
                _evidence, named = _contractors_named(entry.title, unit.id)
                return Match(contractor_id, unit.id, "virtual_account", named.get(contractor_id, []))
    evidence, named = _contractors_named(entry.title, statement_unit_id)
    if not evidence:
        return None
    candidates = set.intersection(*evidence.values())
    if len(candidates) != 1:
        return None
    contractor_id = next(iter(candidates))
    strongest = next(k for k in ("document", "nip", "legacy_id") if k in evidence)
    return Match(contractor_id, statement_unit_id, strongest, named.get(contractor_id, []))


def _book(line: StatementLine, contractor_id: int, unit_id: int | None, named: list[int],
          allocate: bool = True) -> None:
    """Book a credit line as the contractor's payment: the named obligations first, then the oldest."""
    allocations = oldest_first(contractor_id, line.amount, unit_id, first=named) if allocate else {}
    payment = book_payment(contractor_id=contractor_id, amount=line.amount, paid_on=line.booked_on,
                           method=PaymentMethod.TRANSFER, source="statement", unit_id=unit_id,
                           description=(line.title or line.counterparty_name or "")[:255] or None,
                           allocations=allocations)
    line.payment_id = payment.id
    line.contractor_id = contractor_id
    line.status = LineStatus.BOOKED


def _seen_before(fingerprints: list[str]) -> set[str]:
    """Fingerprints already imported with an earlier statement."""
    seen: set[str] = set()
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start:start + 500]
        seen.update(db.session.scalars(select(StatementLine.fingerprint).where(
            StatementLine.fingerprint.in_(chunk), StatementLine.status != LineStatus.DUPLICATE)))
    return seen


@transactional
def import_statement(data: bytes, filename: str, *, imported_by: str | None = None) -> BankStatement:
    """Import an MT940 file: book what can be matched, keep the rest for a person, report bad lines."""
    filename = (filename or "statement.sta")[:255]
    digest = hashlib.sha256(data).hexdigest()
    earlier = db.session.scalar(select(BankStatement).where(BankStatement.sha256 == digest))
    if earlier is not None:
        raise StatementImportError(
            f"{filename}: this file was already imported on {earlier.imported_at:%Y-%m-%d} "
            f"(statement {earlier.statement_no or earlier.id}, file {earlier.filename}).", "already_imported",
            statement_id=earlier.id, imported_at=earlier.imported_at, earlier_name=earlier.filename)
    try:
        parsed = read_statement(data, filename)
    except StatementFileError as exc:
        raise StatementImportError(str(exc), exc.code) from exc
    units = list(db.session.scalars(select(Unit)))
    statement_unit = next((u for u in units if parsed.account and u.account_nrb == parsed.account), None)
    virtual_units = [u for u in units if u.virtual_account_prefix]
    statement = BankStatement(
        sha256=digest, filename=filename, account=parsed.account, statement_no=parsed.statement_no,
        opening_balance=parsed.opening_balance, closing_balance=parsed.closing_balance,
        unit_id=statement_unit.id if statement_unit else None, imported_by=imported_by,
        errors=parsed.errors, line_count=len(parsed.entries))
    db.session.add(statement)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same file, uploaded twice at the same moment
        raise StatementImportError(f"{filename}: the same file is being imported at this moment.",
                                   "in_progress") from exc
    fingerprints = [entry.fingerprint(parsed.account) for entry in parsed.entries]
    seen = _seen_before(fingerprints)
    for entry, fingerprint in zip(parsed.entries, fingerprints, strict=True):
        line = StatementLine(
            statement_id=statement.id, line_no=entry.line_no, booked_on=entry.booked_on,
            amount=quantize(entry.amount), currency=entry.currency[:3],
            bank_reference=(entry.bank_reference or "")[:40] or None, title=entry.title[:2000] or None,
            counterparty_name=(entry.counterparty_name or "")[:255] or None,
            counterparty_account=(entry.counterparty_account or "")[:34] or None,
            fingerprint=fingerprint, status=LineStatus.UNMATCHED)
        db.session.add(line)
        _settle(line, entry, fingerprint in seen, virtual_units, statement.unit_id)
    db.session.flush()
    _count(statement)
    audit.record("finance.statement_imported", actor_type="staff" if imported_by else "system",
                 actor_label=imported_by, target=f"statement:{statement.id}", filename=filename,
                 lines=statement.line_count, booked=statement.booked_count,
                 unmatched=statement.unmatched_count, errors=len(parsed.errors))
    return statement


def _settle(line: StatementLine, entry: Entry, duplicate: bool, virtual_units: list[Unit],
            statement_unit_id: int | None) -> None:
    """Decide one line: debit, duplicate, booked or left unmatched (with a note saying why)."""
    if not entry.credit or entry.amount <= 0:
        line.status = LineStatus.DEBIT
        return
    if duplicate:
        line.status = LineStatus.DUPLICATE
        line.note = NOTE_DUPLICATE
        return
    if entry.currency.upper() != "PLN":
        line.note = NOTE_CURRENCY
        return
    match = match_entry(entry, virtual_units, statement_unit_id)
    if match is None:
        line.note = NOTE_UNIDENTIFIED
        return
    line.matched_by = match.matched_by
    line.virtual_account = next((n for n in entry.numbers if payer_of(n, virtual_units)), None)
    try:
        _book(line, match.contractor_id, match.unit_id, match.named_obligations)
    except BookingError as exc:
        line.contractor_id = match.contractor_id
        line.note = str(exc)[:255]


def _count(statement: BankStatement) -> None:
    """Refresh a statement's booked and unmatched counts from its lines."""
    rows = db.session.execute(select(StatementLine.status).where(StatementLine.statement_id == statement.id)).all()
    statuses = [row.status for row in rows]
    statement.line_count = len(statuses)
    statement.booked_count = statuses.count(LineStatus.BOOKED)
    statement.unmatched_count = statuses.count(LineStatus.UNMATCHED)


class ResolveError(ValueError):
    """A line a person cannot resolve as asked; the message says why."""


def _claim(line_id: int, status: LineStatus, resolved_by: str | None, note: str | None = None) -> StatementLine:
    """Take an unmatched line for resolution, once: a second person gets a ResolveError."""
    claimed = db.session.execute(
        update(StatementLine).where(StatementLine.id == line_id, StatementLine.status == LineStatus.UNMATCHED)
        .values(status=status, resolved_by=resolved_by, resolved_at=utcnow(), note=note)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise ResolveError(f"Statement line {line_id} is not waiting for allocation (someone resolved it).")
    line = db.session.get(StatementLine, line_id)
    db.session.refresh(line)
    return line


@transactional
def assign_line(line_id: int, contractor_id: int, *, unit_id: int | None = None,
                resolved_by: str | None = None, allocate: bool = True) -> StatementLine:
    """A person names the business an unmatched credit came from; it is booked (oldest first)."""
    contractor = db.session.get(Contractor, contractor_id)
    if contractor is None:
        raise ResolveError(f"Business {contractor_id} does not exist.")
    line = _claim(line_id, LineStatus.BOOKED, resolved_by)
    line.matched_by = "staff"
    _evidence, named = _contractors_named(line.title or "", unit_id)
    _book(line, contractor_id, unit_id, named.get(contractor_id, []), allocate=allocate)
    _count(line.statement)
    audit.record("finance.statement_line_assigned", actor_type="staff", actor_label=resolved_by,
                 target=f"statement_line:{line.id}", contractor=contractor.legacy_id,
                 amount=str(line.amount), payment_id=line.payment_id)
    return line


@transactional
def ignore_line(line_id: int, reason: str, *, resolved_by: str | None = None) -> StatementLine:
    """A person decides an unmatched credit is not a business's payment (returned, misdirected)."""
    reason = " ".join((reason or "").split())[:255]
    if not reason:
        raise ResolveError("Say why the line is set aside.")
    line = _claim(line_id, LineStatus.IGNORED, resolved_by, reason)
    _count(line.statement)
    audit.record("finance.statement_line_ignored", actor_type="staff", actor_label=resolved_by,
                 target=f"statement_line:{line.id}", reason=reason, amount=str(line.amount))
    return line
