"""Bank statement import: credits matched by virtual account or title are booked once; the rest wait."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.balance import contractor_balance
from app.accounts.models import Payment
from app.accounts.payments import remaining_amounts
from app.accounts.virtual_accounts import virtual_account
from app.billing_view.finance_models import LineStatus, StatementLine
from app.billing_view.mt940_reader import read_statement
from app.billing_view.statement_import import (
    ResolveError,
    StatementImportError,
    assign_line,
    ignore_line,
    import_statement,
)
from app.core.audit import AuditEntry
from app.core.signals import payment_booked
from tests.billing_view.mt940_support import Line, statement
from tests.factories import create_contractor, create_obligation, create_unit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mt940"
MAIN_ACCOUNT = "59102059033982597919074833"


@pytest.fixture
def office(db):
    """A unit with mass identification, two businesses with obligations, one sharing nothing."""
    unit = create_unit(code="UM", virtual_account_prefix="102059032026", account_nrb=MAIN_ACCOUNT)
    gabinet = create_contractor(legacy_id="K000001", nip="7697251027", name="Gabinet Ewa Dąbrowski")
    hotel = create_contractor(legacy_id="K000002", nip="8090054741", name="Hotel Dąbrowski Sp. z o.o.")
    cost = create_obligation(contractor=gabinet, unit=unit, kind="KU", due_on=None, amount=Decimal("16.00"),
                             description="Koszty upomnienia")
    october = create_obligation(contractor=gabinet, unit=unit, due_on=date(2026, 10, 15), amount=Decimal("67.00"),
                                document_no="DN-1/2026/1", period="2026/10")
    november = create_obligation(contractor=gabinet, unit=unit, due_on=date(2026, 11, 16), amount=Decimal("67.00"),
                                 document_no="DN-1/2026/7", period="2026/11")
    hotel_tax = create_obligation(contractor=hotel, unit=unit, due_on=date(2026, 11, 16), amount=Decimal("500.00"),
                                  document_no="DN-1/2026/9")
    db.session.commit()
    return {"unit": unit, "gabinet": gabinet, "hotel": hotel, "cost": cost, "october": october,
            "november": november, "hotel_tax": hotel_tax}


def _import(text: str, name: str = "wyciag.sta", encoding: str = "cp1250"):
    return import_statement(text.encode(encoding), name, imported_by="finanse@um.elk.pl")


def _lines(statement_id: int) -> list[StatementLine]:
    from app.core.extensions import db

    return list(db.session.scalars(select(StatementLine).where(StatementLine.statement_id == statement_id)
                                   .order_by(StatementLine.line_no)))


def test_a_credit_to_a_virtual_account_is_booked_to_that_business_oldest_first(db, office):
    account = virtual_account(office["unit"], office["gabinet"].id)
    heard = []
    with payment_booked.connected_to(lambda _s, payment_id: heard.append(payment_id)):
        imported = _import(statement([Line("100.00", "Wpłata", account=account, name="EWA DĄBROWSKA")]))
    line = _lines(imported.id)[0]
    assert (line.status, line.matched_by, line.contractor_id) == (LineStatus.BOOKED, "virtual_account",
                                                                  office["gabinet"].id)
    payment = db.session.get(Payment, line.payment_id)
    assert (payment.amount, payment.paid_on, payment.source, payment.method, payment.unit_id) == (
        Decimal("100.00"), date(2026, 11, 20), "statement", "P", office["unit"].id)
    # the reminder cost first, then the oldest due date
    assert {a.obligation_id: a.amount for a in payment.allocations} == {
        office["cost"].id: Decimal("16.00"), office["october"].id: Decimal("67.00"),
        office["november"].id: Decimal("17.00")}
    assert heard == [payment.id]  # staff notices and reminder cancellation follow the booking
    assert (imported.line_count, imported.booked_count, imported.unmatched_count) == (1, 1, 0)
    assert imported.unit_id == office["unit"].id and imported.account == MAIN_ACCOUNT


def test_a_title_naming_nip_and_document_pays_the_named_obligation_first(db, office):
    imported = _import(statement([Line("67.00", "PON DN-1/2026/7 2026/11, NIP 769-725-10-27")]))
    line = _lines(imported.id)[0]
    assert (line.status, line.matched_by) == (LineStatus.BOOKED, "document")
    payment = db.session.get(Payment, line.payment_id)
    assert {a.obligation_id: a.amount for a in payment.allocations} == {office["november"].id: Decimal("67.00")}


def test_a_title_with_only_a_legacy_id_is_matched_and_an_overpayment_stays_unallocated(db, office):
    imported = _import(statement([Line("600.00", "Wpłata na poczet należności K000002")]))
    line = _lines(imported.id)[0]
    assert (line.status, line.matched_by, line.contractor_id) == (LineStatus.BOOKED, "legacy_id", office["hotel"].id)
    payment = db.session.get(Payment, line.payment_id)
    assert sum(a.amount for a in payment.allocations) == Decimal("500.00")
    assert contractor_balance(office["hotel"].id) == Decimal("-100.00")  # an overpayment of 100 zł


def test_contradicting_or_missing_evidence_leaves_the_line_for_a_person(db, office):
    imported = _import(statement([
        Line("10.00", "NIP 7697251027 K000002"),  # one business's NIP, the other's id
        Line("500.00", "darowizna na schronisko"),  # nothing to go by
        Line("20.00", "K000001", currency_mark=""),
        Line("150.00", "Opłata za prowadzenie rachunku", mark="D"),
    ]))
    statuses = [(line.status, line.payment_id is None) for line in _lines(imported.id)]
    assert statuses == [(LineStatus.UNMATCHED, True), (LineStatus.UNMATCHED, True), (LineStatus.BOOKED, False),
                        (LineStatus.DEBIT, True)]
    assert (imported.line_count, imported.booked_count, imported.unmatched_count) == (4, 1, 2)
    assert "No business could be identified" in _lines(imported.id)[0].note


def test_the_same_file_twice_is_refused_and_a_repeated_entry_is_not_booked_again(db, office):
    text = statement([Line("67.00", "PON DN-1/2026/1 NIP 7697251027", bank_reference="REF0001")])
    first = _import(text)
    with pytest.raises(StatementImportError, match=r"wyciag\.sta: this file was already imported"):
        _import(text)
    # the next day's statement repeats the entry (a bank's correction run): recognised, not booked
    repeated = statement([Line("67.00", "PON DN-1/2026/1 NIP 7697251027", bank_reference="REF0001"),
                          Line("5.00", "K000001", bank_reference="REF0002")], number="00232/001")
    second = _import(repeated, "wyciag-2.sta")
    assert [line.status for line in _lines(second.id)] == [LineStatus.DUPLICATE, LineStatus.BOOKED]
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 2
    assert _lines(first.id)[0].status == LineStatus.BOOKED


def test_a_damaged_entry_is_reported_with_its_line_and_the_rest_is_booked(db, office):
    text = statement([Line("67.00", "K000001"), Line("12.00", "K000002")])
    damaged = text.replace(":61:2611201120C12,00", ":61:26113X1120C12,00")
    imported = _import(damaged)
    assert [line.status for line in _lines(imported.id)] == [LineStatus.BOOKED]
    assert len(imported.errors) == 1
    error = imported.errors[0]
    assert error["line"] == 8 and error["field"] == ":61:" and "26113X1120C12,00" in error["value"]


def test_a_file_that_is_not_a_statement_is_refused_with_its_name(db, office):
    with pytest.raises(StatementImportError, match=r"lista\.csv: no MT940 tags"):
        import_statement(b"ID;KWOTA\n1;2,00\n", "lista.csv")
    with pytest.raises(StatementImportError, match="binary file"):
        import_statement(b"PK\x03\x04\x00\x00", "wyciag.zip")


def test_polish_letters_survive_windows_1250_and_utf8(db, office):
    for encoding, name in (("cp1250", "a.sta"), ("utf-8", "b.sta")):
        imported = _import(statement([Line("1.00", "Opłata targowa źdźbło", name="ŻÓŁTA ŁÓDŹ")], number=name),
                           name, encoding)
        line = _lines(imported.id)[0]
        assert line.title == "Opłata targowa źdźbło" and line.counterparty_name == "ŻÓŁTA ŁÓDŹ"


def test_a_person_assigns_an_unmatched_line_once_or_sets_it_aside_with_a_reason(db, office):
    imported = _import(statement([Line("67.00", "za podatek"), Line("9.99", "zwrot")]))
    waiting, other = _lines(imported.id)
    line = assign_line(waiting.id, office["gabinet"].id, unit_id=office["unit"].id, resolved_by="finanse@um.elk.pl")
    assert (line.status, line.matched_by, line.resolved_by) == (LineStatus.BOOKED, "staff", "finanse@um.elk.pl")
    assert remaining_amounts([office["cost"].id]) == {office["cost"].id: Decimal("0.00")}
    with pytest.raises(ResolveError, match="not waiting for allocation"):
        assign_line(waiting.id, office["hotel"].id, resolved_by="ktos@um.elk.pl")
    with pytest.raises(ResolveError, match="Say why"):
        ignore_line(other.id, "   ", resolved_by="finanse@um.elk.pl")
    ignored = ignore_line(other.id, "Zwrot do nadawcy", resolved_by="finanse@um.elk.pl")
    assert ignored.status == LineStatus.IGNORED and ignored.note == "Zwrot do nadawcy"
    db.session.refresh(imported)
    assert (imported.booked_count, imported.unmatched_count) == (1, 0)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"finance.statement_imported", "finance.statement_line_assigned",
            "finance.statement_line_ignored"} <= actions


def test_the_bank_fixture_is_read_with_its_polish_fields():
    parsed = read_statement((FIXTURES / "pko-2026-11-20.sta").read_bytes(), "pko-2026-11-20.sta")
    assert parsed.account == MAIN_ACCOUNT and parsed.statement_no == "00231"
    assert (parsed.opening_balance, parsed.closing_balance) == (Decimal("12500.00"), Decimal("13647.00"))
    first = parsed.entries[0]
    assert first.title == "PON DN-1/2026/1 2026/11 NIP 769-725-10-27"
    assert first.counterparty_name == "GABINET EWA DĄBROWSKI UL. PRZEMYSŁOWA 70 ELK"
    assert first.counterparty_account == "12102059030000123456789012"
    assert [e.amount for e in parsed.entries] == [Decimal("1230.00"), Decimal("67.00"), Decimal("-150.00"),
                                                  Decimal("500.00")]
    assert parsed.errors == []


def test_the_same_file_uploaded_twice_at_once_is_imported_once(app, db, office):
    import threading

    from app.billing_view.finance_models import BankStatement

    data = statement([Line("67.00", "K000001")]).encode("cp1250")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def upload() -> None:
        with app.app_context():
            start.wait()
            try:
                import_statement(data, "wyciag.sta", imported_by="finanse@um.elk.pl")
                outcomes.append("imported")
            except StatementImportError as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) in (["already_imported", "imported"], ["imported", "in_progress"])
    assert db.session.scalar(select(func.count()).select_from(BankStatement)) == 1
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
