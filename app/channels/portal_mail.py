"""The email that confirms a portal user's address: written to the outbox when the portal asks."""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _

from app.channels.models import Purpose
from app.channels.outbox import NewMessage, create_messages
from app.core.signals import portal_email_verification


@portal_email_verification.connect
def send_verification_link(_sender, *, email: str, link: str, user_id: int | None = None, **_kwargs) -> list[int]:
    """Write the verification email in the caller's transaction (queued after it commits).

    The idempotency key names the user and the token, so the same link is never sent twice
    while a new link (a new token) is.
    """
    token = hashlib.sha256(link.encode()).hexdigest()[:32]
    body = _(
        "Hello,\n\nto finish creating your account in the business portal of the city office, "
        "open this link within 48 hours:\n\n%(link)s\n\n"
        "If you did not create an account, ignore this message.",
        link=link,
    )
    return create_messages([NewMessage(
        channel="email", recipient=email, purpose=Purpose.VERIFICATION,
        subject=_("Confirm your email address"), body=body,
        idempotency_key=f"portal-verify:{user_id or email}:{token}", origin="portal",
        urgent=True,  # a link someone waits for is not held by quiet hours
    )])
