"""What a campaign achieved: counts per status and channel, cost, replies, delivery over time, export.

Everything is read from the outbox (the messages of the campaign's origin), so the figures are
exact at any moment of sending and stay so afterwards.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, cast, func, literal, select

from app.accounts.models import Contractor
from app.campaigns.fanout import CATEGORY_OFF, OPTED_OUT
from app.campaigns.models import origin_of
from app.channels.models import InboundSms, Message, MessageStatus
from app.core.clock import to_warsaw
from app.core.csv_cells import safe_cell
from app.core.extensions import db

#: The figures a results page shows, in order; `waiting` covers messages not yet with a provider.
FIGURES = ("total", "waiting", "sent", "delivered", "failed", "expired", "opted_out", "cancelled", "replied")


@dataclass
class Results:
    """Counts of a campaign's messages, overall and per channel, with cost and replies."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    cost: Decimal = Decimal("0")
    parts: int = 0

    @property
    def delivery_rate(self) -> float | None:
        """Delivered out of those handed to providers, or None before any was."""
        handed = self.counts["sent"] + self.counts["delivered"] + self.counts["failed"]
        return self.counts["delivered"] / handed if handed else None


def _figure(status: str, error: str | None) -> str:
    if status in (MessageStatus.CREATED, MessageStatus.SENDING):
        return "waiting"
    if status == MessageStatus.CANCELLED:
        return "opted_out" if error in (OPTED_OUT, CATEGORY_OFF) else "cancelled"
    return status


def results(campaign_id: int) -> Results:
    """The campaign's figures now (one grouped query, plus one for replies)."""
    origin = origin_of(campaign_id)
    result = Results()
    rows = db.session.execute(
        select(Message.channel, Message.status, Message.error, func.count(), func.sum(Message.cost),
               func.sum(Message.parts))
        .where(Message.origin == origin)
        .group_by(Message.channel, Message.status, Message.error)
    )
    for channel, status, error, count, cost, parts in rows:
        figure = _figure(status, error)
        per_channel = result.by_channel.setdefault(channel, dict.fromkeys(FIGURES, 0))
        for counts in (result.counts, per_channel):
            counts[figure] += count
            counts["total"] += count
        result.cost += Decimal(cost or 0)
        result.parts += int(parts or 0)
    replies = db.session.execute(
        select(Message.channel, func.count(InboundSms.id))
        .join(Message, Message.id == InboundSms.in_reply_to_id)
        .where(Message.origin == origin).group_by(Message.channel)
    )
    for channel, count in replies:
        result.counts["replied"] += count
        result.by_channel.setdefault(channel, dict.fromkeys(FIGURES, 0))["replied"] += count
    result.cost = result.cost.quantize(Decimal("0.01"))
    return result


def latest_replies(campaign_id: int, limit: int = 20) -> list[InboundSms]:
    """The newest SMS answers to the campaign."""
    return list(db.session.scalars(
        select(InboundSms).join(Message, Message.id == InboundSms.in_reply_to_id)
        .where(Message.origin == origin_of(campaign_id))
        .order_by(InboundSms.received_at.desc()).limit(limit)))


def _epoch(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), BigInteger)
    return cast(func.strftime("%s", column), Integer)


@dataclass
class TimePoint:
    """Cumulative counts at the end of one interval."""

    at: datetime
    sent: int
    delivered: int


def timeline(campaign_id: int, points: int = 60) -> list[TimePoint]:
    """Messages handed to providers and delivered, cumulative, over the span of the sending."""
    origin = origin_of(campaign_id)
    span = db.session.execute(
        select(func.min(_epoch(Message.sent_at)), func.max(_epoch(Message.sent_at)),
               func.max(_epoch(Message.finished_at)))
        .where(Message.origin == origin, Message.sent_at.is_not(None))).one()
    if span[0] is None:
        return []
    start, end = int(span[0]), max(int(span[1]), int(span[2] or span[1]))
    step = max(60, -(-(end - start + 1) // points))  # at least a minute per point
    step = ((step + 59) // 60) * 60
    series: dict[str, dict[int, int]] = {}
    for name, column, extra in (("sent", Message.sent_at, None),
                                ("delivered", Message.finished_at, Message.status == MessageStatus.DELIVERED)):
        # `//`: whole steps (SQLAlchemy's `/` divides exactly, a bucket per distinct second on PostgreSQL).
        bucket = ((_epoch(column) - literal(start)) // literal(step)).label("bucket")
        query = select(bucket, func.count()).where(Message.origin == origin, column.is_not(None))
        if extra is not None:
            query = query.where(extra)
        series[name] = {int(b): n for b, n in db.session.execute(query.group_by(bucket))}
    count = (end - start) // step + 1
    out, sent, delivered = [], 0, 0
    for index in range(count):
        sent += series["sent"].get(index, 0)
        delivered += series["delivered"].get(index, 0)
        out.append(TimePoint(datetime.fromtimestamp(start + (index + 1) * step, UTC), sent, delivered))
    return out


EXPORT_COLUMNS = ("message_id", "legacy_id", "name", "nip", "channel", "recipient", "status", "reason",
                  "sent_at", "finished_at", "parts", "cost", "replies")


def export_csv(campaign_id: int, chunk: int = 5000) -> Iterator[str]:
    """Per-recipient results as CSV lines (UTF-8 with BOM for spreadsheets), streamed in chunks."""
    origin = origin_of(campaign_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    replies = (select(func.count(InboundSms.id)).where(InboundSms.in_reply_to_id == Message.id)
               .correlate(Message).scalar_subquery())
    after = 0
    while True:
        rows = db.session.execute(
            select(Message.id, Contractor.legacy_id, Contractor.name, Contractor.nip, Message.channel,
                   Message.recipient, Message.status, Message.error, Message.sent_at, Message.finished_at,
                   Message.parts, Message.cost, replies)
            .outerjoin(Contractor, Contractor.id == Message.contractor_id)
            .where(Message.origin == origin, Message.id > after)
            .order_by(Message.id).limit(chunk)).all()
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            values = list(row)
            for index in (8, 9):
                local = to_warsaw(values[index])
                values[index] = local.strftime("%Y-%m-%d %H:%M:%S") if local else ""
            writer.writerow([safe_cell(v) for v in values])
        yield buffer.getvalue()
        after = rows[-1][0]
