"""Linking a portal user to a business: at once with the office's code, or by a request the office decides.

The office code is not stored: it is an HMAC of the contractor's id with the SECRET_KEY, written in
Crockford's base32 (no I, L, O, U), so staff can print it in a letter and the business can type it.
Changing the SECRET_KEY changes every code.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from flask import current_app
from sqlalchemy import select
from stdnum.exceptions import ValidationError as NipError
from stdnum.pl import nip as nip_numbers

from app.accounts.models import Contractor, LinkStatus, PortalLink, PortalUser, RecordStatus
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db

#: Crockford's base32: digits and letters without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
#: Letters people type for the digits they look like.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def link_code(contractor_id: int) -> str:
    """The contractor's 8-character office code (HMAC of its id with the SECRET_KEY)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"portal-link:{contractor_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")  # 40 bits = 8 base32 characters
    return "".join(ALPHABET[(number >> shift) & 31] for shift in range(35, -1, -5))


def clean_code(text: str | None) -> str:
    """The code as typed, upper case, without spaces or dashes, look-alike letters read as digits."""
    kept = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return kept.translate(_LOOKALIKES)


def clean_nip(text: str | None) -> str | None:
    """The NIP as 10 digits, or None when it is not a valid NIP."""
    try:
        return nip_numbers.validate(text or "")
    except NipError:
        return None


class LinkResult(StrEnum):
    """What became of a request to link a business."""

    CONFIRMED = "confirmed"  # the code was right: linked at once
    REQUESTED = "requested"  # waits for the office
    ALREADY_LINKED = "already_linked"
    ALREADY_REQUESTED = "already_requested"
    REFUSED_BEFORE = "refused_before"  # the office rejected an earlier request
    NOT_FOUND = "not_found"  # no active business with this NIP
    WRONG_CODE = "wrong_code"


@dataclass
class LinkOutcome:
    """The result and the business concerned (None when nothing was found or the code was wrong)."""

    result: LinkResult
    contractor: Contractor | None = None


def _businesses_with_nip(nip: str) -> list[Contractor]:
    return list(db.session.scalars(select(Contractor).where(
        Contractor.nip == nip, Contractor.status == RecordStatus.ACTIVE).order_by(Contractor.id)))


def _link_of(user: PortalUser, contractor: Contractor) -> PortalLink | None:
    return db.session.scalar(select(PortalLink).where(
        PortalLink.portal_user_id == user.id, PortalLink.contractor_id == contractor.id))


@transactional
def link_business(user: PortalUser, nip: str, code: str | None) -> LinkOutcome:
    """Link the user to the business with this NIP: confirmed with the right code, else requested.

    A wrong code links nothing (audited). Without a code, a request waits for the office.
    """
    businesses = _businesses_with_nip(nip)
    typed = clean_code(code)
    label = dict(actor_type="portal", actor_id=user.id, actor_label=user.email)
    if not businesses:
        audit.record("portal_link.not_found", **label, nip=nip)
        return LinkOutcome(LinkResult.NOT_FOUND)
    if typed:
        match = next((c for c in businesses if hmac.compare_digest(link_code(c.id), typed)), None)
        if match is None:
            audit.record("portal_link.wrong_code", **label, nip=nip)
            return LinkOutcome(LinkResult.WRONG_CODE)
        return LinkOutcome(_confirm_by_code(user, match, label), match)
    contractor = businesses[0]
    link = _link_of(user, contractor)
    if link is not None:
        return LinkOutcome({LinkStatus.CONFIRMED: LinkResult.ALREADY_LINKED,
                            LinkStatus.REJECTED: LinkResult.REFUSED_BEFORE}.get(
            link.status, LinkResult.ALREADY_REQUESTED), contractor)
    link = PortalLink(user=user, contractor=contractor, status=LinkStatus.REQUESTED, method="office")
    db.session.add(link)
    db.session.flush()
    audit.record("portal_link.requested", **label, target=f"portal_link:{link.id}", contractor_id=contractor.id)
    return LinkOutcome(LinkResult.REQUESTED, contractor)


def _confirm_by_code(user: PortalUser, contractor: Contractor, label: dict) -> LinkResult:
    link = _link_of(user, contractor)
    if link is not None and link.status == LinkStatus.CONFIRMED:
        return LinkResult.ALREADY_LINKED
    if link is None:
        link = PortalLink(user=user, contractor=contractor)
        db.session.add(link)
    link.status, link.method, link.decided_at, link.decided_by_id = LinkStatus.CONFIRMED, "code", utcnow(), None
    db.session.flush()
    audit.record("portal_link.confirmed_by_code", **label, target=f"portal_link:{link.id}",
                 contractor_id=contractor.id)
    return LinkResult.CONFIRMED
