"""Each resource's way a system uses it: ledger reads, balance, upcoming, segments, campaigns, messages, preferences."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.accounts.models import Allocation
from app.audiences.models import Segment
from app.campaigns.models import Campaign, CampaignTemplate
from app.channels.models import Message
from app.core.clock import today_warsaw, utcnow
from tests.factories import (
    create_contractor,
    create_obligation,
    create_payment,
    create_staff_user,
    create_unit,
)


def test_ledger_balance_and_upcoming_of_a_contractor(api, db):
    unit = create_unit(code="UM", name="Urząd Miasta")
    firm = create_contractor(legacy_id="K1")
    due = today_warsaw() + timedelta(days=10)
    create_obligation(contractor=firm, unit=unit, legacy_id="N1", amount=Decimal("300.00"), due_on=due)
    paid = create_obligation(contractor=firm, unit=unit, legacy_id="N2", amount=Decimal("50.00"),
                             due_on=due, kind="OPL")
    payment = create_payment(contractor=firm, unit=unit, legacy_id="W1", amount=Decimal("50.00"))
    db.session.add(Allocation(payment_id=payment.id, obligation_id=paid.id, amount=Decimal("50.00")))
    db.session.commit()

    obligations = api.get("/api/v1/contractors/K1/obligations?kind=PON").get_json()
    payments = api.get("/api/v1/contractors/K1/payments").get_json()
    balance = api.get("/api/v1/contractors/K1/balance").get_json()
    upcoming = api.get("/api/v1/contractors/K1/upcoming?days=30").get_json()

    assert [(o["legacy_id"], o["amount"], o["unit_code"]) for o in obligations["items"]] == [("N1", "300.00", "UM")]
    assert [(p["legacy_id"], p["amount"]) for p in payments["items"]] == [("W1", "50.00")]
    assert balance["total"] == "300.00" and balance["units"] == [
        {"unit_code": "UM", "unit_name": "Urząd Miasta", "balance": "300.00"}]
    assert [(i["kind"], i["nominal_due_on"]) for i in upcoming["items"]] == [("PON", due.isoformat())]
    assert api.get("/api/v1/contractors/NOBODY/balance").status_code == 404


def test_segment_preview_counts_members_without_naming_them(api, db):
    create_contractor(legacy_id="A", district="Centrum")
    create_contractor(legacy_id="B", district="Zatorze")
    segment = Segment(name="Centrum", rule={"all": [{"field": "district", "op": "in", "value": ["Centrum"]}]})
    db.session.add(segment)
    db.session.commit()

    listed = api.get("/api/v1/segments").get_json()
    reach = api.get(f"/api/v1/segments/{segment.id}/preview").get_json()

    assert [s["name"] for s in listed["items"]] == ["Centrum"]
    assert reach["members"] == 1 and set(reach["reachable"]) == {"sms", "email"} and "sample" not in reach


def test_a_campaign_from_a_released_template_is_created_started_and_followed(api, db):
    approver = create_staff_user(roles=("approver",))
    segment = Segment(name="Wszyscy", rule={"all": []})
    db.session.add_all([segment, CampaignTemplate(
        name="Przetarg", category="economic", channel_mode="sms", sms_text="Nowy przetarg w Urzędzie Miasta.",
        api_released_by_id=approver.id, api_released_at=utcnow())])
    create_contractor()
    db.session.commit()

    created = api.post("/api/v1/campaigns", json={"template": "Przetarg", "segment_id": segment.id,
                                                  "name": "Przetarg 12/2026"})
    campaign_id = created.get_json()["id"]
    started = api.post(f"/api/v1/campaigns/{campaign_id}/start")
    again = api.post(f"/api/v1/campaigns/{campaign_id}/start")
    status = api.get(f"/api/v1/campaigns/{campaign_id}").get_json()
    unknown = api.post("/api/v1/campaigns", json={"template": "Nie ma"})

    assert created.status_code == 201 and created.get_json()["status"] == "draft"
    assert started.status_code == 200 and started.get_json()["status"] == "scheduled"
    assert again.status_code == 409 and again.get_json()["code"] == "campaign_refused"
    assert status["source"] == "api" and set(status["counts"]) >= {"total", "delivered"}
    assert unknown.status_code == 422 and "template" in unknown.get_json()["fields"]
    assert db.session.get(Campaign, campaign_id).approved_by_id == approver.id


def test_messages_by_id_and_by_phone(api, db):
    message = Message(idempotency_key="t-1", channel="sms", purpose="reminder", recipient="+48600100200",
                      body="Termin płatności", status="delivered")
    db.session.add(message)
    db.session.commit()

    one = api.get(f"/api/v1/messages/{message.id}").get_json()
    found = api.get("/api/v1/messages?phone=600 100 200").get_json()
    bad = api.get("/api/v1/messages?phone=123")

    assert one["status"] == "delivered" and "body" not in one
    assert [m["id"] for m in found["items"]] == [message.id]
    assert bad.status_code == 422 and "phone" in bad.get_json()["fields"]


def test_reminder_preferences_are_read_set_and_reset(api, db):
    create_contractor(legacy_id="K7")
    db.session.commit()

    before = api.get("/api/v1/contractors/K7/preferences").get_json()
    saved = api.put("/api/v1/contractors/K7/preferences/PON",
                    json={"days_before": [3], "channels": ["email"], "hour": 8})
    wrong = api.put("/api/v1/contractors/K7/preferences/PON", json={"days_before": [], "channels": ["sms"]})
    reset = api.delete("/api/v1/contractors/K7/preferences/PON").get_json()

    assert all(not t["own"] for t in before["topics"])
    assert saved.status_code == 200 and saved.get_json()["own"] and saved.get_json()["channels"] == ["email"]
    assert wrong.status_code == 422 and "days_before" in wrong.get_json()["fields"]
    assert reset["own"] is False and sorted(reset["days_before"]) == [1, 7]  # the office plan again
    from app.core.audit import AuditEntry

    sources = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action.like("reminders.preference_%")))
    assert [d["source"] for d in sources] == ["api", "api"]
