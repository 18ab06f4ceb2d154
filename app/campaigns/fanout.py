"""Starting a campaign: freeze its audience, create its messages in chunks, finish when all are settled.

`start` freezes the audience in the same transaction that moves the campaign to `sending`, and
splits a large one into lanes (contiguous ranges of members) that workers fan out side by side.
`fan_out` then takes members that have no message of this campaign yet, in chunks, each in its
own transaction under a shared lock of the campaign's row (so a pause or cancel never meets half
a chunk), and hands each chunk's messages to the outbox, which queues them once it commits:
sending starts with the first chunk. Progress is the messages themselves (unique keys per member
and channel), so a crashed or repeated fan-out resumes without gaps or repeats.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, func, select, update

from app.accounts.models import (
    OPTIONAL_CATEGORIES,
    CategoryPreference,
    Contractor,
)
from app.audiences.models import SnapshotMember, SnapshotRecipient
from app.audiences.rules import RuleError
from app.audiences.snapshot import freeze
from app.campaigns.content import UNSUBSCRIBE_SLOT, CompiledContent, ContentError, compile_content
from app.campaigns.links import unsubscribe_link
from app.campaigns.models import Campaign, CampaignStatus, ChannelMode, FanOutLane, origin_of
from app.campaigns.placeholders import contexts_for
from app.campaigns.targeting import AudienceMissing, audience_of, unit_name
from app.channels.models import ChannelPolicy, Message, MessageStatus, OptOut, Purpose
from app.channels.outbox import NewMessage, create_messages
from app.core import audit
from app.core.clock import as_utc, utcnow
from app.core.db import among, commit_without_waiting_for_disk, transactional
from app.core.extensions import db

log = logging.getLogger(__name__)

SM = SnapshotMember.__table__
SR = SnapshotRecipient.__table__

#: Why a member's message is written `cancelled` instead of being sent.
OPTED_OUT = "the recipient opted out"
CATEGORY_OFF = "the recipient does not want this category on this channel"


def _locked(campaign_id: int, *, shared: bool = False) -> Campaign | None:
    """The campaign, its row locked: shared by fan-out lanes, exclusive for a change of its state."""
    query = select(Campaign).where(Campaign.id == campaign_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=shared)
    return db.session.scalars(query).first()


def start(campaign_id: int) -> bool:
    """Move a due scheduled campaign to `sending` with its audience frozen, then fan it out.

    The first lane is fanned out here; the others are handed to workers of their own.
    """
    if not _begin(campaign_id):
        return False
    lanes = list(db.session.scalars(
        select(FanOutLane.lane).where(FanOutLane.campaign_id == campaign_id).order_by(FanOutLane.lane)))
    db.session.commit()
    if not lanes:
        fan_out(campaign_id)
        return True
    from app.campaigns.tasks import enqueue_lane

    urgent = db.session.get(Campaign, campaign_id).urgent
    for lane in lanes[1:]:
        enqueue_lane(campaign_id, lane, urgent=urgent)
    fan_out(campaign_id, lane=lanes[0])
    return True


@transactional
def _begin(campaign_id: int) -> bool:
    """In one transaction: take the campaign, freeze its audience, split it into lanes, mark it `sending`."""
    campaign = _locked(campaign_id)
    now = utcnow()
    if campaign is None or campaign.status != CampaignStatus.SCHEDULED:
        return False
    if campaign.scheduled_for is not None and as_utc(campaign.scheduled_for) > now:
        return False
    try:
        audience = audience_of(campaign)
        compile_content(campaign, unit_name(campaign))
    except (AudienceMissing, RuleError, ContentError) as error:
        _give_up(campaign, str(error))
        return False
    snapshot = freeze(audience, channels=campaign.mode.channels, origin=origin_of(campaign.id),
                      segment_id=campaign.segment_id, require_consent=not campaign.urgent,
                      honour_opt_outs=False)
    campaign.snapshot_id = snapshot.id
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = now
    lanes = _split(campaign.id, snapshot.id, snapshot.members)
    audit.record("campaign.started", target=origin_of(campaign.id), members=snapshot.members,
                 recipients=snapshot.recipients, lanes=lanes)
    return True


def _split(campaign_id: int, snapshot_id: int, members: int) -> int:
    """Write the lanes of a large audience (contiguous ranges of members); returns how many."""
    config = current_app.config
    count = min(config["CAMPAIGN_LANES"], members // max(config["CAMPAIGN_LANE_MEMBERS"], 1))
    if count < 2:
        return 1
    ranked = (select(SM.c.contractor_id, func.ntile(count).over(order_by=SM.c.contractor_id).label("lane"))
              .where(SM.c.snapshot_id == snapshot_id).subquery())
    for lane, first, last in db.session.execute(
            select(ranked.c.lane, func.min(ranked.c.contractor_id), func.max(ranked.c.contractor_id))
            .group_by(ranked.c.lane).order_by(ranked.c.lane)):
        db.session.add(FanOutLane(campaign_id=campaign_id, lane=lane - 1, first_member=first, last_member=last))
    return count


@transactional
def _give_up(campaign: Campaign, reason: str) -> None:
    """A campaign that cannot go out (its segment or texts broke since approval) is cancelled."""
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancelled_at = utcnow()
    campaign.review_note = reason[:2000]
    audit.record("campaign.failed_to_start", target=origin_of(campaign.id), reason=reason[:500])
    log.warning("campaign %s could not start: %s", campaign.id, reason)


def fan_out(campaign_id: int, chunk: int | None = None, *, lane: int | None = None) -> int:
    """Create the messages of members that have none yet, chunk by chunk; returns how many were made.

    With `lane`, only that lane's members; without, every member (a resumed or stalled fan-out),
    and every lane is then done.
    """
    chunk = chunk or current_app.config.get("CAMPAIGN_CHUNK", 2000)
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.snapshot_id is None:
        return 0
    first, last = 0, None
    if lane is not None:
        row = db.session.get(FanOutLane, (campaign_id, lane))
        if row is None or row.done_at is not None:
            db.session.rollback()
            return 0
        first, last = row.first_member, row.last_member
    try:
        compiled = compile_content(campaign, unit_name(campaign))
    except ContentError as error:
        _give_up(campaign, str(error))
        return 0
    db.session.commit()
    made, after = 0, first - 1
    while True:
        # Shared: lanes go on side by side; a pause or cancel waits for the chunk to be whole.
        campaign = _locked(campaign_id, shared=True)
        if campaign is None or campaign.status != CampaignStatus.SENDING or campaign.fanned_out_at:
            db.session.rollback()
            return made
        query = (select(SM.c.contractor_id)
                 .where(SM.c.snapshot_id == campaign.snapshot_id, SM.c.contractor_id > after)
                 .order_by(SM.c.contractor_id).limit(chunk))
        if last is not None:
            query = query.where(SM.c.contractor_id <= last)
        candidates = db.session.scalars(query).all()
        if not candidates:
            lanes = update(FanOutLane).where(FanOutLane.campaign_id == campaign_id, FanOutLane.done_at.is_(None))
            if lane is not None:
                lanes = lanes.where(FanOutLane.lane == lane)
            db.session.execute(lanes.values(done_at=utcnow()))
            db.session.commit()
            _complete(campaign_id)
            return made
        after = candidates[-1]
        # A chunk lost with a database crash is made again (its messages were never claimed).
        commit_without_waiting_for_disk()
        done = _with_messages(campaign_id, candidates)
        members = [m for m in candidates if m not in done]
        if members:
            items = messages_for(campaign, compiled, members)
            create_messages(items, checked_addresses=True)
            made += len(items)
        db.session.commit()


def _complete(campaign_id: int) -> bool:
    """Mark the campaign fanned out when none of its lanes is left, and settle it."""
    campaign = _locked(campaign_id)
    pending = db.session.scalar(select(func.count()).select_from(FanOutLane).where(
        FanOutLane.campaign_id == campaign_id, FanOutLane.done_at.is_(None)))
    if campaign is None or campaign.status != CampaignStatus.SENDING or campaign.fanned_out_at or pending:
        db.session.rollback()
        return False
    campaign.fanned_out_at = utcnow()
    db.session.commit()
    settle(campaign_id)
    return True


def _with_messages(campaign_id: int, members: list[int]) -> set[int]:
    """The members that already have a message of the campaign (a resumed or repeated fan-out).

    Looked up by the messages' idempotency keys, so the unique index answers whatever the
    planner believes of a table that a campaign has just filled.
    """
    origin = origin_of(campaign_id)
    keys = [f"{origin}:{member}:{channel}" for member in members for channel in ("sms", "email")]
    step = len(keys) if db.session.get_bind().dialect.name == "postgresql" else 500
    found: set[int] = set()
    for start in range(0, len(keys), step):
        found.update(int(key.rsplit(":", 2)[1]) for key in db.session.scalars(
            select(Message.idempotency_key).where(among(Message.idempotency_key, keys[start:start + step]))).all())
    return found


def messages_for(campaign: Campaign, compiled: CompiledContent, members: list[int]) -> list[NewMessage]:
    """The messages of a chunk of members: rendered, with opt-outs and category choices applied."""
    addresses: dict[int, dict[str, str]] = {}
    for channel, address, contractor_id in db.session.execute(
        select(SR.c.channel, SR.c.address, SR.c.contractor_id)
        .where(SR.c.snapshot_id == campaign.snapshot_id, SR.c.contractor_id.between(min(members), max(members)),
               among(SR.c.contractor_id, members))
    ).all():  # fetched at once: row by row costs a call per row
        addresses.setdefault(contractor_id, {})[channel] = address
    if not addresses:
        return []
    reached = sorted(addresses)
    blocked = _opted_out(addresses, campaign)
    unwanted = _category_off(reached, campaign)
    preferred = {}
    if campaign.mode is ChannelMode.PREFERRED:
        preferred = dict(db.session.execute(
            select(Contractor.id, Contractor.preferred_channel).where(among(Contractor.id, reached))).all())
    contexts = contexts_for(reached, compiled.codes, compiled.unit_name, compiled.names)
    items: list[NewMessage] = []
    for contractor_id in reached:
        context = contexts.get(contractor_id)
        if context is None:
            continue
        own = addresses[contractor_id]

        def withheld(channel: str, cid: int = contractor_id, own: dict = own) -> str | None:
            if (channel, own[channel]) in blocked:
                return OPTED_OUT
            if (cid, channel) in unwanted:
                return CATEGORY_OFF
            return None

        chosen = _choose(campaign.mode, own, preferred.get(contractor_id), withheld)
        for channel, reason in chosen:
            items.append(_message(campaign, compiled, contractor_id, channel, own[channel], context, reason))
    return items


def _choose(mode: ChannelMode, own: dict[str, str], preferred: str | None, withheld) -> list[tuple[str, str | None]]:
    """The channels a member gets messages on, each with the reason it is withheld (or None)."""
    if mode is not ChannelMode.PREFERRED:
        return [(ch, withheld(ch)) for ch in mode.channels if ch in own]
    first = preferred if preferred in ("sms", "email") else "sms"
    order = [ch for ch in (first, "email" if first == "sms" else "sms") if ch in own]
    for channel in order:
        if withheld(channel) is None:
            return [(channel, None)]
    return [(order[0], withheld(order[0]))] if order else []


def _message(campaign: Campaign, compiled: CompiledContent, contractor_id: int, channel: str, address: str,
             context: dict, reason: str | None) -> NewMessage:
    common = dict(
        channel=channel, recipient=address, purpose=Purpose.CAMPAIGN,
        idempotency_key=f"{origin_of(campaign.id)}:{contractor_id}:{channel}",
        contractor_id=contractor_id, unit_id=campaign.unit_id, origin=origin_of(campaign.id),
        urgent=campaign.urgent, expires_at=campaign.expires_at, withheld=reason,
    )
    if channel == "sms":
        sms = compiled.sms(context)
        return NewMessage(body=sms.body, template=sms.template, params=sms.params, **common)
    context[UNSUBSCRIBE_SLOT] = unsubscribe_link(campaign.id, contractor_id)
    email = compiled.email(context)
    return NewMessage(body=email.body, subject=email.subject, html=email.html, headers=email.headers,
                      template=email.template, params=email.params, **common)


def _opted_out(addresses: dict[int, dict[str, str]], campaign: Campaign) -> set[tuple[str, str]]:
    """(channel, address) pairs of the chunk that said STOP or unsubscribed and are not let through."""
    if campaign.urgent and campaign.unit_id is not None:
        policy = db.session.scalars(select(ChannelPolicy).where(ChannelPolicy.unit_id == campaign.unit_id)).first()
        if policy is not None and policy.urgent_ignores_stop:
            return set()
    blocked: set[tuple[str, str]] = set()
    for channel in ("sms", "email"):
        values = [own[channel] for own in addresses.values() if channel in own]
        for start in range(0, len(values), 1000):
            blocked |= {(channel, a) for a in db.session.scalars(
                select(OptOut.address).where(OptOut.channel == channel,
                                             among(OptOut.address, values[start:start + 1000])))}
    return blocked


def _category_off(members: list[int], campaign: Campaign) -> set[tuple[int, str]]:
    """(member, channel) pairs whose business switched this category off; urgent alerts ignore them."""
    if campaign.urgent or campaign.category not in OPTIONAL_CATEGORIES:
        return set()
    off: set[tuple[int, str]] = set()
    for pref in db.session.scalars(select(CategoryPreference).where(
            among(CategoryPreference.contractor_id, members), CategoryPreference.category == campaign.category)):
        for channel in ("sms", "email"):
            if not pref.wants(channel):
                off.add((pref.contractor_id, channel))
    return off


def settle(campaign_id: int) -> bool:
    """Mark a fanned-out campaign finished when none of its messages waits any more."""
    origin = origin_of(campaign_id)
    waiting = exists().where(Message.origin == origin,
                             Message.status.in_((MessageStatus.CREATED, MessageStatus.SENDING)))
    result = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING,
               Campaign.fanned_out_at.is_not(None), ~waiting)
        .values(status=CampaignStatus.FINISHED, finished_at=utcnow())
    )
    finished = bool(result.rowcount)
    if finished:
        audit.record("campaign.finished", target=origin)
    db.session.commit()
    return finished


def settle_after_batch(message_ids: list[int]) -> None:
    """After a send batch: settle the campaigns its messages belong to that are fanned out."""
    if not message_ids:
        return
    origins = set(db.session.scalars(
        select(Message.origin).where(among(Message.id, message_ids), Message.origin.like("campaign:%"))))
    ids = [int(origin.split(":", 1)[1]) for origin in origins]
    # Until a campaign is fanned out there is nothing to settle: skip the look for waiting messages.
    for campaign_id in db.session.scalars(select(Campaign.id).where(
            among(Campaign.id, ids), Campaign.fanned_out_at.is_not(None), Campaign.status == CampaignStatus.SENDING)):
        settle(campaign_id)
    db.session.commit()


def due_work(stall_seconds: int = 120) -> dict[str, list[int]]:
    """Campaigns that need a worker: scheduled ones now due, fan-outs that stalled, ones to settle."""
    now = utcnow()
    due = list(db.session.execute(
        select(Campaign.id, Campaign.urgent).where(Campaign.status == CampaignStatus.SCHEDULED,
                                                   Campaign.scheduled_for <= now)).all())
    stalled, settling = [], []
    for campaign_id, urgent, started_at, fanned_out_at in db.session.execute(
        select(Campaign.id, Campaign.urgent, Campaign.started_at, Campaign.fanned_out_at)
        .where(Campaign.status == CampaignStatus.SENDING)
    ).all():
        if fanned_out_at is not None:
            settling.append(campaign_id)
            continue
        newest = db.session.scalar(select(func.max(Message.created_at)).where(
            Message.origin == origin_of(campaign_id)))
        last = as_utc(newest) if newest is not None else (as_utc(started_at) if started_at else now)
        if last < now - timedelta(seconds=stall_seconds):
            stalled.append((campaign_id, urgent))
    db.session.commit()
    return {"due": due, "stalled": stalled, "settling": settling}


