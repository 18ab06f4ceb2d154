"""The life of a campaign: draft, submitted, approved and scheduled, sending, paused, finished, cancelled.

Every step checks who may take it, is written to the audit log, and enqueues work only after
its transaction commits. An approver approves campaigns of others (four eyes); an urgent alert
an approver wrote may be approved by that approver at once, and the audit says so.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update

from app.accounts.models import CampaignCategory, StaffUser
from app.audiences.audience import sample_members
from app.audiences.rules import RuleError
from app.campaigns.content import ContentError, compile_content, content_problems, digest
from app.campaigns.models import (
    CLOSED,
    EDITABLE,
    Campaign,
    CampaignStatus,
    CampaignTemplate,
    ChannelMode,
    origin_of,
)
from app.campaigns.placeholders import contexts_for, example_context
from app.campaigns.targeting import AudienceMissing, audience_of, estimate, unit_name
from app.channels.models import Message, MessageStatus, Purpose
from app.channels.outbox import NewMessage, create_messages, queue_due
from app.core import audit
from app.core.clock import as_utc, utcnow
from app.core.db import after_commit, transactional
from app.core.extensions import db
from app.core.roles import Role

#: A `send_after` no message reaches: how a paused campaign holds its waiting messages.
HELD_UNTIL = datetime(9999, 1, 1)

#: Fields of a campaign an author may set while it is a draft.
DRAFT_FIELDS = (
    "name", "category", "urgent", "unit_id", "channel_mode", "sms_text", "sms_transliterate",
    "email_subject", "email_text", "email_html", "segment_id", "include_list_ids",
    "exclude_list_ids", "send_at", "expires_at", "template_id",
)


class WorkflowError(ValueError):
    """A step that may not be taken now, or not by this user; the message says why."""


def _record(action: str, campaign: Campaign, user: StaffUser | None, **details: Any) -> None:
    audit.record(
        f"campaign.{action}",
        actor_type="staff" if user is not None else "system",
        actor_id=user.id if user is not None else None,
        actor_label=user.email if user is not None else None,
        target=origin_of(campaign.id),
        **details,
    )


def _require(user: StaffUser, *roles: Role) -> None:
    if not user.has_role(*roles):
        raise WorkflowError(_("You do not have the role this step needs."))


def _expect(campaign: Campaign, *statuses: CampaignStatus) -> None:
    if campaign.status not in statuses:
        raise WorkflowError(_("This step is not possible while the campaign is %(status)s.",
                              status=status_label(campaign.status)))


def status_label(status: str) -> str:
    """A campaign status in the user's language."""
    from app.campaigns.labels import STATUS_LABELS

    return str(STATUS_LABELS.get(status, status))


def _check_fields(values: dict[str, Any]) -> None:
    if "category" in values and values["category"] not in CampaignCategory.__members__.values():
        raise WorkflowError(_("Unknown category: %(value)s", value=values["category"]))
    if "channel_mode" in values and values["channel_mode"] not in ChannelMode.__members__.values():
        raise WorkflowError(_("Unknown channel choice: %(value)s", value=values["channel_mode"]))
    unknown = set(values) - set(DRAFT_FIELDS)
    if unknown:
        raise WorkflowError(_("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))
    for key in ("include_list_ids", "exclude_list_ids"):
        if key in values:
            values[key] = sorted({int(v) for v in values[key] or []})


def _check_urgency(campaign: Campaign) -> None:
    if campaign.urgent and campaign.category != CampaignCategory.DISASTER:
        raise WorkflowError(_("Only natural-disaster alerts may be urgent."))


@transactional
def create_draft(author: StaffUser, **values: Any) -> Campaign:
    """A new draft written by `author`."""
    _require(author, Role.COMMUNICATOR, Role.APPROVER)
    _check_fields(values)
    campaign = Campaign(created_by_id=author.id, status=CampaignStatus.DRAFT, **values)
    _check_urgency(campaign)
    db.session.add(campaign)
    db.session.flush()
    _record("created", campaign, author, name=campaign.name)
    return campaign


@transactional
def update_draft(campaign: Campaign, user: StaffUser, **values: Any) -> Campaign:
    """Change a draft's texts, audience or timing."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _expect(campaign, *EDITABLE)
    _check_fields(values)
    changed = sorted(k for k, v in values.items() if _comparable(getattr(campaign, k)) != _comparable(v))
    for key, value in values.items():
        setattr(campaign, key, value)
    _check_urgency(campaign)
    if changed:
        _record("edited", campaign, user, fields=changed)
    return campaign


@transactional
def draft_from_template(template: CampaignTemplate, author: StaffUser | None, *, name: str | None = None,
                        source: str = "admin", **values: Any) -> Campaign:
    """A draft with a template's texts; `values` (audience, timing) are set besides."""
    if author is not None:
        _require(author, Role.COMMUNICATOR, Role.APPROVER)
    if not template.is_active:
        raise WorkflowError(_("The template %(name)s is not in use.", name=template.name))
    _check_fields(values)
    campaign = Campaign(
        name=name or template.name, category=template.category, channel_mode=template.channel_mode,
        sms_text=template.sms_text, email_subject=template.email_subject, email_text=template.email_text,
        email_html=template.email_html, template_id=template.id, source=source,
        created_by_id=author.id if author is not None else None, status=CampaignStatus.DRAFT,
        urgent=template.category == CampaignCategory.DISASTER,
    )
    for key, value in values.items():
        setattr(campaign, key, value)
    _check_urgency(campaign)
    db.session.add(campaign)
    db.session.flush()
    _record("created", campaign, author, name=campaign.name, template=template.name, source=source)
    return campaign


@transactional
def start_from_template(template: CampaignTemplate, *, integration: str, name: str | None = None,
                        **values: Any) -> Campaign:
    """A campaign an integration starts (API): released templates go out, others wait for approval."""
    campaign = draft_from_template(template, None, name=name, source="api", **values)
    return start_api_draft(campaign, integration=integration)


@transactional
def start_api_draft(campaign: Campaign, *, integration: str) -> Campaign:
    """Start a draft an integration made from a template, as `start_from_template` does."""
    _expect(campaign, CampaignStatus.DRAFT)
    template = campaign.template
    if campaign.source != "api" or template is None:
        raise WorkflowError(_("Only drafts an integration made from a template can be started this way."))
    _ready(campaign)
    now = utcnow()
    campaign.submitted_at = now
    if template.api_released_at is None:
        campaign.status = CampaignStatus.SUBMITTED
        _record("submitted", campaign, None, integration=integration)
        return campaign
    campaign.approved_at = now
    campaign.approved_by_id = template.api_released_by_id
    _schedule(campaign, None, integration=integration, released_by=template.api_released_by_id)
    return campaign


def _ready(campaign: Campaign) -> None:
    """Refuse a campaign whose texts or audience cannot be sent."""
    errors = content_problems(campaign)
    if errors:
        raise ContentError(errors)
    try:
        campaign.estimate = estimate(campaign)
    except AudienceMissing as error:
        raise WorkflowError(_("Choose a segment or a static list.")) from error
    except RuleError as error:
        raise WorkflowError(_("The segment's rule is no longer valid: %(errors)s",
                              errors="; ".join(error.errors.values()))) from error


@transactional
def send_test(campaign: Campaign, user: StaffUser) -> list[int]:
    """Send the campaign's texts to the user's own phone and email, as its first member would get them."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    errors = content_problems(campaign)
    if errors:
        raise ContentError(errors)
    compiled = compile_content(campaign, unit_name(campaign))
    sample_id = None
    try:
        sample = sample_members(audience_of(campaign), 1)
        sample_id = sample[0]["id"] if sample else None
    except (AudienceMissing, RuleError):
        pass
    context = _sample_context(campaign, compiled, sample_id)
    mode = campaign.mode
    items: list[NewMessage] = []
    key = uuid.uuid4().hex
    if "sms" in mode.channels:
        if not user.phone:
            raise WorkflowError(_("Add your phone number to your account to receive a test SMS."))
        sms = compiled.sms(context)
        items.append(NewMessage(channel="sms", recipient=user.phone, body=sms.body, purpose=Purpose.TEST,
                                idempotency_key=f"campaign-test:{campaign.id}:sms:{key}",
                                origin=f"campaign-test:{campaign.id}", unit_id=campaign.unit_id, urgent=True))
    if "email" in mode.channels:
        email = compiled.email(context)
        items.append(NewMessage(channel="email", recipient=user.email, body=email.body, purpose=Purpose.TEST,
                                subject=f"[TEST] {email.subject}", html=email.html if email.template is None
                                else _filled(email.html, email.params), headers=email.headers,
                                idempotency_key=f"campaign-test:{campaign.id}:email:{key}",
                                origin=f"campaign-test:{campaign.id}", unit_id=campaign.unit_id, urgent=True))
    ids = create_messages(items)
    campaign.test_sent_at = utcnow()
    campaign.test_sent_digest = digest(campaign)
    _record("test_sent", campaign, user, phone=user.phone if "sms" in mode.channels else None,
            email=user.email if "email" in mode.channels else None)
    return ids


def _filled(html: str | None, params: list[str] | None) -> str | None:
    from app.channels.models import fill_markers

    return fill_markers(html, params) if html and params else html


def _sample_context(campaign: Campaign, compiled, contractor_id: int | None) -> dict:
    from app.campaigns.content import UNSUBSCRIBE_SLOT
    from app.campaigns.links import unsubscribe_link

    if contractor_id is not None:
        context = contexts_for([contractor_id], compiled.codes, compiled.unit_name)[contractor_id]
    else:
        context = example_context(unit_name=compiled.unit_name)
        context["atrybut"] = dict.fromkeys(compiled.codes, "")
    context[UNSUBSCRIBE_SLOT] = unsubscribe_link(campaign.id, contractor_id or 0)
    return context


@transactional
def submit(campaign: Campaign, user: StaffUser) -> Campaign:
    """Hand a draft to the approvers, with its reach and cost worked out now."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _expect(campaign, CampaignStatus.DRAFT)
    _ready(campaign)
    campaign.status = CampaignStatus.SUBMITTED
    campaign.submitted_at = utcnow()
    campaign.submitted_by_id = user.id
    campaign.review_note = None
    tested = campaign.test_sent_digest == digest(campaign)
    _record("submitted", campaign, user, tested=tested, estimate=campaign.estimate)
    return campaign


@transactional
def withdraw(campaign: Campaign, user: StaffUser) -> Campaign:
    """Take a submitted campaign back into drafting."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _expect(campaign, CampaignStatus.SUBMITTED)
    campaign.status = CampaignStatus.DRAFT
    _record("withdrawn", campaign, user)
    return campaign


@transactional
def reject(campaign: Campaign, approver: StaffUser, note: str) -> Campaign:
    """Send a submitted campaign back to its author with the approver's reason."""
    _require(approver, Role.APPROVER)
    _expect(campaign, CampaignStatus.SUBMITTED)
    if not note.strip():
        raise WorkflowError(_("Say what should change."))
    campaign.status = CampaignStatus.DRAFT
    campaign.review_note = note.strip()
    _record("rejected", campaign, approver, note=note.strip())
    return campaign


def may_approve(campaign: Campaign, user: StaffUser) -> bool:
    """True when the user may approve this campaign (four eyes, urgent alerts of approvers aside)."""
    if not user.has_role(Role.APPROVER) or campaign.status != CampaignStatus.SUBMITTED:
        return False
    authors = {campaign.created_by_id, campaign.submitted_by_id} - {None}
    return user.id not in authors or campaign.urgent


@transactional
def approve(campaign: Campaign, approver: StaffUser) -> Campaign:
    """Approve a submitted campaign: it is scheduled for its time, or starts at once."""
    _require(approver, Role.APPROVER)
    _expect(campaign, CampaignStatus.SUBMITTED)
    if not may_approve(campaign, approver):
        raise WorkflowError(_("A campaign is approved by someone other than its author."))
    # Texts may not have changed, but the templates' placeholders (attribute codes) could have.
    errors = content_problems(campaign)
    if errors:
        raise ContentError(errors)
    campaign.approved_at = utcnow()
    campaign.approved_by_id = approver.id
    own = approver.id in {campaign.created_by_id, campaign.submitted_by_id}
    _record("approved", campaign, approver, own_urgent_alert=own or None)
    _schedule(campaign, approver)
    return campaign


def _schedule(campaign: Campaign, user: StaffUser | None, **details: Any) -> None:
    now = utcnow()
    send_at = campaign.send_at
    due = send_at is None or as_utc(send_at) <= now
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_for = now if due else send_at
    _record("scheduled", campaign, user, at=campaign.scheduled_for.isoformat(), **details)
    if due:
        campaign_id, urgent = campaign.id, campaign.urgent
        after_commit(lambda: enqueue_start(campaign_id, urgent))


def _comparable(value: Any) -> Any:
    """Instants compare as UTC whether or not the database kept their zone (SQLite does not)."""
    return as_utc(value) if isinstance(value, datetime) else value


def enqueue_start(campaign_id: int, urgent: bool) -> None:
    """Ask a worker to start the campaign (urgent ones on their own queue)."""
    from app.campaigns.tasks import start_campaign, start_urgent_campaign

    (start_urgent_campaign if urgent else start_campaign).send(campaign_id)


@transactional
def reschedule(campaign: Campaign, user: StaffUser, send_at: datetime | None) -> Campaign:
    """Move a scheduled campaign to another time (None = now)."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _expect(campaign, CampaignStatus.SCHEDULED)
    campaign.send_at = send_at
    _schedule(campaign, user, rescheduled=True)
    return campaign


def _messages_of(campaign: Campaign):
    return update(Message).where(Message.origin == origin_of(campaign.id), Message.status == MessageStatus.CREATED)


@transactional
def pause(campaign: Campaign, user: StaffUser) -> Campaign:
    """Hold every message not yet handed to a provider; `resume` lets them go."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _lock(campaign)
    _expect(campaign, CampaignStatus.SENDING, CampaignStatus.SCHEDULED)
    campaign.status = CampaignStatus.PAUSED
    campaign.paused_at = utcnow()
    held = db.session.execute(_messages_of(campaign).values(send_after=HELD_UNTIL, queued_at=None)).rowcount
    _record("paused", campaign, user, held=held)
    return campaign


@transactional
def resume(campaign: Campaign, user: StaffUser) -> Campaign:
    """Release a paused campaign's held messages and go on creating the rest."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _lock(campaign)
    _expect(campaign, CampaignStatus.PAUSED)
    campaign.paused_at = None
    if campaign.started_at is None:
        _schedule(campaign, user, resumed=True)
        return campaign
    campaign.status = CampaignStatus.SENDING
    ids = list(db.session.scalars(
        _messages_of(campaign).where(Message.send_after == HELD_UNTIL)
        .values(send_after=None).returning(Message.id)))
    released = _release(ids, campaign.urgent)
    _record("resumed", campaign, user, released=len(ids), queued=released)
    campaign_id, urgent = campaign.id, campaign.urgent
    if campaign.fanned_out_at is None:
        after_commit(lambda: enqueue_fan_out(campaign_id, urgent))
    return campaign


def _release(ids: list[int], urgent: bool) -> int:
    """Queue released messages, minding quiet hours for non-urgent ones."""
    from app.channels.outbox import quiet_hours

    if not ids:
        return 0
    now = utcnow()
    if not urgent:
        release = quiet_hours().release_at(now)
        if release > now:
            for start in range(0, len(ids), 1000):
                db.session.execute(update(Message).where(Message.id.in_(ids[start:start + 1000]))
                                   .values(send_after=release))
            return 0
    return queue_due(ids)


def enqueue_fan_out(campaign_id: int, urgent: bool) -> None:
    """Ask a worker to go on creating a campaign's messages."""
    from app.campaigns.tasks import fan_out, fan_out_urgent

    (fan_out_urgent if urgent else fan_out).send(campaign_id)


@transactional
def cancel(campaign: Campaign, user: StaffUser) -> Campaign:
    """Stop a campaign: every message not yet handed to a provider is cancelled."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _lock(campaign)
    if campaign.status in CLOSED or campaign.status == CampaignStatus.DRAFT:
        raise WorkflowError(_("This step is not possible while the campaign is %(status)s.",
                              status=status_label(campaign.status)))
    now = utcnow()
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancelled_at = now
    cancelled = db.session.execute(
        _messages_of(campaign).values(status=MessageStatus.CANCELLED, finished_at=now,
                                      error="the campaign was cancelled")).rowcount
    _record("cancelled", campaign, user, cancelled=cancelled)
    return campaign


@transactional
def delete_draft(campaign: Campaign, user: StaffUser) -> None:
    """Delete a draft nobody approved."""
    _require(user, Role.COMMUNICATOR, Role.APPROVER)
    _expect(campaign, CampaignStatus.DRAFT)
    _record("deleted", campaign, user, name=campaign.name)
    db.session.delete(campaign)


def _lock(campaign: Campaign) -> None:
    """Take the campaign's row (and its latest state): the fan-out creates messages under it."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(campaign, with_for_update=True)
    else:
        db.session.refresh(campaign)
