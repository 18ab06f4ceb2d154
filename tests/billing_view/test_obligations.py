"""The portal's obligations list: filters, basis, amounts, late interest, paying the chosen ones."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from app.accounts.models import Allocation, LateInterestRate
from app.billing_view.due_dates import effective_due
from app.core.clock import today_warsaw
from tests.billing_view.portal_support import portal_world
from tests.factories import create_contractor, create_obligation, create_payment


def _rows(html: str) -> list[str]:
    body = html.split('id="obligations"')[1].split("</tbody>")[0].split("<tbody>")[1]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", tr)) for tr in body.split("<tr")[1:]]


def _world(client, db):
    world = portal_world(client, db, units=("Urząd Miasta Ełku", "Zarząd Mienia"))
    business, (town, estate) = world.businesses[0], world.units
    today = today_warsaw()
    late = create_obligation(contractor=business, unit=town, kind="PON", description="Rata marcowa",
                             basis="Decyzja wymiarowa", document_no="DW/12/2025", period="2025/03",
                             assessed_on=date(2025, 1, 20), due_on=today - timedelta(days=100),
                             amount=Decimal("10000.00"))
    partly = create_obligation(contractor=business, unit=estate, kind="UW", description="Opłata roczna",
                               due_on=today + timedelta(days=10), amount=Decimal("900.00"))
    payment = create_payment(contractor=business, unit=estate, amount=Decimal("400.00"))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=partly.id, amount=Decimal("400.00")))
    done = create_obligation(contractor=business, unit=town, kind="PST", description="Podatek transportowy",
                             due_on=today - timedelta(days=200), amount=Decimal("50.00"))
    full = create_payment(contractor=business, unit=town, amount=Decimal("50.00"))
    db.session.add(Allocation(payment_id=full.id, obligation_id=done.id, amount=Decimal("50.00")))
    db.session.commit()
    world.late, world.partly, world.done = late, partly, done
    world.url = f"/portal/zobowiazania/{business.id}"
    return world


def test_unpaid_by_default_with_basis_amounts_and_overdue_marked(client, db):
    world = _world(client, db)
    page = client.get(world.url + "?lang=en").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 2 and "Podatek transportowy" not in page
    assert "Rata marcowa" in rows[0] and "Decyzja wymiarowa" in rows[0] and "DW/12/2025" in rows[0]
    assert "2025/03" in rows[0] and "20.01.2025" in rows[0] and "overdue" in rows[0]
    assert "Opłata roczna" in rows[1] and "900,00" in rows[1] and "400,00" in rows[1] and "500,00" in rows[1]
    assert "overdue" not in rows[1]
    assert 'class="overdue"' in page.split('id="obligations"')[1].split("<tr")[2]
    # Paying the chosen ones: a GET form to the payment page with the business and the obligations.
    form = page.split('action="/portal/platnosc"')[1].split("</form>")[0]
    assert 'method="get"' in page.split('action="/portal/platnosc"')[0][-60:]
    assert f'name="contractor_id" value="{world.businesses[0].id}"' in form
    assert f'name="obligation_id" value="{world.late.id}"' in form
    assert f'href="/portal/platnosc?contractor_id={world.businesses[0].id}"' in page
    assert f"/portal/przelew/{world.businesses[0].id}.pdf?unit_id={world.units[0].id}" in page


def test_filters_by_status_unit_kind_and_year(client, db):
    world = _world(client, db)
    paid = client.get(world.url + "?status=paid&lang=en").get_data(as_text=True)
    assert [("Podatek transportowy" in r) for r in _rows(paid)] == [True]
    overdue = client.get(world.url + "?status=overdue&lang=en").get_data(as_text=True)
    assert len(_rows(overdue)) == 1 and "Rata marcowa" in _rows(overdue)[0]
    by_unit = client.get(world.url + f"?status=all&unit_id={world.units[1].id}&lang=en").get_data(as_text=True)
    assert len(_rows(by_unit)) == 1 and "Opłata roczna" in by_unit
    by_kind = client.get(world.url + "?status=all&kind=PST&lang=en").get_data(as_text=True)
    assert len(_rows(by_kind)) == 1
    year = world.late.due_on.year
    by_year = client.get(world.url + f"?status=all&year={year}&lang=en").get_data(as_text=True)
    assert "Rata marcowa" in by_year


def test_bad_filters_are_named_and_others_ids_are_404(client, db):
    world = _world(client, db)
    response = client.get(world.url + "?status=zle&year=abc&lang=en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "“zle” is not a valid choice" in page and "“abc” is not a valid choice" in page
    stranger = create_contractor(name="Cudza Firma")
    create_obligation(contractor=stranger, description="Cudza rata")
    db.session.commit()
    assert client.get(f"/portal/zobowiazania/{stranger.id}").status_code == 404
    # A unit without consent cannot be chosen either.
    other_unit = create_obligation(contractor=world.businesses[0], description="Bez zgody").unit
    db.session.commit()
    hidden = client.get(world.url + f"?status=all&unit_id={other_unit.id}&lang=en")
    assert hidden.status_code == 400 and "Bez zgody" not in hidden.get_data(as_text=True)
    assert "Bez zgody" not in client.get(world.url + "?status=all&lang=en").get_data(as_text=True)


def test_late_interest_where_the_unit_enables_it(client, db):
    world = _world(client, db)
    plain = client.get(world.url + "?lang=en").get_data(as_text=True)
    header = '<th scope="col" class="text-right">Late interest</th>'
    assert header not in plain
    world.units[0].late_interest_enabled = True
    db.session.add(LateInterestRate(valid_from=date(2000, 1, 1), annual_rate=Decimal("14.60")))
    db.session.commit()
    page = client.get(world.url + "?lang=en").get_data(as_text=True)
    rows = _rows(page)
    # 10 000 zł × 14,6 % × days late (after the due date moved off a day off) / 365, in full złoty.
    due = effective_due("PON", world.late.due_on)
    days = (today_warsaw() - due).days
    expected = (Decimal("10000") * Decimal("14.60") * days / Decimal(36500)).quantize(Decimal(1), "ROUND_HALF_UP")
    assert header in page and f"{expected},00" in rows[0].replace("\u00a0", "").replace(" ", "")
    assert "—" not in rows[0]


def test_pages_of_twenty_five(client, db):
    world = portal_world(client, db)
    today = today_warsaw()
    for n in range(30):
        create_obligation(contractor=world.businesses[0], unit=world.units[0], description=f"Rata {n:02d}",
                          due_on=today + timedelta(days=n + 1))
    db.session.commit()
    url = f"/portal/zobowiazania/{world.businesses[0].id}"
    first = client.get(url + "?lang=en").get_data(as_text=True)
    assert len(_rows(first)) == 25 and "30 obligations" in first and "page 1 of 2" in first
    assert "Rata 00" in _rows(first)[0]
    second = client.get(url + "?page=2&lang=en").get_data(as_text=True)
    assert len(_rows(second)) == 5 and "Rata 29" in _rows(second)[-1]


def _year_options(html: str) -> list[str]:
    select = html.split('id="filter-year"')[1].split("</select>")[0]
    return re.findall(r'<option value="(\d+)"', select)


def test_the_year_filter_offers_the_years_the_business_owes_in_with_or_without_rows(client, db):
    world = _world(client, db)
    business, town = world.businesses[0], world.units[0]
    create_obligation(contractor=business, unit=town, description="Dawna rata", due_on=date(2019, 5, 15),
                      amount=Decimal("20.00"))
    create_obligation(contractor=business, unit=town, kind="KU", due_on=None, amount=Decimal("16.00"))
    create_obligation(contractor=create_contractor(), unit=town, due_on=date(2011, 3, 15))  # someone else's
    db.session.commit()
    expected = sorted({str(o.due_on.year) for o in (world.late, world.partly, world.done)} | {"2019"},
                      reverse=True)
    assert _year_options(client.get(world.url + "?lang=en").get_data(as_text=True)) == expected
    nothing = client.get(world.url + "?kind=KU&status=paid&lang=en").get_data(as_text=True)
    assert "No obligations match the filters." in nothing and _year_options(nothing) == expected
    beyond = client.get(world.url + "?page=9&lang=en").get_data(as_text=True)
    assert _year_options(beyond) == expected
