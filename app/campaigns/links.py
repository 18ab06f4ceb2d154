"""Short signed links in messages: a business's personal portal link and the unsubscribe link.

A link carries ids in base 36 and an HMAC of them under the application's secret, cut to 12
characters (72 bits): short enough for an SMS, impossible to guess or to alter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


def _signature(purpose: str, body: str, key: bytes | None = None) -> str:
    key = key if key is not None else current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:12]


def sign(purpose: str, *ids: int, key: bytes | None = None) -> str:
    """A token naming `ids` for one purpose (`portal`, `unsubscribe`), under `key` (default: the secret)."""
    body = ".".join(_base36(i) for i in ids)
    return f"{body}.{_signature(purpose, body, key)}"


def verify(purpose: str, token: str, count: int) -> tuple[int, ...] | None:
    """The ids a token names, or None when it is malformed, altered or for another purpose."""
    parts = token.split(".")
    if len(parts) != count + 1 or len(token) > 80:
        return None
    body = ".".join(parts[:-1])
    if not hmac.compare_digest(parts[-1], _signature(purpose, body)):
        return None
    try:
        return tuple(int(p, 36) for p in parts[:-1])
    except ValueError:
        return None


def _link(prefix: str, purpose: str, *ids: int) -> str:
    """`PUBLIC_URL` + prefix + a token: the configuration read once (a campaign makes a link per recipient)."""
    config = current_app.config
    return f"{config['PUBLIC_URL'].rstrip('/')}{prefix}{sign(purpose, *ids, key=config['SECRET_KEY'].encode())}"


def personal_link(contractor_id: int) -> str:
    """The business's personal portal link, as placeholders put it into messages."""
    return _link("/p/", "portal", contractor_id)


def unsubscribe_link(campaign_id: int, contractor_id: int) -> str:
    """The unsubscribe link of one recipient of one campaign."""
    return _link("/wypisz/", "unsubscribe", campaign_id, contractor_id)
