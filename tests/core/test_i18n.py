"""Polish by default, English on request (remembered in the session), Flask-Admin included."""

from __future__ import annotations

from tests.admin_support import sign_in
from tests.factories import create_staff_user


def test_pages_are_polish_by_default(staff_client):
    page = staff_client.get("/admin/").get_data(as_text=True)
    assert '<html lang="pl">' in page
    assert "Pulpit" in page and "Wyloguj" in page and "Aktywni kontrahenci" in page


def test_flask_admin_strings_are_polish(staff_client):
    page = staff_client.get("/admin/contractors/").get_data(as_text=True)
    assert "Lista" in page  # Flask-Admin's own "List" tab, from its 'admin' domain
    assert "Szukaj" in page  # its search box placeholder
    assert "Identyfikator w systemie dziedzinowym" in page  # our column label


def test_english_with_lang_parameter_is_remembered(staff_client):
    page = staff_client.get("/admin/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Dashboard" in page and "Sign out" in page and "Active contractors" in page
    assert "Pulpit" not in page
    listing = staff_client.get("/admin/contractors/").get_data(as_text=True)
    assert "Search" in listing and "Szukaj" not in listing
    assert "Pulpit" in staff_client.get("/admin/?lang=pl").get_data(as_text=True)


def test_language_switch_links_keep_the_page(staff_client):
    page = staff_client.get("/admin/contractors/?search=abc").get_data(as_text=True)
    assert 'href="/admin/contractors/?search=abc&amp;lang=en"' in page


def test_login_page_in_english_and_language_survives_sign_in(client, db):
    user = create_staff_user(name="Ewa Lis")
    db.session.commit()
    page = client.get("/admin/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Password" in page and "Hasło" not in page
    sign_in(client, user.email)
    assert "Welcome, Ewa Lis" in client.get("/admin/").get_data(as_text=True)
