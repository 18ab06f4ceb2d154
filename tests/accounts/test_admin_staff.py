"""Staff users (created with a password and roles, never showing the hash) and portal links."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import LinkStatus, PortalLink, StaffUser
from app.core.audit import AuditEntry
from tests.admin_support import csrf_from
from tests.factories import create_contractor, create_portal_user, create_staff_user


def _token(client, url):
    return csrf_from(client.get(url).get_data(as_text=True))


def test_admin_creates_a_user_with_roles_and_password(staff_client, db):
    token = _token(staff_client, "/admin/staff_users/new/")
    response = staff_client.post("/admin/staff_users/new/", data={
        "email": "Jan.Kowalski@um.elk.pl", "name": "Jan Kowalski", "new_password": "dlugie-haslo-42",
        "role_choices": ["communicator", "approver"], "is_active": "y", "csrf_token": token,
    })
    assert response.status_code == 302
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "jan.kowalski@um.elk.pl"))
    assert user.roles == "approver communicator"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.created"))
    assert entry.details["roles"] == ["approver", "communicator"]
    assert "argon2" not in str(entry.details)
    page = staff_client.get("/admin/staff_users/").get_data(as_text=True)
    assert "komunikator" in page and "$argon2" not in page
    assert user.check_password("dlugie-haslo-42")


def test_short_password_is_refused(staff_client, db):
    token = _token(staff_client, "/admin/staff_users/new/")
    response = staff_client.post("/admin/staff_users/new/", data={
        "email": "krotkie@um.elk.pl", "name": "K", "new_password": "krotkie",
        "role_choices": ["inbox"], "csrf_token": token,
    })
    assert response.status_code == 200
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "krotkie@um.elk.pl")) is None


def test_edit_form_never_shows_the_hash(staff_client, db):
    other = create_staff_user()
    db.session.commit()
    page = staff_client.get(f"/admin/staff_users/edit/?id={other.id}").get_data(as_text=True)
    assert "$argon2" not in page and "password_hash" not in page


def test_admin_cannot_remove_own_admin_role(staff_client, db):
    me = staff_client.user
    url = f"/admin/staff_users/edit/?id={me.id}"
    response = staff_client.post(url, data={
        "email": me.email, "name": me.name, "role_choices": ["communicator"], "is_active": "y",
        "csrf_token": _token(staff_client, url),
    }, follow_redirects=True)
    assert "Nie możesz odebrać sobie roli administratora." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(StaffUser, me.id).roles == "admin"


def test_admin_cannot_deactivate_self(staff_client, db):
    me = staff_client.user
    url = f"/admin/staff_users/edit/?id={me.id}"
    response = staff_client.post(url, data={
        "email": me.email, "name": me.name, "role_choices": ["admin"],
        "csrf_token": _token(staff_client, url),
    }, follow_redirects=True)
    assert "Nie możesz wyłączyć własnego konta." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(StaffUser, me.id).is_active


def test_admin_changes_another_users_roles(staff_client, db):
    other = create_staff_user(roles=("inbox",))
    db.session.commit()
    url = f"/admin/staff_users/edit/?id={other.id}"
    response = staff_client.post(url, data={
        "email": other.email, "name": other.name, "role_choices": ["finance"],
        "csrf_token": _token(staff_client, url),
    })
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(StaffUser, other.id)
    assert changed.roles == "finance" and not changed.is_active
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.updated"))
    assert entry.target == f"staff:{other.id}" and entry.details["is_active"] is False


def test_admin_confirms_a_portal_link(staff_client, db):
    link = PortalLink(user=create_portal_user(), contractor=create_contractor(name="Sklep Jezioro"))
    db.session.add(link)
    db.session.commit()
    token = _token(staff_client, "/admin/portal_links/")
    response = staff_client.post("/admin/portal_links/action/", data={
        "action": "confirm", "rowid": str(link.id), "csrf_token": token,
    }, follow_redirects=True)
    assert "Rozpatrzono 1 wniosek." in response.get_data(as_text=True)
    db.session.expire_all()
    decided = db.session.get(PortalLink, link.id)
    assert decided.status == LinkStatus.CONFIRMED
    assert decided.decided_by_id == staff_client.user.id and decided.decided_at is not None
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target == f"portal_link:{link.id}")) \
        == "portal_link.confirmed"
