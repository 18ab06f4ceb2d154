"""Staff sign-in and sign-out: success, failure, CSRF, rate limit, audit, safe redirects."""

from __future__ import annotations

from sqlalchemy import select

from app.core.audit import AuditEntry
from tests.admin_support import csrf_from, sign_in
from tests.factories import create_staff_user


def _actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_login_page_is_polish_with_labels(client):
    html = client.get("/admin/login").get_data(as_text=True)
    assert '<html lang="pl">' in html
    assert "Zaloguj się" in html
    assert '<label class="font-weight-bold" for="email">E-mail</label>' in html
    assert 'for="password">Hasło</label>' in html


def test_sign_in_opens_the_dashboard_and_is_audited(client, db):
    user = create_staff_user(name="Anna Nowak")
    db.session.commit()
    response = sign_in(client, user.email.upper())
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert "Witaj, Anna Nowak" in page
    assert _actions(db) == ["staff.login"]
    entry = db.session.scalar(select(AuditEntry))
    assert entry.actor_id == user.id and entry.actor_label == user.email
    assert db.session.get(type(user), user.id).last_login_at is not None


def test_wrong_password_is_refused_and_audited(client, db):
    user = create_staff_user()
    db.session.commit()
    response = sign_in(client, user.email, "zle-haslo-123")
    assert response.status_code == 401
    assert "Nieprawidłowy e-mail lub hasło" in response.get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "staff.login_failed"
    assert entry.details == {"reason": "wrong_password"}
    assert client.get("/admin/").status_code == 302


def test_unknown_email_gets_the_same_message(client, db):
    response = sign_in(client, "nikt@um.elk.pl", "cokolwiek-123")
    assert response.status_code == 401
    assert "Nieprawidłowy e-mail lub hasło" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry)).details == {"reason": "unknown_email"}


def test_disabled_user_cannot_sign_in(client, db):
    user = create_staff_user(is_active=False)
    db.session.commit()
    assert sign_in(client, user.email).status_code == 401
    assert db.session.scalar(select(AuditEntry)).details == {"reason": "inactive"}


def test_disabling_a_user_ends_the_session(client, db):
    user = create_staff_user()
    db.session.commit()
    sign_in(client, user.email)
    assert client.get("/admin/").status_code == 200
    user.is_active = False
    db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_post_without_csrf_token_is_rejected(client, db):
    user = create_staff_user()
    db.session.commit()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"email": user.email, "password": "haslo-testowe-1",
                                                 "csrf_token": "forged"})
    assert response.status_code == 400
    assert "Formularz wygasł" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    assert _actions(db) == []


def test_rate_limit_gives_429_after_the_limit(app, client, db):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    codes = [sign_in(client, "ktos@um.elk.pl", "zle-haslo-123").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert client.get("/admin/login").status_code == 200  # reading the page is not limited


def test_next_redirect_stays_on_this_site(client, db):
    user = create_staff_user()
    db.session.commit()
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    data = {"email": user.email, "password": "haslo-testowe-1", "csrf_token": token}
    response = client.post("/admin/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/admin/"


def test_next_redirect_to_a_local_page(client, db):
    user = create_staff_user()
    db.session.commit()
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    data = {"email": user.email, "password": "haslo-testowe-1", "csrf_token": token}
    response = client.post("/admin/login?next=/admin/contractors/", data=data)
    assert response.headers["Location"] == "/admin/contractors/"


def test_sign_out_is_a_post_with_csrf_and_audited(client, db):
    user = create_staff_user()
    db.session.commit()
    sign_in(client, user.email)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'action="/admin/logout"' in page
    assert client.get("/admin/logout").status_code == 405
    assert client.post("/admin/logout", data={"csrf_token": "forged"}).status_code == 400
    response = client.post("/admin/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302
    assert _actions(db) == ["staff.login", "staff.logout"]
