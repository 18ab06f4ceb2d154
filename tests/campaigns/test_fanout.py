"""What recipients get: opt-outs, category choices, preferred channels, urgency, pauses and crashes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import CategoryPreference
from app.campaigns import fanout, workflow
from app.campaigns.models import Campaign, CampaignStatus, FanOutLane
from app.campaigns.results import results
from app.channels.models import ChannelPolicy, Message, OptOut
from tests.campaigns.conftest import messages_of
from tests.factories import create_unit

REACHABLE_SMS = {"+48600100200", "+48600100201", "+48600100202"}
REACHABLE_EMAIL = {"piekarnia@firma.pl", "warsztat@firma.pl", "biuro@sklep.pl"}


def approved(town, **values):
    """A campaign for district Centrum, approved (scheduled for now) but not yet started."""
    fields = dict(name="Festyn", category="cultural_event", channel_mode="both",
                  sms_text="Festyn w sobotę, {{ nazwa }}!", email_subject="Festyn",
                  email_text="Zapraszamy {{ nazwa }} na festyn.", segment_id=town.segment.id)
    fields.update(values)
    author = town.approver if fields.get("urgent") else town.author
    campaign = workflow.create_draft(author, **fields)
    workflow.submit(campaign, author)
    workflow.approve(campaign, town.approver)
    return campaign


def test_every_reachable_recipient_gets_one_message_per_channel(db, town):
    campaign = approved(town)
    assert fanout.start(campaign.id)
    sent = messages_of(db, campaign.id)
    assert set(sent) == REACHABLE_SMS | REACHABLE_EMAIL
    assert sent["+48600100201"].body == "Festyn w sobotę, Warsztat „Auto” & Syn!"


def test_a_large_audience_is_fanned_out_in_lanes_by_workers_side_by_side(app, db, town, stub_worker):
    app.config.update(CAMPAIGN_LANES=2, CAMPAIGN_LANE_MEMBERS=1)
    campaign = approved(town)
    assert fanout.start(campaign.id)  # the first lane here, the second by the worker
    stub_worker.join()
    db.session.expire_all()
    lanes = db.session.scalars(select(FanOutLane).where(FanOutLane.campaign_id == campaign.id)
                               .order_by(FanOutLane.lane)).all()
    assert len(lanes) == 2 and all(lane.done_at is not None for lane in lanes)
    assert lanes[0].last_member < lanes[1].first_member
    assert set(messages_of(db, campaign.id)) == REACHABLE_SMS | REACHABLE_EMAIL
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.origin == f"campaign:{campaign.id}")) == 6
    assert db.session.get(Campaign, campaign.id).fanned_out_at is not None


def test_a_campaign_is_not_fanned_out_while_a_lane_is_left(app, db, town):
    app.config.update(CAMPAIGN_LANES=2, CAMPAIGN_LANE_MEMBERS=1)
    campaign = approved(town)
    assert fanout._begin(campaign.id)
    fanout.fan_out(campaign.id, lane=1)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).fanned_out_at is None
    made_by_lane_1 = set(messages_of(db, campaign.id))
    assert made_by_lane_1 and made_by_lane_1 < REACHABLE_SMS | REACHABLE_EMAIL
    assert fanout.fan_out(campaign.id, lane=1) == 0  # a lane done is not done again
    fanout.fan_out(campaign.id, lane=0)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).fanned_out_at is not None
    assert set(messages_of(db, campaign.id)) == REACHABLE_SMS | REACHABLE_EMAIL


def test_a_fan_out_over_every_member_finishes_the_lanes_left(app, db, town):
    app.config.update(CAMPAIGN_LANES=2, CAMPAIGN_LANE_MEMBERS=1)
    campaign = approved(town)
    assert fanout._begin(campaign.id)
    fanout.fan_out(campaign.id)  # a stalled or resumed fan-out goes over every member
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).fanned_out_at is not None
    assert all(lane.done_at is not None for lane in db.session.scalars(select(FanOutLane)))
    assert fanout.fan_out(campaign.id, lane=0) == 0
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.origin == f"campaign:{campaign.id}")) == 6


def test_a_repeated_start_or_fan_out_creates_nothing_twice(db, town):
    campaign = approved(town)
    fanout.start(campaign.id)
    assert not fanout.start(campaign.id)
    db.session.execute(Message.__table__.update().values(status="created"))
    db.session.commit()
    campaign.fanned_out_at = None
    db.session.commit()
    workflow_status = db.session.get(type(campaign), campaign.id)
    workflow_status.status = CampaignStatus.SENDING
    db.session.commit()
    assert fanout.fan_out(campaign.id) == 0
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.origin == f"campaign:{campaign.id}")) == 6


def test_a_fan_out_that_crashed_mid_way_resumes_without_gaps_or_repeats(db, town, monkeypatch):
    campaign = approved(town)
    real = fanout.create_messages
    calls = {"n": 0}

    def crash_on_third_chunk(items, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("worker killed")
        return real(items, **kwargs)

    monkeypatch.setattr(fanout, "create_messages", crash_on_third_chunk)
    with pytest.raises(ConnectionError):
        fanout.fan_out(campaign.id, chunk=1) if fanout._begin(campaign.id) else None
    db.session.rollback()
    assert 0 < len(messages_of(db, campaign.id)) < 6
    monkeypatch.setattr(fanout, "create_messages", real)
    fanout.fan_out(campaign.id, chunk=1)
    sent = messages_of(db, campaign.id)
    assert set(sent) == REACHABLE_SMS | REACHABLE_EMAIL
    keys = db.session.scalars(select(Message.idempotency_key).where(Message.origin == f"campaign:{campaign.id}"))
    assert len(list(keys)) == 6


def test_stop_and_unsubscribed_addresses_are_recorded_as_opted_out_not_sent(db, town):
    db.session.add_all([OptOut(channel="sms", address="+48600100200", source="sms"),
                        OptOut(channel="email", address="biuro@sklep.pl", source="email-link")])
    db.session.commit()
    campaign = approved(town)
    fanout.start(campaign.id)
    sent = messages_of(db, campaign.id)
    assert sent["+48600100200"].status == "cancelled"
    assert sent["biuro@sklep.pl"].status == "cancelled"
    figures = results(campaign.id)
    assert figures.counts["opted_out"] == 2
    assert figures.counts["total"] == 6


def test_a_category_switched_off_is_honoured_per_channel(db, town):
    db.session.add(CategoryPreference(contractor_id=town.people["bakery"].id, category="cultural_event",
                                      sms=False, email=True))
    db.session.commit()
    campaign = approved(town)
    fanout.start(campaign.id)
    sent = messages_of(db, campaign.id)
    assert sent["+48600100200"].status == "cancelled"
    assert sent["piekarnia@firma.pl"].status in ("created", "sent", "sending")


def test_urgent_alerts_skip_category_choices_and_consent_but_not_stop(db, town):
    db.session.add(CategoryPreference(contractor_id=town.people["bakery"].id, category="disaster",
                                      sms=False, email=False))
    db.session.add(OptOut(channel="sms", address="+48600100201", source="sms"))
    db.session.commit()
    campaign = approved(town, name="Powódź", category="disaster", urgent=True, channel_mode="sms",
                        sms_text="Alarm powodziowy: ewakuacja.")
    fanout.start(campaign.id)
    sent = messages_of(db, campaign.id)
    assert sent["+48600100200"].status != "cancelled"  # the category cannot be switched off
    assert "+48600100203" in sent  # no consent, still warned
    assert sent["+48600100201"].status == "cancelled"  # STOP holds unless the unit says otherwise
    assert all(m.urgent for m in sent.values())


def test_a_unit_may_let_urgent_alerts_through_stop(db, town):
    unit = create_unit()
    db.session.add(ChannelPolicy(unit_id=unit.id, urgent_ignores_stop=True))
    db.session.add(OptOut(channel="sms", address="+48600100201", source="sms"))
    db.session.commit()
    campaign = approved(town, name="Powódź", category="disaster", urgent=True, channel_mode="sms",
                        sms_text="Alarm powodziowy.", unit_id=unit.id)
    fanout.start(campaign.id)
    assert messages_of(db, campaign.id)["+48600100201"].status != "cancelled"


def test_preferred_channel_with_fallback(db, town):
    town.people["bakery"].preferred_channel = "email"
    db.session.add(OptOut(channel="sms", address="+48600100201", source="sms"))  # garage: SMS refused
    db.session.commit()
    campaign = approved(town, channel_mode="preferred")
    fanout.start(campaign.id)
    sent = messages_of(db, campaign.id)
    assert set(sent) == {"piekarnia@firma.pl", "warsztat@firma.pl", "+48600100202", "biuro@sklep.pl"}
    assert all(m.status != "cancelled" for m in sent.values())


def test_quiet_hours_hold_normal_campaigns_but_not_urgent_ones(db, town, app):
    app.config["QUIET_HOURS"] = "00:00-23:59"
    normal = approved(town)
    fanout.start(normal.id)
    assert all(m.send_after is not None for m in messages_of(db, normal.id).values())
    urgent = approved(town, name="Burza", category="disaster", urgent=True, channel_mode="sms",
                      sms_text="Ostrzeżenie przed burzą.")
    fanout.start(urgent.id)
    assert all(m.send_after is None for m in messages_of(db, urgent.id).values())


def test_pause_holds_waiting_messages_and_resume_releases_them(db, town, monkeypatch):
    campaign = approved(town)
    assert fanout._begin(campaign.id)
    # Create the first member's messages only, as if the fan-out were interrupted by the pause.
    real = fanout.messages_for
    monkeypatch.setattr(fanout, "messages_for", lambda c, compiled, members: real(c, compiled, members[:1]))
    fanout.fan_out(campaign.id, chunk=1)
    monkeypatch.setattr(fanout, "messages_for", real)
    db.session.expire_all()
    workflow.pause(campaign, town.author)
    held = messages_of(db, campaign.id)
    assert held and all(m.send_after.year == 9999 for m in held.values())
    assert fanout.fan_out(campaign.id) == 0  # nothing is created while paused
    workflow.resume(campaign, town.author)
    assert all(m.send_after is None for m in messages_of(db, campaign.id).values())
    fanout.fan_out(campaign.id)
    assert set(messages_of(db, campaign.id)) == REACHABLE_SMS | REACHABLE_EMAIL


def test_cancel_stops_every_message_not_yet_with_a_provider(db, town):
    campaign = approved(town)
    fanout.start(campaign.id)
    first = next(iter(messages_of(db, campaign.id).values()))
    first.status = "sent"
    db.session.commit()
    db.session.refresh(campaign)
    campaign_status = campaign.status
    assert campaign_status == CampaignStatus.SENDING
    workflow.cancel(campaign, town.author)
    statuses = [m.status for m in messages_of(db, campaign.id).values()]
    assert statuses.count("sent") == 1 and statuses.count("cancelled") == 5
    assert results(campaign.id).counts["cancelled"] == 5


def test_a_campaign_whose_segment_broke_is_cancelled_with_the_reason(db, town):
    campaign = approved(town)
    town.segment.rule = {"field": "no_such_field", "op": "eq", "value": 1}
    db.session.commit()
    assert not fanout.start(campaign.id)
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.CANCELLED
    assert "no_such_field" in campaign.review_note
