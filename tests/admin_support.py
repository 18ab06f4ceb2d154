"""Helpers for tests of the staff pages: compiled catalogues, CSRF tokens, signing in."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TRANSLATIONS = Path(__file__).resolve().parent.parent / "app" / "translations"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def compile_catalogues() -> None:
    """Compile the .po catalogues whose .mo is missing or older (as `make translations` does)."""
    stale = [
        po for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        pybabel = Path(sys.executable).with_name("pybabel")
        subprocess.run([str(pybabel), "compile", "-f", "-d", str(TRANSLATIONS)], check=True,
                       capture_output=True)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """The UI catalogues, compiled once per run."""
    compile_catalogues()


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """Give every test request an empty `g`, as in production.

    The `app` fixture keeps an application context open, and Flask reuses it for test
    requests, so `g` (Flask-Login's user, Flask-Babel's locale, Flask-WTF's token) would
    otherwise carry over from one request to the next.
    """
    from flask import g

    def clear_g() -> None:
        for key in list(g):
            g.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, clear_g)


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
