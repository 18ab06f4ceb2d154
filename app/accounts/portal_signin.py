"""How a portal user proves who they are: pluggable sign-in providers and recent re-authentication.

A `SignInProvider` turns what a visitor gives (a form's fields) into a `SignInResult`: the
portal user and, when refused, an internal reason that is audited but never shown. The portal's
views ask `provider(name)` and never check passwords themselves, so another way to sign in can
be added without touching them.

Today there is ONE provider, `password` (email + argon2-hashed password). A login.gov.pl
(Węzeł Krajowy) provider is NOT implemented: it would be a second subclass whose `authenticate`
receives the SAML assertion's verified attributes (after the redirect to and from login.gov.pl,
which needs its own views and the office's agreement with the national node), finds the portal
user by them, and re-authenticates by sending the user through login.gov.pl again. Until then
`PROVIDERS` holds only the password provider.

Changing a phone or an email requires a recent sign-in: `mark_signed_in` stamps the session
when a provider accepts the user; `signed_in_recently` says whether that was within
`PORTAL_REAUTH_MINUTES` (configuration, 15 by default).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import ClassVar, NamedTuple

from flask import current_app, session
from sqlalchemy import func, select

from app.accounts.models import PortalUser
from app.accounts.passwords import hash_password, verify_password
from app.core.extensions import db

AUTH_AT_KEY = "portal_auth_at"
AUTH_PROVIDER_KEY = "portal_auth_provider"
DEFAULT_REAUTH_MINUTES = 15


class SignInResult(NamedTuple):
    """The user a provider recognised (None: nobody) and why it refused (None: accepted)."""

    user: PortalUser | None
    failure: str | None  # unknown_email, wrong_password, inactive, unverified


class SignInProvider(ABC):
    """One way for a business user to sign in (and to confirm it is still them)."""

    name: ClassVar[str]

    @abstractmethod
    def authenticate(self, **credentials: str) -> SignInResult:
        """Recognise the user from the credentials of this provider's form."""

    @abstractmethod
    def reauthenticate(self, user: PortalUser, **credentials: str) -> bool:
        """True when the credentials prove again that the signed-in `user` is at the keyboard."""


def find_portal_user(email: str) -> PortalUser | None:
    """The portal account with this email (case-insensitive), if any."""
    return db.session.scalar(select(PortalUser).where(func.lower(PortalUser.email) == email.lower()))


_DUMMY_HASH: list[str] = []


def _spend_hash_time(password: str) -> None:
    if not _DUMMY_HASH:  # the same time as for a real account, so timing does not reveal emails
        _DUMMY_HASH.append(hash_password("not-a-real-password"))
    verify_password(_DUMMY_HASH[0], password)


class PasswordProvider(SignInProvider):
    """Email and password (argon2); the portal's only provider today."""

    name = "password"

    def authenticate(self, *, email: str = "", password: str = "", **_ignored: str) -> SignInResult:
        """Check the email and password; the failure reason distinguishes cases for the audit only."""
        user = find_portal_user(email)
        if user is None:
            _spend_hash_time(password)
            return SignInResult(None, "unknown_email")
        if not user.check_password(password):
            return SignInResult(user, "wrong_password")
        if not user.is_active:
            return SignInResult(user, "inactive")
        if user.email_verified_at is None:
            return SignInResult(user, "unverified")
        return SignInResult(user, None)

    def reauthenticate(self, user: PortalUser, *, password: str = "", **_ignored: str) -> bool:
        """The signed-in user's password, typed again."""
        return bool(password) and user.is_active and user.check_password(password)


PROVIDERS: dict[str, SignInProvider] = {PasswordProvider.name: PasswordProvider()}


def provider(name: str = PasswordProvider.name) -> SignInProvider:
    """The registered provider of this name (the password provider by default)."""
    return PROVIDERS[name]


def mark_signed_in(provider_name: str) -> None:
    """Stamp the session: this provider just confirmed the user (sign-in or re-authentication)."""
    session[AUTH_AT_KEY] = int(time.time())
    session[AUTH_PROVIDER_KEY] = provider_name


def session_provider() -> SignInProvider:
    """The provider the current session was signed in with (password for older sessions)."""
    return PROVIDERS.get(session.get(AUTH_PROVIDER_KEY, ""), provider())


def reauth_minutes() -> int:
    """How long a sign-in counts as recent, in minutes."""
    return int(current_app.config.get("PORTAL_REAUTH_MINUTES", DEFAULT_REAUTH_MINUTES))


def signed_in_recently() -> bool:
    """True when the user signed in or confirmed the password within the last N minutes."""
    stamp = session.get(AUTH_AT_KEY)
    return isinstance(stamp, int) and 0 <= time.time() - stamp <= reauth_minutes() * 60
