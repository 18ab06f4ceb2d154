"""Finance staff in the admin: payments, statement upload and allocation, FK export and its files."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.models import Payment
from app.accounts.payments import book_payment
from app.billing_view.finance_models import FkExportBatch, LineStatus, StatementLine
from tests.admin_support import csrf_from, signed_in
from tests.billing_view.mt940_support import Line, statement
from tests.factories import create_contractor, create_obligation, create_unit


@pytest.fixture
def office(db):
    unit = create_unit(code="UM", virtual_account_prefix="102059032026", account_nrb="59102059033982597919074833")
    gabinet = create_contractor(legacy_id="K000001", nip="7697251027", name="Gabinet Ewa Dąbrowski")
    tax = create_obligation(contractor=gabinet, unit=unit, due_on=date(2026, 11, 16), amount=Decimal("67.00"),
                            document_no="DN-1/2026/7", legacy_id="N7")
    db.session.commit()
    return {"unit": unit, "gabinet": gabinet, "tax": tax}


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _upload(client, text: str, name: str = "wyciag.sta"):
    token = csrf_from(_page(client, "/admin/bank_statements/"))
    return client.post("/admin/bank_statements/upload/", data={
        "csrf_token": token, "statement": (io.BytesIO(text.encode("cp1250")), name)},
        content_type="multipart/form-data", follow_redirects=True)


@pytest.mark.parametrize("role, allowed", [("finance", True), ("admin", True), ("communicator", False),
                                           ("approver", False), ("inbox", False)])
def test_only_finance_staff_and_admins_open_the_finance_pages(client, db, role, allowed):
    signed_in(client, db, role)
    for url in ("/admin/finance_payments/", "/admin/bank_statements/", "/admin/statement_lines/",
                "/admin/fk_export/"):
        assert client.get(url).status_code == (200 if allowed else 403), url


def test_a_statement_is_uploaded_and_an_unmatched_entry_is_allocated_by_a_person(client, db, office):
    signed_in(client, db, "finance")
    _page(client, "/admin/?lang=en")
    response = _upload(client, statement([Line("67.00", "PON DN-1/2026/7 NIP 769-725-10-27"),
                                          Line("40.00", "za podatek", name="EWA DABROWSKA")]))
    html = response.get_data(as_text=True)
    assert "wyciag.sta: 2 entries, 1 booked, 1 to allocate, 0 unreadable." in html
    assert "document number in the title" in html and "Waiting for allocation" in html

    start = _page(client, "/admin/")
    assert "Bank statement entries to allocate" in start
    waiting = re.search(r'href="([^"]*statement_lines/[?]flt[^"]*)"', start).group(1).replace("&amp;", "&")
    listing = _page(client, waiting)
    assert "za podatek" in listing and "PON DN-1/2026/7" not in listing  # only those waiting

    line = db.session.scalar(select(StatementLine).where(StatementLine.status == LineStatus.UNMATCHED))
    form = _page(client, f"/admin/statement_lines/resolve/{line.id}")
    assert "EWA DABROWSKA" in form and "40,00" in form
    wrong = client.post(f"/admin/statement_lines/resolve/{line.id}", data={
        "assign-csrf_token": csrf_from(form), "assign-business": "K999999", "assign-unit": "",
        "assign-allocate": "y"}, follow_redirects=True)
    assert "No business with id or NIP K999999." in wrong.get_data(as_text=True)
    done = client.post(f"/admin/statement_lines/resolve/{line.id}", data={
        "assign-csrf_token": csrf_from(form), "assign-business": "769-725-10-27", "assign-unit": "",
        "assign-allocate": "y"}, follow_redirects=True)
    assert "booked as a payment of Gabinet Ewa Dąbrowski" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(StatementLine, line.id).status == LineStatus.BOOKED
    payments = db.session.scalars(select(Payment).where(Payment.contractor_id == office["gabinet"].id)).all()
    assert sorted(p.amount for p in payments) == [Decimal("40.00"), Decimal("67.00")]

    again = _upload(client, statement([Line("67.00", "PON DN-1/2026/7 NIP 769-725-10-27"),
                                       Line("40.00", "za podatek", name="EWA DABROWSKA")]))
    assert "was already imported on" in again.get_data(as_text=True)


def test_a_damaged_file_shows_the_unreadable_line_and_keeps_the_good_entries(client, db, office):
    signed_in(client, db, "finance")
    _page(client, "/admin/?lang=en")
    text = statement([Line("67.00", "K000001"), Line("12.00", "K000001")]).replace(":61:2611201120C12,00",
                                                                                  ":61:2611201120X12,00")
    html = _upload(client, text).get_data(as_text=True)
    assert "1 booked" in html and "1 unreadable" in html
    assert "Lines that could not be read" in html and "2611201120X12,00" in html


def test_finance_exports_waiting_payments_and_downloads_the_batch_again(client, db, office):
    book_payment(contractor_id=office["gabinet"].id, amount=Decimal("67.00"), paid_on=date(2026, 11, 20),
                 method="O", source="online", allocations={office["tax"].id: Decimal("67.00")})
    db.session.commit()
    signed_in(client, db, "finance")
    listing = _page(client, "/admin/fk_export/?lang=en")
    assert "1 payment waits for export, 67,00\u00a0zł in total." in listing
    exported = client.post("/admin/fk_export/export/", data={"csrf_token": csrf_from(listing)},
                           follow_redirects=True)
    html = exported.get_data(as_text=True)
    batch = db.session.scalar(select(FkExportBatch))
    assert f"Batch {batch.number}: 1 payments" in html and "Gabinet Ewa Dąbrowski" in html
    first = client.get(f"/admin/fk_export/download/{batch.id}.csv")
    second = client.get(f"/admin/fk_export/download/{batch.id}.csv")
    assert first.data == second.data and b";N7;PON;DN-1/2026/7;" in first.data
    assert f'filename="{batch.number.replace("/", "-")}.csv"' in first.headers["Content-Disposition"]
    xml = client.get(f"/admin/fk_export/download/{batch.id}.xml")
    assert xml.mimetype == "application/xml" and b'amount="67.00"' in xml.data
    assert "Every payment received has been exported." in _page(client, "/admin/fk_export/")
    db.session.refresh(batch)
    assert batch.download_count == 3
    payments = _page(client, "/admin/finance_payments/")
    assert batch.number in payments  # the payment links to its batch


def test_the_finance_pages_speak_polish(client, db, office):
    signed_in(client, db, "finance")
    _page(client, "/admin/?lang=pl")
    html = _page(client, "/admin/bank_statements/")
    assert "Zaimportuj wyciąg bankowy" in html
    assert "Eksport do systemu księgowego" in _page(client, "/admin/fk_export/")
