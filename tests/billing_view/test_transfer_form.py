"""The transfer form PDF: two copies, the ZBP QR code read back from the rendered page, amounts in words."""

from __future__ import annotations

from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyzbar.pyzbar import decode

from app.accounts.virtual_accounts import virtual_account
from app.billing_view.transfer_form import (
    TransferForm,
    amount_in_words,
    box_lines,
    transfer_form_pdf,
    transfer_title,
    zbp_qr_text,
)
from tests.billing_view.portal_support import portal_world
from tests.factories import create_contractor, create_obligation, create_unit

ACCOUNT = "59102059033982597919074833"


def _page(pdf: bytes):
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=3).to_pil()
    return text, sorted({code.data.decode("utf-8") for code in decode(image)})


@pytest.mark.parametrize(("amount", "words"), [
    ("1", "jeden złoty 00/100"),
    ("2", "dwa złote 00/100"),
    ("5", "pięć złotych 00/100"),
    ("12", "dwanaście złotych 00/100"),
    ("22", "dwadzieścia dwa złote 00/100"),
    ("1000000", "milion złotych 00/100"),
    ("123.45", "sto dwadzieścia trzy złote 45/100"),
    ("0.07", "zero złotych 07/100"),
    ("1234.5", "tysiąc dwieście trzydzieści cztery złote 50/100"),
])
def test_amount_in_polish_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_zbp_string_fields_lengths_and_separators():
    text = zbp_qr_text(nip="848-100-01-23", account="PL 59 1020 5903 3982 5979 1907 4833", amount=Decimal("123.45"),
                       name="Urząd Miasta Ełku | Wydział Podatków", title="PON DW/12/2025 2025/03, UW 2025, ALK 2026")
    assert text == f"8481000123|PL|{ACCOUNT}|012345|Urząd Miasta Ełku|PON DW/12/2025 2025/03, UW 2025|||"
    # No amount, or one of more than six digits in grosze: the payer's bank asks for it.
    assert zbp_qr_text(nip=None, account=ACCOUNT, amount=None, name="U", title="T") == f"|PL|{ACCOUNT}||U|T|||"
    assert zbp_qr_text(nip="8481000123", account=ACCOUNT, amount=Decimal("10000.00"), name="U",
                       title="T").split("|")[3] == ""
    assert zbp_qr_text(nip="8481000123", account=ACCOUNT, amount=Decimal("9999.99"), name="U",
                       title="T").split("|")[3] == "999999"


@given(name=st.text(max_size=80), title=st.text(max_size=120),
       grosze=st.integers(min_value=1, max_value=10**9))
def test_zbp_string_always_has_nine_fields_within_160(name, title, grosze):
    text = zbp_qr_text(nip="8481000123", account=ACCOUNT, amount=Decimal(grosze) / 100, name=name, title=title)
    fields = text.split("|")
    assert len(fields) == 9 and len(text) <= 160
    assert len(fields[4]) <= 20 and len(fields[5]) <= 32


def test_titles_keep_whole_items_and_count_the_rest():
    assert transfer_title(["PON DW/1/2026", "UW 2026"], 54) == "PON DW/1/2026, UW 2026"
    assert transfer_title(["PON DW/12/2025 2025/03", "UW 2025", "ALK 2026/1"], 32) == "PON DW/12/2025 2025/03 +2"
    assert len(transfer_title(["X" * 60, "Y"], 32)) == 32
    assert box_lines("Piekarnia Pod Lipą Sp. z o.o., ul. Długa 5", 2) == ["Piekarnia Pod Lipą Sp. z", "o.o., ul. Długa 5"]


def test_pdf_has_two_copies_and_a_readable_qr():
    form = TransferForm(recipient_name="Urząd Miasta Ełku", recipient_nip="8481000123", account=ACCOUNT,
                        amount=Decimal("123.45"), title="PON DW/12/2025 2025/03", payer_name="Piekarnia Pod Lipą",
                        payer_address="ul. Długa 5, 19-300 Ełk")
    text, codes = _page(transfer_form_pdf(form))
    assert codes == [f"8481000123|PL|{ACCOUNT}|012345|Urząd Miasta Ełku|PON DW/12/2025 2025/03|||"]
    assert text.count("POLECENIE PRZELEWU / WPŁATA GOTÓWKOWA") == 2
    assert "odcinek dla banku" in text and "odcinek dla zleceniodawcy" in text
    assert text.count("sto dwadzieścia trzy złote 45/100") == 2


def _world(client, db, **unit):
    world = portal_world(client, db)
    business = world.businesses[0]
    business.street, business.house_no, business.postal_code = "Długa", "5", "19-300"
    target = world.units[0]
    for key, value in unit.items():
        setattr(target, key, value)
    world.rate = create_obligation(contractor=business, unit=target, kind="PON", document_no="DW/12/2025",
                                   period="2025/03", amount=Decimal("100.00"))
    world.fee = create_obligation(contractor=business, unit=target, kind="UW", period="2025",
                                  amount=Decimal("23.45"))
    db.session.commit()
    return world


def test_form_of_chosen_obligations_from_the_portal(client, db):
    world = _world(client, db, name="Urząd Miasta Ełku", nip="8481000123")
    business, unit = world.businesses[0], world.units[0]
    response = client.get(f"/portal/przelew/{business.id}.pdf?unit_id={unit.id}"
                          f"&obligation_id={world.rate.id}&obligation_id={world.fee.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text, codes = _page(response.data)
    assert codes == [f"8481000123|PL|{ACCOUNT}|012345|Urząd Miasta Ełku|PON DW/12/2025 2025/03, UW 2025|||"]
    assert text.count("sto dwadzieścia trzy złote 45/100") == 2


def test_the_virtual_account_when_the_unit_has_a_prefix(client, db):
    world = _world(client, db, name="Urząd Miasta Ełku", virtual_account_prefix="102059030001")
    business, unit = world.businesses[0], world.units[0]
    expected = virtual_account(unit, business.id)
    assert expected and expected != ACCOUNT
    response = client.get(f"/portal/przelew/{business.id}.pdf?unit_id={unit.id}&amount=50,00")
    _text, codes = _page(response.data)
    assert codes[0].split("|")[2] == expected and codes[0].split("|")[3] == "005000"
    blank = client.get(f"/portal/przelew/{business.id}.pdf?unit_id={unit.id}")
    _text, codes = _page(blank.data)
    assert codes[0].split("|")[3] == "" and f"NIP {business.nip}" in codes[0]


def test_others_contractors_units_and_obligations_are_404(client, db):
    world = _world(client, db)
    business, unit = world.businesses[0], world.units[0]
    stranger = create_contractor(name="Obca firma")
    other_unit = create_unit(name="Jednostka bez zgody")
    foreign = create_obligation(contractor=stranger, unit=unit)
    db.session.commit()
    assert client.get(f"/portal/przelew/{stranger.id}.pdf?unit_id={unit.id}").status_code == 404
    assert client.get(f"/portal/przelew/{business.id}.pdf?unit_id={other_unit.id}").status_code == 404
    assert client.get(f"/portal/przelew/{business.id}.pdf?unit_id={unit.id}&obligation_id={foreign.id}").status_code == 404
    assert client.get(f"/portal/przelew/{business.id}.pdf").status_code == 404
    assert client.get(f"/portal/przelew/{business.id}.pdf?unit_id={unit.id}&amount=-5").status_code == 400
