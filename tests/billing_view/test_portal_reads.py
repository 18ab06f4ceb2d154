"""What the faster portal reads must keep: translations per language, balances, totals past the last page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import event

from app.accounts.balance import contractor_balance
from app.accounts.models import Allocation, RecordStatus
from app.billing_view.dashboard import dashboard_figures
from app.billing_view.kinds import kind_name, kind_namer
from app.core.clock import today_warsaw
from tests.billing_view.portal_support import portal_world
from tests.factories import create_contractor, create_obligation, create_payment, create_unit


def test_template_translations_follow_the_language_of_each_request(client, db):
    world = portal_world(client, db)
    url = f"/portal/zobowiazania/{world.businesses[0].id}"
    for _ in range(2):  # the second round is served from the memo
        assert "Liabilities" in client.get(url + "?lang=en").get_data(as_text=True)
        polish = client.get(url + "?lang=pl").get_data(as_text=True)
        assert "Liabilities" not in polish and "Zobowiązania" in polish


def test_template_translations_respect_force_locale_and_escape_values(app):
    template = "{{ _('Liabilities') }}|{{ _('Pay: %(name)s', name=name) }}|{{ _('100%% sure') }}"
    with app.test_request_context("/"):
        with force_locale("en"):
            english = render_template_string(template, name="<b>Rata</b>")
        with force_locale("pl"):
            polish = render_template_string(template, name="<b>Rata</b>")
        with force_locale("en"):
            again = render_template_string(template, name="Inna")
    assert english.startswith("Liabilities|Pay: &lt;b&gt;Rata&lt;/b&gt;|100% sure")
    assert polish.startswith("Zobowiązania|") and "&lt;b&gt;Rata&lt;/b&gt;" in polish
    assert again == "Liabilities|Pay: Inna|100% sure"


def test_kind_namer_names_as_kind_name_does(app):
    with app.test_request_context("/"), force_locale("en"):
        namer = kind_namer()
        for kind in ("PON", "PST", "UW", "ALK", "DZR", "OPL", "KU", "XYZ"):
            assert namer(kind) == kind_name(kind)
        assert namer("XYZ") == "XYZ" and namer("PON") == "Property tax"


def test_dashboard_balance_is_the_contractor_balance_in_the_unit(db):
    business, other = create_contractor(), create_contractor()
    town, estate = create_unit(), create_unit()
    create_obligation(contractor=business, unit=town, amount=Decimal("300.00"))
    create_obligation(contractor=business, unit=town, amount=Decimal("45.10"))
    create_obligation(contractor=business, unit=town, amount=Decimal("99.00"), status=RecordStatus.CANCELLED)
    create_obligation(contractor=business, unit=estate, amount=Decimal("70.00"))
    create_obligation(contractor=other, unit=town, amount=Decimal("1000.00"))
    create_payment(contractor=business, unit=town, amount=Decimal("100.00"))
    create_payment(contractor=business, unit=estate, amount=Decimal("90.00"))
    db.session.commit()
    today, both = today_warsaw(), {town.id, estate.id}

    def balance(contractor, unit) -> Decimal:
        return dashboard_figures(contractor.id, unit.id, both, today).balance

    assert balance(business, town) == contractor_balance(business.id, town.id) == Decimal("245.10")
    assert balance(business, estate) == contractor_balance(business.id, estate.id) == Decimal("-20.00")
    assert balance(other, estate) == Decimal("0.00")
    assert len(dashboard_figures(business.id, town.id, both, today).items) == 3  # active, none paid
    # Pending changes count, as with the session's own queries.
    create_payment(contractor=business, unit=town, amount=Decimal("5.10"))
    assert balance(business, town) == Decimal("240.00")


def test_total_and_pages_are_kept_past_the_last_page_and_with_filters(client, db):
    world = portal_world(client, db)
    business, unit = world.businesses[0], world.units[0]
    today = today_warsaw()
    for n in range(27):
        create_obligation(contractor=business, unit=unit, kind="PON" if n % 3 else "UW",
                          description=f"Rata {n:02d}", due_on=today + timedelta(days=n + 1))
    paid = create_obligation(contractor=business, unit=unit, description="Zapłacona", due_on=today,
                             amount=Decimal("10.00"))
    payment = create_payment(contractor=business, unit=unit, amount=Decimal("10.00"))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=paid.id, amount=Decimal("10.00")))
    db.session.commit()
    url = f"/portal/zobowiazania/{business.id}?lang=en"
    assert "27 obligations · page 1 of 2" in client.get(url).get_data(as_text=True)
    beyond = client.get(url + "&page=5").get_data(as_text=True)
    assert "27 obligations · page 5 of 2" in beyond and "No obligations match the filters." in beyond
    assert "28 obligations" in client.get(url + "&status=all").get_data(as_text=True)
    assert "1 obligation" in client.get(url + "&status=paid").get_data(as_text=True)
    assert "9 obligations" in client.get(url + "&kind=UW").get_data(as_text=True)
    assert "0 obligations" in client.get(url + "&kind=KU").get_data(as_text=True)


def test_the_portal_read_pages_run_outside_a_transaction(client, db):
    # Autocommit reads: no BEGIN, COMMIT or teardown ROLLBACK (which makes psycopg forget its
    # prepared statements), every statement of the page, the signed-in user's included.
    world = portal_world(client, db)
    business = world.businesses[0]
    create_obligation(contractor=business, unit=world.units[0], description="Rata", amount=Decimal("12.00"))
    urls = ("/portal/", "/portal/pulpit", f"/portal/zobowiazania/{business.id}", f"/portal/historia/{business.id}")
    db.session.commit()  # as each request starts: no transaction yet
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(context.execution_options.get("isolation_level"))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for url in urls:
            seen.clear()
            response = client.get(url + "?lang=en")
            assert response.status_code == 200, url
            assert len(seen) >= 3 and set(seen) == {"AUTOCOMMIT"}, (url, seen)
        assert "Rata" in client.get(urls[2] + "?lang=en").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
