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
    # Connections a process keeps open: as many as a worker's threads, so none is opened per task.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True,
                                       "pool_size": int(os.environ.get("DATABASE_POOL_SIZE", "10"))}
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

    # --- Channels: providers (unset token/key = the outbox provider), rates and batches ---
    SMSAPI_TOKEN = os.environ.get("SMSAPI_TOKEN", "")
    SMSAPI_URL = os.environ.get("SMSAPI_URL", "https://api.smsapi.pl/")
    SMSAPI_RATE = float(os.environ.get("SMSAPI_RATE", "50"))  # requests per second, all workers
    SMSAPI_BATCH = int(os.environ.get("SMSAPI_BATCH", "500"))  # numbers per request
    SENDGRID_API_KEY = os.environ.get("SENDGRID_API_KEY", "")
    SENDGRID_URL = os.environ.get("SENDGRID_URL", "https://api.sendgrid.com")
    SENDGRID_RATE = float(os.environ.get("SENDGRID_RATE", "20"))  # requests per second
    SENDGRID_BATCH = int(os.environ.get("SENDGRID_BATCH", "1000"))  # personalizations per request
    # The public key of SendGrid's signed Event Webhook (base64 DER, from SendGrid's settings).
    SENDGRID_WEBHOOK_PUBLIC_KEY = os.environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY", "")
    SENDGRID_EVENT_MAX_AGE = int(os.environ.get("SENDGRID_EVENT_MAX_AGE", "600"))  # seconds
    PROVIDER_TIMEOUT = float(os.environ.get("PROVIDER_TIMEOUT", "30"))  # seconds per request
    # Secret part of the SMSAPI callback URLs (/hooks/smsapi/<secret>/...).
    WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", "")
    SMS_SENDER = os.environ.get("SMS_SENDER", "")  # registered sender name; empty = SMSAPI default
    SMS_MAX_PARTS = int(os.environ.get("SMS_MAX_PARTS", "6"))
    SMS_PRICE_PER_PART = os.environ.get("SMS_PRICE_PER_PART", "0.16")  # PLN, for estimates
    SMS_ALLOW_FOREIGN = _flag("SMS_ALLOW_FOREIGN", False)
    SMS_ALLOW_NON_MOBILE = _flag("SMS_ALLOW_NON_MOBILE", False)
    SMS_HELP_TEXT = os.environ.get(
        "SMS_HELP_TEXT",
        "Urzad Miasta: powiadomienia o terminach i wydarzeniach. STOP - wypisanie, START - "
        "ponowne zapisanie. Pytania: odpisz na ten numer.",
    )
    MAIL_FROM = os.environ.get("MAIL_FROM", "powiadomienia@urzad.example.pl")
    MAIL_FROM_NAME = os.environ.get("MAIL_FROM_NAME", "Urząd Miasta")
    # Non-urgent messages due in these hours (Europe/Warsaw) wait for the end of them.
    QUIET_HOURS = os.environ.get("QUIET_HOURS", "20:00-08:00")
    MESSAGE_BATCH = int(os.environ.get("MESSAGE_BATCH", "500"))  # message ids per worker task
    MESSAGE_MAX_ATTEMPTS = int(os.environ.get("MESSAGE_MAX_ATTEMPTS", "8"))
    RETRY_BASE_SECONDS = float(os.environ.get("RETRY_BASE_SECONDS", "15"))
    # A message `created` and queued this long ago, or `sending` this long, is looked at again.
    STALE_QUEUED_SECONDS = int(os.environ.get("STALE_QUEUED_SECONDS", "600"))
    STUCK_SENDING_SECONDS = int(os.environ.get("STUCK_SENDING_SECONDS", "900"))
    # Members whose messages a campaign's fan-out creates per transaction.
    CAMPAIGN_CHUNK = int(os.environ.get("CAMPAIGN_CHUNK", "2000"))
    # Lanes a large campaign's fan-out is split into, each run by a worker of its own, and the
    # fewest members a lane gets (a smaller audience is fanned out by one worker).
    CAMPAIGN_LANES = int(os.environ.get("CAMPAIGN_LANES", "2"))
    CAMPAIGN_LANE_MEMBERS = int(os.environ.get("CAMPAIGN_LANE_MEMBERS", "10000"))
    # Bounces, drops and spam reports after which an email address is no longer used.
    EMAIL_FAILURES_BEFORE_UNUSABLE = int(os.environ.get("EMAIL_FAILURES_BEFORE_UNUSABLE", "1"))
    # --- Online payments: `sandbox` (a built-in page plays the bank) or `przelewy24` ---
    PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "sandbox")
    P24_URL = os.environ.get("P24_URL", "https://secure.przelewy24.pl")  # sandbox.przelewy24.pl to test
    P24_MERCHANT_ID = int(os.environ.get("P24_MERCHANT_ID") or "0")
    P24_POS_ID = int(os.environ.get("P24_POS_ID") or os.environ.get("P24_MERCHANT_ID") or "0")
    P24_API_KEY = os.environ.get("P24_API_KEY", "")
    P24_CRC = os.environ.get("P24_CRC", "")
    # Minutes after signing in in which a portal user may change a phone or email without the password.
    PORTAL_REAUTH_MINUTES = int(os.environ.get("PORTAL_REAUTH_MINUTES", "15"))
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
