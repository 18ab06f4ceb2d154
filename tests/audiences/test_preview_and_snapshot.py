"""What a communicator sees before sending, and what a send freezes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Consent, ContactPoint
from app.audiences.audience import Audience, count_members, explain, preview
from app.audiences.lists import add_members
from app.audiences.models import SnapshotMember, SnapshotRecipient, StaticList
from app.audiences.snapshot import freeze
from app.channels.models import OptOut
from tests.factories import create_contractor

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def contractor(db, *, phone=None, email=None, sms_consent=True, email_consent=True, **fields):
    c = create_contractor(**fields)
    for channel, value, consent in (("sms", phone, sms_consent), ("email", email, email_consent)):
        if value:
            values = [value] if isinstance(value, str) else value
            for v in values:
                db.session.add(ContactPoint(contractor_id=c.id, channel=channel, value=v))
        if consent is not None:
            db.session.add(Consent(contractor_id=c.id, channel=channel, granted=consent, source="legacy",
                                   recorded_at=STAMP))
    db.session.flush()
    return c


@pytest.fixture
def street(db):
    """One contractor per reason a channel may not reach it, all in district Centrum."""
    people = {
        "reachable": contractor(db, phone="+48600100200", email="a@firma.pl"),
        "no_address": contractor(db),
        "no_consent": contractor(db, phone="+48600100201", email="b@firma.pl", sms_consent=False,
                                 email_consent=None),
        "landline": contractor(db, phone="+48876543210", email="c@firma.pl"),
        "bounced": contractor(db, phone="+48600100203", email="d@firma.pl"),
        "opted_out": contractor(db, phone="+48600100204", email="e@firma.pl"),
        "elsewhere": contractor(db, phone="+48600100205", district="Zatorze"),
    }
    point = db.session.scalar(select(ContactPoint).where(ContactPoint.value == "d@firma.pl"))
    point.unusable_reason = "bounced"
    db.session.add_all([OptOut(channel="sms", address="+48600100204", source="sms"),
                        OptOut(channel="email", address="e@firma.pl", source="email-link")])
    db.session.commit()
    return people


CENTRUM = {"field": "district", "op": "eq", "value": "Centrum"}


def test_preview_counts_members_reach_and_the_reasons_of_the_rest(street):
    result = preview(Audience.from_json(CENTRUM))
    assert result.members == 6
    assert result.reachable == {"sms": 2, "email": 2}  # reachable, + bounced email's phone / landline's email
    assert result.reasons["sms"] == {"no_address": 1, "no_consent": 1, "invalid_address": 1,
                                     "bounced": 0, "opted_out": 1}
    assert result.reasons["email"] == {"no_address": 1, "no_consent": 1, "invalid_address": 0,
                                       "bounced": 1, "opted_out": 1}
    assert result.any_channel == 3
    assert {row["legacy_id"] for row in result.sample} == {c.legacy_id for k, c in street.items()
                                                          if k != "elsewhere"}


def test_an_office_allowing_landlines_reaches_them(street, app):
    app.config["SMS_ALLOW_NON_MOBILE"] = True
    result = preview(Audience.from_json(CENTRUM))
    assert result.reachable["sms"] == 3
    assert result.reasons["sms"]["invalid_address"] == 0


def test_static_lists_add_and_take_away_members(db, street):
    vip = StaticList(name="VIP")
    blocked = StaticList(name="Nie wysyłać")
    db.session.add_all([vip, blocked])
    db.session.flush()
    add_members(vip.id, [street["elsewhere"].id])
    add_members(blocked.id, [street["reachable"].id])
    audience = Audience.from_json(CENTRUM, include_lists=[vip.id], exclude_lists=[blocked.id])
    assert count_members(audience) == 6
    only_lists = Audience(None, include_lists=(vip.id,))
    assert count_members(only_lists) == 1
    why = explain(audience, street["reachable"].id)
    assert not why.member
    assert [line["holds"] for line in why.lines] == [True, False, True]


def test_explanation_walks_the_rule(street):
    rule = {"all": [CENTRUM, {"not": {"field": "reachable_sms", "op": "is_true"}}]}
    why = explain(Audience.from_json(rule), street["landline"].id)
    assert why.member
    assert [(line["depth"], line["holds"]) for line in why.lines] == [(0, True), (1, True), (1, True),
                                                                      (2, False)]
    assert "Osiedle" in why.lines[1]["text"] and "Centrum" in why.lines[1]["text"]


def test_snapshot_freezes_members_and_one_address_per_phone_or_email(db, street):
    shared = contractor(db, phone="+48600100200", email="A@firma.pl")  # same phone as "reachable"
    verified = contractor(db, phone=["+48600100300", "+48600100301"])
    point = db.session.scalar(select(ContactPoint).where(ContactPoint.value == "+48600100300"))
    point.verified_at = STAMP
    db.session.commit()

    snapshot = freeze(Audience.from_json(CENTRUM), origin="campaign:1")
    assert snapshot.members == 8
    recipients = db.session.execute(
        select(SnapshotRecipient.channel, SnapshotRecipient.address, SnapshotRecipient.contractor_id,
               SnapshotRecipient.sharing).where(SnapshotRecipient.snapshot_id == snapshot.id)
    ).all()
    by_address = {(r.channel, r.address): r for r in recipients}
    assert set(by_address) == {("sms", "+48600100200"), ("sms", "+48600100203"), ("sms", "+48600100300"),
                               ("email", "a@firma.pl"), ("email", "c@firma.pl")}
    assert by_address[("sms", "+48600100200")].contractor_id == street["reachable"].id
    assert by_address[("sms", "+48600100200")].sharing == 2
    assert snapshot.recipients == 5
    assert verified.id == by_address[("sms", "+48600100300")].contractor_id

    # Later changes do not touch the frozen audience.
    contractor(db, phone="+48600100999")
    db.session.commit()
    frozen = set(db.session.scalars(select(SnapshotMember.contractor_id).where(
        SnapshotMember.snapshot_id == snapshot.id)))
    assert len(frozen) == 8 and shared.id in frozen and verified.id in frozen


def test_an_urgent_snapshot_may_skip_consent_and_opt_outs(street):
    snapshot = freeze(Audience.from_json(CENTRUM), channels=["sms"], require_consent=False,
                      honour_opt_outs=False)
    assert snapshot.recipients == 4  # all but the contractor without a phone and the landline
