"""Which provider serves each channel, read from configuration (the outbox when unset)."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

from flask import current_app

from app.channels.numbers import SmsNumberPolicy
from app.channels.providers.outbox import OutboxProvider

_cache: dict[tuple, object] = {}


def webhook_secret() -> str:
    """The secret in SMSAPI callback URLs: WEBHOOK_SECRET, or one derived from SECRET_KEY."""
    config = current_app.config
    if config.get("WEBHOOK_SECRET"):
        return config["WEBHOOK_SECRET"]
    key = str(config["SECRET_KEY"]).encode()
    return hmac.new(key, b"provider-webhooks", hashlib.sha256).hexdigest()[:32]


def sms_report_url() -> str:
    """The public URL SMSAPI calls with delivery reports."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return f"{base}/hooks/smsapi/{webhook_secret()}/reports"


def provider_for(channel: str):
    """The provider of a channel under the current configuration (one object per settings)."""
    config = current_app.config
    if channel == "sms":
        key = ("sms", config["SMSAPI_TOKEN"], config["SMSAPI_URL"], config["SMSAPI_BATCH"],
               config["PROVIDER_TIMEOUT"], config["PUBLIC_URL"])
    else:
        key = ("email", config["SENDGRID_API_KEY"], config["SENDGRID_URL"], config["SENDGRID_BATCH"],
               config["PROVIDER_TIMEOUT"], config["MAIL_FROM"])
    provider = _cache.get(key)
    if provider is None:
        provider = _cache[key] = _build(channel)
    return provider


def _build(channel: str):
    config = current_app.config
    if channel == "sms" and config["SMSAPI_TOKEN"]:
        from app.channels.providers.smsapi import SmsapiProvider

        return SmsapiProvider(
            config["SMSAPI_URL"],
            config["SMSAPI_TOKEN"],
            notify_url=sms_report_url(),
            batch_size=config["SMSAPI_BATCH"],
            timeout=config["PROVIDER_TIMEOUT"],
        )
    if channel == "email" and config["SENDGRID_API_KEY"]:
        from app.channels.providers.sendgrid import SendgridProvider

        return SendgridProvider(
            config["SENDGRID_URL"],
            config["SENDGRID_API_KEY"],
            from_email=config["MAIL_FROM"],
            from_name=config["MAIL_FROM_NAME"],
            batch_size=config["SENDGRID_BATCH"],
            timeout=config["PROVIDER_TIMEOUT"],
        )
    return OutboxProvider(channel, sms_price())


def provider_rate(name: str) -> float | None:
    """Requests per second allowed for a provider (None = unlimited, the outbox)."""
    config = current_app.config
    return {"smsapi": config["SMSAPI_RATE"], "sendgrid": config["SENDGRID_RATE"]}.get(name)


def sms_price() -> Decimal:
    """Price of one SMS part in PLN, for estimates and the outbox."""
    return Decimal(str(current_app.config["SMS_PRICE_PER_PART"]))


def number_policy() -> SmsNumberPolicy:
    """Which numbers may receive an SMS, from configuration."""
    config = current_app.config
    return SmsNumberPolicy(
        home_region=config["DEFAULT_PHONE_REGION"],
        allow_foreign=config["SMS_ALLOW_FOREIGN"],
        allow_non_mobile=config["SMS_ALLOW_NON_MOBILE"],
    )
