"""Role checks of the admin: redirects, 403 pages, menus showing only what one may open."""

from __future__ import annotations

import pytest

from app.accounts.models import StaffUser
from tests.admin_support import csrf_from, sign_in
from tests.factories import create_staff_user


def _signed_in(client, db, *roles):
    user = create_staff_user(roles=roles)
    db.session.commit()
    assert sign_in(client, user.email).status_code == 302
    return user


@pytest.mark.parametrize("url", ["/admin/", "/admin/staff_users/", "/admin/contractors/"])
def test_strangers_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_communicator_gets_a_polish_403_on_staff_users(client, db):
    _signed_in(client, db, "communicator")
    response = client.get("/admin/staff_users/")
    assert response.status_code == 403
    assert "Brak dostępu" in response.get_data(as_text=True)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/units/").status_code == 403


def test_menu_shows_only_what_the_user_may_open(client, db):
    _signed_in(client, db, "communicator")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Kontrahenci" in page
    assert "Pracownicy" not in page
    assert "Dziennik zdarzeń" not in page


def test_finance_opens_units_but_not_staff(client, db):
    _signed_in(client, db, "finance")
    assert client.get("/admin/units/").status_code == 200
    assert client.get("/admin/staff_users/").status_code == 403


def test_admin_sees_every_menu_entry(client, db):
    _signed_in(client, db, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    for entry in ("Kontrahenci", "Jednostki", "Pracownicy", "Wnioski o dostęp w portalu",
                  "Raporty importu", "Dziennik zdarzeń"):
        assert entry in page
    assert client.get("/admin/audit/").status_code == 200


def test_nothing_can_be_deleted(client, db):
    _signed_in(client, db, "admin")
    other = create_staff_user()
    db.session.commit()
    page = client.get("/admin/staff_users/").get_data(as_text=True)
    assert "Usuń zaznaczone" not in page and "Delete selected" not in page
    client.post("/admin/staff_users/delete/", data={"id": str(other.id), "csrf_token": csrf_from(page)})
    client.post("/admin/staff_users/action/", data={"action": "delete", "rowid": str(other.id),
                                                    "csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert db.session.get(StaffUser, other.id) is not None
