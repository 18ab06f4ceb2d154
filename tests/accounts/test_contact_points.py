"""Phones saved through the model know whether they can receive an SMS."""

from __future__ import annotations

from app.accounts.models import ContactPoint
from tests.factories import create_contractor


def test_a_phone_is_classified_when_saved_and_again_when_its_number_changes(db):
    point = ContactPoint(contractor_id=create_contractor().id, channel="sms", value="+48600100200")
    db.session.add(point)
    db.session.flush()
    assert point.number_class == "mobile"

    point.value = "+48876210000"  # a landline in Ełk
    db.session.flush()
    assert point.number_class == "not-mobile"

    point.channel = "email"
    point.value = "biuro@firma.pl"
    db.session.flush()
    assert point.number_class is None
