"""Finance staff, in Polish: import a bank statement, allocate what was not matched, export to FK."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.billing_view.mt940_support import Line, statement
from tests.factories import create_contractor, create_obligation, create_staff_user, create_unit


@pytest.mark.browser
def test_finance_journey(live_server, browser_page, screenshot, db, tmp_path):
    user = create_staff_user(name="Małgorzata Zielińska", roles=("finance",))
    unit = create_unit(code="UM", name="Urząd Miasta Ełku", account_nrb="59102059033982597919074833")
    gabinet = create_contractor(legacy_id="K000001", nip="7697251027", name="Gabinet Ewa Dąbrowski")
    create_obligation(contractor=gabinet, unit=unit, due_on=date(2026, 11, 16), amount=Decimal("67.00"),
                      document_no="DN-1/2026/7")
    create_obligation(contractor=gabinet, unit=unit, due_on=date(2026, 12, 15), amount=Decimal("67.00"),
                      document_no="DN-1/2026/8")
    db.session.commit()
    file = tmp_path / "wyciag-20261120.sta"
    file.write_bytes(statement([Line("67.00", "PON DN-1/2026/7 NIP 769-725-10-27"),
                                Line("67.00", "podatek grudzień", name="EWA DĄBROWSKA")]).encode("cp1250"))
    page = browser_page

    page.goto(f"{live_server}/admin/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Hasło").fill("haslo-testowe-1")
    page.get_by_role("button", name="Zaloguj się").click()
    page.get_by_role("heading", name="Witaj, Małgorzata Zielińska").wait_for()

    page.goto(f"{live_server}/admin/bank_statements/")
    page.get_by_label("Wyciąg (MT940)").set_input_files(str(file))
    page.get_by_role("button", name="Importuj").click()
    page.get_by_role("heading", name="Wyciąg 00231").wait_for()
    assert "operacji 2, zaksięgowanych 1, do przypisania 1, nieczytelnych 0" in page.content()
    screenshot("finance-01-statement")

    page.goto(f"{live_server}/admin/")
    page.get_by_role("link", name="1", exact=True).first.click()  # entries waiting, from the start page
    page.get_by_role("link", name="Przypisz").click()
    page.get_by_role("heading", name="Przypisz wpłatę z wyciągu bankowego").wait_for()
    page.get_by_label("Kontrahent (identyfikator lub NIP)").fill("769-725-10-27")
    screenshot("finance-02-allocate")
    page.get_by_role("button", name="Zaksięguj wpłatę").click()
    assert "67,00\u00a0zł zaksięgowano jako wpłatę kontrahenta Gabinet Ewa Dąbrowski." in page.locator("body").inner_text()

    page.goto(f"{live_server}/admin/fk_export/")
    assert "Na eksport czekają 2 wpłaty, razem 134,00\u00a0zł." in page.locator("body").inner_text()
    page.get_by_role("button", name="Wyeksportuj je jako nową paczkę").click()
    page.get_by_role("link", name="Pobierz CSV").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz CSV").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert content.count("Gabinet Ewa Dąbrowski") == 2 and ";DN-1/2026/8;" in content
    screenshot("finance-03-batch")
