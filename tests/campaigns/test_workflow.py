"""Who may take which step of a campaign, and what each step leaves behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.campaigns import fanout, workflow
from app.campaigns.content import ContentError
from app.campaigns.models import CampaignStatus
from app.campaigns.workflow import WorkflowError
from app.channels.models import Message
from app.core.audit import AuditEntry
from app.core.clock import utcnow
from tests.factories import create_staff_user


def draft(town, **values):
    fields = dict(name="Targi", category="economic", channel_mode="sms",
                  sms_text="Targi pracy w piątek, {{ nazwa }}.", segment_id=town.segment.id)
    fields.update(values)
    return workflow.create_draft(town.author, **fields)


def actions(db, campaign):
    return [a.action for a in db.session.scalars(
        select(AuditEntry).where(AuditEntry.target == f"campaign:{campaign.id}").order_by(AuditEntry.id))]


def test_the_author_cannot_approve_their_own_campaign_but_another_approver_can(db, town):
    author_approver = create_staff_user(roles=("approver",))
    campaign = workflow.create_draft(author_approver, name="Przetarg", category="economic", channel_mode="sms",
                                     sms_text="Nowy przetarg.", segment_id=town.segment.id)
    workflow.submit(campaign, author_approver)
    assert not workflow.may_approve(campaign, author_approver)
    with pytest.raises(WorkflowError, match="ktoś inny niż jej autor"):
        workflow.approve(campaign, author_approver)
    workflow.approve(campaign, town.approver)
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.approved_by_id == town.approver.id


def test_an_approver_may_approve_their_own_urgent_alert_and_the_audit_says_so(db, town):
    campaign = workflow.create_draft(town.approver, name="Powódź", category="disaster", urgent=True,
                                     channel_mode="sms", sms_text="Alarm powodziowy.", segment_id=town.segment.id)
    workflow.submit(campaign, town.approver)
    workflow.approve(campaign, town.approver)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.approved"))
    assert entry.details["own_urgent_alert"] is True


def test_only_disaster_alerts_may_be_urgent(db, town):
    with pytest.raises(WorkflowError, match="klęskach żywiołowych"):
        draft(town, urgent=True)


def test_a_communicator_cannot_approve(db, town):
    campaign = draft(town)
    workflow.submit(campaign, town.author)
    other = create_staff_user(roles=("communicator",))
    with pytest.raises(WorkflowError, match="roli"):
        workflow.approve(campaign, other)


def test_submit_refuses_unknown_placeholders_naming_them(db, town):
    campaign = draft(town, sms_text="Dzień dobry {{ nazwaa }}, {{ atrybut.BRANZ }}")
    with pytest.raises(ContentError) as caught:
        workflow.submit(campaign, town.author)
    messages = " ".join(caught.value.errors["sms_text"])
    assert "{{ nazwaa }}" in messages and "{{ nazwa }}" in messages  # the unknown one and a suggestion
    assert "{{ atrybut.BRANZ }}" in messages and "BRANZA" in messages
    assert campaign.status == CampaignStatus.DRAFT


def test_submit_without_an_audience_is_refused(db, town):
    campaign = draft(town, segment_id=None)
    with pytest.raises(WorkflowError, match="segment lub listę statyczną"):
        workflow.submit(campaign, town.author)


def test_rejection_needs_a_reason_and_returns_the_draft(db, town):
    campaign = draft(town)
    workflow.submit(campaign, town.author)
    with pytest.raises(WorkflowError):
        workflow.reject(campaign, town.approver, "  ")
    workflow.reject(campaign, town.approver, "Proszę dodać godzinę.")
    assert campaign.status == CampaignStatus.DRAFT and campaign.review_note == "Proszę dodać godzinę."
    workflow.update_draft(campaign, town.author, sms_text="Targi pracy w piątek o 10:00.")
    workflow.submit(campaign, town.author)
    assert campaign.review_note is None


def test_only_drafts_are_edited(db, town):
    campaign = draft(town)
    workflow.submit(campaign, town.author)
    with pytest.raises(WorkflowError):
        workflow.update_draft(campaign, town.author, sms_text="Zmiana po wysłaniu do akceptacji")


def test_a_campaign_for_later_waits_until_its_time(db, town):
    campaign = draft(town, send_at=utcnow() + timedelta(hours=2))
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    assert campaign.status == CampaignStatus.SCHEDULED
    assert not fanout.start(campaign.id)  # too early
    assert fanout.due_work()["due"] == []
    workflow.reschedule(campaign, town.author, None)
    assert [c for c, _ in fanout.due_work()["due"]] == [campaign.id]
    assert fanout.start(campaign.id)
    db.session.expire_all()
    assert campaign.status == CampaignStatus.FINISHED or campaign.status == CampaignStatus.SENDING


def test_the_test_send_goes_to_the_author_and_is_remembered(db, town):
    campaign = draft(town, channel_mode="both", email_subject="Targi", email_text="Zapraszamy {{ nazwa }}.")
    workflow.send_test(campaign, town.author)
    tests = db.session.scalars(select(Message).where(Message.origin == f"campaign-test:{campaign.id}")).all()
    assert {m.recipient for m in tests} == {town.author.phone, town.author.email}
    email = next(m for m in tests if m.channel == "email")
    assert email.subject.startswith("[TEST]")
    workflow.submit(campaign, town.author)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.submitted"))
    assert entry.details["tested"] is True


def test_every_step_is_audited(db, town, drain):
    campaign = draft(town)
    workflow.send_test(campaign, town.author)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    drain()
    assert actions(db, campaign) == [
        "campaign.created", "campaign.test_sent", "campaign.submitted", "campaign.approved",
        "campaign.scheduled", "campaign.started", "campaign.finished",
    ]
