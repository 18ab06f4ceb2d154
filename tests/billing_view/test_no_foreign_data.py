"""No portal URL that takes an id ever shows another business's data.

Every portal route of the application is enumerated from the URL map (so a new page is checked
without anyone remembering to add it): each of its id arguments, and the usual id query
parameters, take the ids of another business's rows (the business, its obligations, payments,
appointments, links, and the unit only that business uses). The signed-in user may see one
business; no answer may carry the other's name, NIP, document numbers or descriptions, none may
be a document (PDF, CSV) of it, and nothing may be written for it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.accounts.models import Allocation, LinkStatus, Payment, PortalLink
from app.core.audit import AuditEntry
from tests.admin_support import csrf_from
from tests.billing_view.portal_support import portal_world
from tests.factories import (
    create_appointment,
    create_contractor,
    create_obligation,
    create_payment,
    create_portal_user,
    create_unit,
)

SECRETS = ("Tajna Spółka Sekretna", "5260250274", "SEKRET/2026/77", "Należność sekretna",
           "Spotkanie sekretne", "Wpłata sekretna")
QUERY_NAMES = ("contractor_id", "obligation_id", "unit_id", "payment_id", "id")
DOCUMENTS = ("application/pdf", "text/csv", "application/octet-stream")


@pytest.fixture
def world(client, db):
    """The signed-in user's own business, and a stranger's business with rows of every kind."""
    mine = portal_world(client, db, businesses=("Piekarnia Pod Lipą",), units=("Urząd Miasta Ełku",))
    town = mine.units[0]
    own = create_obligation(contractor=mine.businesses[0], unit=town, description="Moja rata",
                            document_no="MOJA/1", amount=Decimal("120.00"))
    create_payment(contractor=mine.businesses[0], unit=town)
    create_appointment(contractor=mine.businesses[0], unit=town)
    # The stranger's rows get ids of their own (901...), so no id is also one of the user's rows.
    serial = itertools.count(901)
    stranger = create_contractor(id=next(serial), name=SECRETS[0], nip=SECRETS[1])
    hidden_unit = create_unit(id=next(serial), name="Jednostka tylko obcej firmy")
    for unit in (town, hidden_unit):
        obligation = create_obligation(id=next(serial), contractor=stranger, unit=unit, description=SECRETS[3],
                                       document_no=SECRETS[2], basis="decyzja " + SECRETS[2],
                                       amount=Decimal("777.00"))
        payment = create_payment(id=next(serial), contractor=stranger, unit=unit, amount=Decimal("77.00"),
                                 description=SECRETS[5])
        db.session.add(Allocation(payment_id=payment.id, obligation_id=obligation.id, amount=Decimal("77.00")))
        create_appointment(id=next(serial), contractor=stranger, unit=unit, description=SECRETS[4],
                           starts_at=datetime(2027, 1, 20, 9, 0, tzinfo=UTC))
    other_user = create_portal_user(id=next(serial), email="obcy@example.pl")
    db.session.add(PortalLink(id=next(serial), user=other_user, contractor=stranger, status=LinkStatus.CONFIRMED,
                              method="code"))
    db.session.commit()
    ids = list(range(901, next(serial)))
    return mine, stranger, own, ids


def _portal_rules(app, method: str):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/portal") and method in (rule.methods or ()):
            yield rule


def _urls(rule, ids: list[int]) -> list[str]:
    """The rule's URLs with foreign ids in its id arguments, plus id query strings.

    Other arguments (a topic, a token) take a plausible value; a rule of several id arguments
    gets every foreign id in each of them.
    """
    int_args = [name for name, conv in rule._converters.items() if type(conv).__name__ == "IntegerConverter"]
    fixed = {name: "PON" for name in rule.arguments if name not in int_args}
    if len(int_args) <= 1:
        combos = [(value,) for value in ids] if int_args else [()]
    else:
        combos = [tuple(ids[(i + k) % len(ids)] for k in range(len(int_args))) for i in range(len(ids))]
    paths = [rule.build({**fixed, **dict(zip(int_args, combo, strict=True))}, append_unknown=False)[1]
             for combo in combos]
    queries = [""] + [f"?{name}={value}" for name in QUERY_NAMES for value in ids] + [
        "?" + "&".join(f"{name}={value}" for name in QUERY_NAMES) for value in ids]
    return [path + query for path in paths for query in (queries if not int_args else queries[:1] + queries[-3:])]


def _leaks(response) -> list[str]:
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""
    found = [secret for secret in SECRETS if secret in body]
    if response.status_code == 200 and response.mimetype in DOCUMENTS:
        found.append(f"a {response.mimetype} document")
    return found


def test_every_get_route_with_a_foreign_id_shows_nothing_of_that_business(app, client, world):
    _mine, _stranger, own, ids = world
    checked, leaks = 0, []
    for rule in _portal_rules(app, "GET"):
        for url in _urls(rule, ids):
            response = client.get(url)
            checked += 1
            assert response.status_code < 500, f"{url}: HTTP {response.status_code}"
            if found := _leaks(response):
                leaks.append(f"{url} (HTTP {response.status_code}): {', '.join(found)}")
    assert checked > 200  # the enumeration found the portal's routes
    assert leaks == []
    # The same pages do show the user's own data: the check above could find a leak.
    assert "MOJA/1" in client.get(f"/portal/zobowiazania/{own.contractor_id}").get_data(as_text=True)


def test_every_post_route_with_foreign_ids_writes_nothing_for_that_business(app, client, db, world):
    _mine, stranger, _own, ids = world
    token = csrf_from(client.get("/portal/zgody").get_data(as_text=True))
    payments_before = db.session.scalar(select(func.count()).select_from(Payment))
    links_before = db.session.scalar(select(func.count()).select_from(PortalLink))
    posted = 0
    for rule in _portal_rules(app, "POST"):
        if rule.rule.endswith(("/wyloguj", "/logowanie", "/rejestracja")):
            continue
        for url in _urls(rule, ids)[:3]:
            for value in ids:
                response = client.post(url, data={"csrf_token": token, **{name: value for name in QUERY_NAMES},
                                                  "amount": "10,00"})
                posted += 1
                assert response.status_code < 500, f"POST {url}: HTTP {response.status_code}"
                assert not _leaks(response), f"POST {url}: {_leaks(response)}"
    assert posted > 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == payments_before
    assert db.session.scalar(select(func.count()).select_from(PortalLink)) == links_before
    assert not db.session.scalars(select(AuditEntry).where(
        AuditEntry.target == f"contractor:{stranger.id}", AuditEntry.actor_type == "portal")).all()
