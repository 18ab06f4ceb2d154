"""Helpers for tests of the staff pages: CSRF tokens, signing in."""

from __future__ import annotations

import re

import pytest

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client, email: str, password: str = "haslo-testowe-1", **extra):
    """Post the sign-in form with a valid CSRF token; returns the response."""
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"email": email, "password": password,
                                             "csrf_token": token, **extra})


@pytest.fixture
def staff_client(client, db):
    """A client signed in as a new admin; the user is `staff_client.user`."""
    from tests.factories import create_staff_user

    user = create_staff_user(roles=("admin",), name="Anna Nowak")
    db.session.commit()
    response = sign_in(client, user.email)
    assert response.status_code == 302
    client.user = user
    return client


def signed_in(client, db, *roles: str, name: str = "Ewa Kowalska"):
    """Sign the client in as a new staff user with these roles; the user is `client.user`."""
    from tests.factories import create_staff_user

    user = create_staff_user(roles=roles, name=name)
    db.session.commit()
    assert sign_in(client, user.email).status_code == 302
    client.user = user
    return client
