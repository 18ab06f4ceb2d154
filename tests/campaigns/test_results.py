"""A campaign's results: counts per status and channel, cost, replies, delivery over time, export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.campaigns import fanout, workflow
from app.campaigns.results import export_csv, results, timeline
from app.channels.inbound import receive_sms
from app.channels.models import Message
from app.core.clock import utcnow
from app.core.csv_cells import safe_cell
from tests.campaigns.conftest import business


def sent_campaign(db, town):
    campaign = workflow.create_draft(town.author, name="Festyn", category="regional_event", channel_mode="both",
                                     sms_text="Festyn!", email_subject="Festyn", email_text="Festyn!",
                                     segment_id=town.segment.id)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    fanout.start(campaign.id)
    start = utcnow() - timedelta(minutes=30)
    messages = db.session.scalars(select(Message).where(Message.origin == f"campaign:{campaign.id}")
                                  .order_by(Message.id)).all()
    outcomes = ["delivered", "delivered", "failed", "sent", "delivered", "created"]
    for minute, (message, status) in enumerate(zip(messages, outcomes, strict=True)):
        message.status = status
        if status != "created":
            message.sent_at = start + timedelta(minutes=minute * 5)
            message.parts, message.cost = (1, Decimal("0.16")) if message.channel == "sms" else (None, None)
        if status in ("delivered", "failed"):
            message.finished_at = message.sent_at + timedelta(minutes=2)
    db.session.commit()
    return campaign, messages


def test_counts_cost_and_replies(db, town):
    campaign, messages = sent_campaign(db, town)
    receive_sms("+48600100200", "Czy mogę wystawić stoisko?")
    db.session.commit()
    figures = results(campaign.id)
    assert figures.counts["total"] == 6
    assert (figures.counts["delivered"], figures.counts["failed"], figures.counts["sent"],
            figures.counts["waiting"]) == (3, 1, 1, 1)
    assert figures.counts["replied"] == 1 and figures.by_channel["sms"]["replied"] == 1
    sms_sent = sum(1 for m in messages if m.channel == "sms" and m.status != "created")
    assert figures.cost == Decimal("0.16") * sms_sent
    assert figures.delivery_rate == 3 / 5


def test_delivery_over_time_is_cumulative_and_ends_with_the_totals(db, town):
    campaign, _ = sent_campaign(db, town)
    points = timeline(campaign.id)
    assert len(points) >= 2
    assert [p.sent for p in points] == sorted(p.sent for p in points)
    assert points[-1].sent == 5 and points[-1].delivered == 3
    assert points[0].delivered <= points[0].sent


def test_messages_sent_seconds_apart_all_count_in_their_minute(db, town):
    campaign, messages = sent_campaign(db, town)
    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=10)
    for offset, message in enumerate(messages):
        message.status, message.sent_at, message.finished_at = "sent", start + timedelta(seconds=7 * offset), None
    db.session.commit()
    points = timeline(campaign.id)
    assert points[-1].sent == len(messages) == 6


def test_the_export_has_a_row_per_message_and_no_formulas(db, town):
    business(db, phone="+48600100220", name="=HYPERLINK(\"http://zle.pl\")")
    db.session.commit()
    campaign = workflow.create_draft(town.author, name="Eksport", category="other", channel_mode="sms",
                                     sms_text="Test.", segment_id=town.segment.id)
    workflow.submit(campaign, town.author)
    workflow.approve(campaign, town.approver)
    fanout.start(campaign.id)
    text = "".join(export_csv(campaign.id, chunk=2))
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 4
    names = {row["name"] for row in rows}
    assert "'=HYPERLINK(\"http://zle.pl\")" in names
    assert all(row["recipient"].startswith("'+48") for row in rows)


def test_safe_cell_neutralises_every_formula_start():
    assert [safe_cell(v) for v in ("=1+1", "+48", "-2+A1", "@SUM", "\tx", "ok", None, 5, "-12,50")] == [
        "'=1+1", "'+48", "'-2+A1", "'@SUM", "'\tx", "ok", "", "5", "-12,50"]
