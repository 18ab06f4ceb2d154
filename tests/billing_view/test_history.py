"""Payment history reports: payments and what they settled, yearly summary, CSV and PDF."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pypdfium2

from app.accounts.models import Allocation
from tests.billing_view.portal_support import portal_world
from tests.factories import create_contractor, create_obligation, create_payment


def _world(client, db):
    world = portal_world(client, db, units=("Urząd Miasta Ełku", "Zarząd Mienia"),
                         consented=("Urząd Miasta Ełku",))
    business, (town, estate) = world.businesses[0], world.units
    tax = create_obligation(contractor=business, unit=town, kind="PON", description="Rata marcowa",
                            document_no="=HYPERLINK(\"http://zlo\")", due_on=date(2025, 3, 17), amount=Decimal("300.00"))
    fee = create_obligation(contractor=business, unit=town, kind="OPL", description="Opłata targowa",
                            due_on=date(2025, 5, 15), amount=Decimal("80.00"))
    payment = create_payment(contractor=business, unit=town, paid_on=date(2025, 3, 10), amount=Decimal("350.00"))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=tax.id, amount=Decimal("300.00")))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=fee.id, amount=Decimal("50.00")))
    create_payment(contractor=business, unit=town, paid_on=date(2023, 6, 1), amount=Decimal("11.00"),
                   description="Stara wpłata")
    hidden = create_obligation(contractor=business, unit=estate, kind="UW", description="Bez zgody",
                               due_on=date(2025, 3, 31), amount=Decimal("900.00"))
    secret = create_payment(contractor=business, unit=estate, paid_on=date(2025, 3, 30), amount=Decimal("900.00"))
    db.session.add(Allocation(payment_id=secret.id, obligation_id=hidden.id, amount=Decimal("900.00")))
    db.session.commit()
    world.url = f"/portal/historia/{business.id}"
    return world


def test_payments_with_what_they_settled_and_the_yearly_summary(client, db):
    world = _world(client, db)
    page = client.get(world.url + "?from=2025-01-01&to=2025-12-31&lang=en").get_data(as_text=True)
    payments = page.split('id="payments"')[1].split("</table>")[0]
    assert "10.03.2025" in payments and "350,00" in payments
    assert "Rata marcowa" in payments and "Opłata targowa" in payments
    assert "Stara wpłata" not in page and "Bez zgody" not in page and "900,00" not in page
    summary = page.split('id="summary"')[1].split("</table>")[0]
    assert "Property tax" in summary and "Other fee" in summary
    fee_row = summary.split("Other fee")[1].split("</tr>")[0]
    assert "80,00" in fee_row and "50,00" in fee_row and "30,00" in fee_row
    only_fees = client.get(world.url + "?from=2025-01-01&to=2025-12-31&kind=OPL&lang=en").get_data(as_text=True)
    assert "Property tax" not in only_fees.split('id="summary"')[1]


def test_bad_dates_are_named_and_others_ids_are_404(client, db):
    world = _world(client, db)
    response = client.get(world.url + "?from=31.02.2025&lang=en")
    assert response.status_code == 400 and "“31.02.2025” is not a valid choice" in response.get_data(as_text=True)
    stranger = create_contractor(name="Cudza Firma")
    db.session.commit()
    for suffix in ("", ".csv", ".pdf"):
        assert client.get(f"/portal/historia/{stranger.id}{suffix}").status_code == 404


def test_csv_for_polish_excel_with_formulas_neutralised(client, db):
    world = _world(client, db)
    response = client.get(world.url + ".csv?from=2025-01-01&to=2025-12-31&lang=pl")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Data wpłaty", "Kwota wpłaty", "Sposób"]
    tax = next(r for r in rows if "Rata marcowa" in r)
    assert tax[0] == "10.03.2025" and tax[1] == "350,00" and tax[-1] == "300,00"
    assert tax[6] == "'=HYPERLINK(\"http://zlo\")"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert "Bez zgody" not in raw.decode("utf-8-sig")
    assert ["Rok", "Rodzaj", "Przypisano", "Zapłacono", "Pozostało"] in rows


def test_pdf_report(client, db):
    world = _world(client, db)
    response = client.get(world.url + ".pdf?from=2025-01-01&to=2025-12-31&lang=pl")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(response.get_data())
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Historia wpłat" in text and "Piekarnia Pod Lipą" in text
    assert "Rata marcowa" in text and "Podsumowanie roczne" in text and "Bez zgody" not in text
