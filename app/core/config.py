"""Configuration read from environment variables, with documented defaults.

Every setting can be overridden by an environment variable of the same name. The embedded
default (no variables set) is a SQLite file, an in-process dramatiq worker and scheduler and
the outbox channel.
"""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", Path.cwd() / "instance"))


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "t"}


class Config:
    """Settings of a running platform; class attributes are read by Flask."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'powiadomienia.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Run the dramatiq worker and the scheduler inside the web process (embedded default).
    EMBEDDED_WORKER = _flag("EMBEDDED_WORKER", not os.environ.get("REDIS_URL"))
    EMBEDDED_SCHEDULER = _flag("EMBEDDED_SCHEDULER", not os.environ.get("REDIS_URL"))
    TIMEZONE = os.environ.get("TIMEZONE", "Europe/Warsaw")
    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "pl")
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("pl", "en")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
    # Phone numbers without a country code are read as numbers of this region.
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "PL")
    # Where `flask legacy import` without a path and the nightly job look for snapshots.
    LEGACY_INBOX = os.environ.get("LEGACY_INBOX", str(INSTANCE_DIR / "legacy-inbox"))
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    TESTING = False


class TestConfig(Config):
    """Settings for the test suite; the tests pass the database URL in."""

    TESTING = True
    SECRET_KEY = "test-secret"
    EMBEDDED_WORKER = False
    EMBEDDED_SCHEDULER = False
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
