"""Editing a unit's account number (NRB), validated with schwifty."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Unit
from app.core.audit import AuditEntry
from tests.admin_support import csrf_from
from tests.factories import create_unit


def _edit(client, unit, nrb):
    url = f"/admin/units/edit/?id={unit.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"name": unit.name, "address": "ul. Piłsudskiego 4",
                                  "account_nrb": nrb, "csrf_token": token})


def test_wrong_nrb_is_refused_with_an_error_naming_the_field(staff_client, db):
    unit = create_unit()
    db.session.commit()
    response = _edit(staff_client, unit, "59102059033982597919074834")
    assert response.status_code == 200
    assert "Numer rachunku (NRB) 59102059033982597919074834 jest nieprawidłowy" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).account_nrb == "59102059033982597919074833"


def test_short_nrb_is_refused(staff_client, db):
    unit = create_unit()
    db.session.commit()
    response = _edit(staff_client, unit, "1234")
    assert "wpisz dokładnie 26 cyfr" in response.get_data(as_text=True)


def test_valid_nrb_with_spaces_is_saved_and_audited(staff_client, db):
    unit = create_unit(account_nrb=None)
    db.session.commit()
    response = _edit(staff_client, unit, "59 1020 5903 3982 5979 1907 4833")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).account_nrb == "59102059033982597919074833"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit.updated"))
    assert entry.target == f"unit:{unit.id}"
    page = staff_client.get("/admin/units/").get_data(as_text=True)
    assert "59 1020 5903 3982 5979 1907 4833" in page
