"""Office reminder plans and business preferences: validated, audited, turned into sweep rules.

A business's preference for a topic replaces the office's plan for that topic entirely (its own
offsets, channels and hour, or off). Saving either rewrites the `ReminderRule` rows the sweep reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.accounts.models import ObligationKind
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db
from app.reminders.models import (
    ACCOUNT_CHANGES,
    MAX_DAYS_AFTER,
    MAX_DAYS_BEFORE,
    ReminderPlan,
    ReminderPreference,
    ReminderRule,
)

#: Obligation kinds a business is reminded of (interest and reminder costs come with a formal reminder).
REMINDED_KINDS = (ObligationKind.PROPERTY_TAX, ObligationKind.TRANSPORT_TAX, ObligationKind.ALCOHOL_LICENCE,
                  ObligationKind.PERPETUAL_USUFRUCT, ObligationKind.LEASE_RENT, ObligationKind.OTHER_FEE)
TOPICS = (*(str(k) for k in REMINDED_KINDS), ACCOUNT_CHANGES)
CHANNELS = ("sms", "email")

#: The office's plan where it has not written one: 7 and 1 day before at 9:00 by SMS, overdue after 3 days.
DEFAULT_PLAN = {"days_before": [7, 1], "days_after": [3], "channels": "sms", "hour": 9}
DEFAULT_CHANGES = {"days_before": [], "days_after": [], "channels": "email", "hour": 9}


class ScheduleError(ValueError):
    """A schedule that cannot be saved; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Schedule:
    """Offsets (days before, days after), channels and hour of one topic, or off."""

    days_before: list[int] = field(default_factory=list)
    days_after: list[int] = field(default_factory=list)
    channels: list[str] = field(default_factory=lambda: ["sms"])
    hour: int = 9
    enabled: bool = True

    @classmethod
    def of(cls, row) -> Schedule:
        """The schedule a plan or preference row holds."""
        return cls(list(row.days_before or []), list(row.days_after or []), row.channel_list, row.hour,
                   row.enabled)


def check(topic: str, schedule: Schedule) -> Schedule:
    """The schedule cleaned (sorted, without repeats); ScheduleError names every field that is wrong."""
    errors: dict[str, str] = {}
    if topic not in TOPICS:
        errors["topic"] = _("Unknown topic %(topic)s.", topic=topic)
    before, after = _days(schedule.days_before), _days(schedule.days_after)
    if before is None or any(not 0 <= d <= MAX_DAYS_BEFORE for d in before):
        errors["days_before"] = _("Days before the deadline must be whole numbers from 0 to %(max)d.",
                                  max=MAX_DAYS_BEFORE)
    if after is None or any(not 1 <= d <= MAX_DAYS_AFTER for d in after):
        errors["days_after"] = _("Days after the deadline must be whole numbers from 1 to %(max)d.",
                                 max=MAX_DAYS_AFTER)
    channels = [c for c in CHANNELS if c in set(schedule.channels or [])]
    if set(schedule.channels or []) - set(CHANNELS):
        errors["channels"] = _("Unknown channel: %(value)s.",
                               value=", ".join(sorted(set(schedule.channels) - set(CHANNELS))))
    elif schedule.enabled and not channels:
        errors["channels"] = _("Choose at least one channel, or switch the reminders off.")
    if not isinstance(schedule.hour, int) or isinstance(schedule.hour, bool) or not 0 <= schedule.hour <= 23:
        errors["hour"] = _("The hour must be a whole number from 0 to 23.")
    if topic != ACCOUNT_CHANGES and schedule.enabled and not errors and not before and not after:
        errors["days_before"] = _("Choose at least one day, or switch the reminders off.")
    if errors:
        raise ScheduleError(errors)
    return Schedule(sorted(set(before)), sorted(set(after)), channels, schedule.hour, schedule.enabled)


def _days(values) -> list[int] | None:
    try:
        days = [int(v) for v in (values or [])]
    except (TypeError, ValueError):
        return None
    if any(isinstance(v, float) and not v.is_integer() for v in (values or [])):
        return None
    return days


def plan_for(topic: str) -> Schedule:
    """The office's plan for a topic (the built-in default where it has none)."""
    row = db.session.scalar(select(ReminderPlan).where(ReminderPlan.topic == topic))
    if row is not None:
        return Schedule.of(row)
    default = DEFAULT_CHANGES if topic == ACCOUNT_CHANGES else DEFAULT_PLAN
    return Schedule(list(default["days_before"]), list(default["days_after"]), default["channels"].split(),
                    default["hour"])


def preferences_of(contractor_id: int) -> dict[str, Schedule]:
    """What reaches the business for every topic: its own choice, else the office's plan."""
    own = {p.topic: Schedule.of(p) for p in db.session.scalars(
        select(ReminderPreference).where(ReminderPreference.contractor_id == contractor_id))}
    return {topic: own.get(topic) or plan_for(topic) for topic in TOPICS}


def has_own(contractor_id: int, topic: str) -> bool:
    """True when the business chose its own reminders for the topic."""
    return db.session.scalar(select(ReminderPreference.id).where(
        ReminderPreference.contractor_id == contractor_id, ReminderPreference.topic == topic)) is not None


@transactional
def save_plan(topic: str, schedule: Schedule, user=None) -> Schedule:
    """Set the office's plan for a topic; audited."""
    clean = check(topic, schedule)
    row = db.session.scalar(select(ReminderPlan).where(ReminderPlan.topic == topic))
    if row is None:
        row = ReminderPlan(topic=topic)
        db.session.add(row)
    _store(row, clean)
    row.updated_by_id = getattr(user, "id", None)
    _rewrite_rules(None, topic, clean)
    audit.record("reminders.plan_saved", target=f"plan:{topic}", **_described(clean))
    return clean


@transactional
def save_preference(contractor_id: int, topic: str, schedule: Schedule, source: str = "portal") -> Schedule:
    """Set a business's own reminders for a topic (replacing the office's plan for it); audited."""
    clean = check(topic, schedule)
    row = db.session.scalar(select(ReminderPreference).where(
        ReminderPreference.contractor_id == contractor_id, ReminderPreference.topic == topic))
    if row is None:
        row = ReminderPreference(contractor_id=contractor_id, topic=topic)
        db.session.add(row)
    _store(row, clean)
    row.source = source
    _rewrite_rules(contractor_id, topic, clean)
    audit.record("reminders.preference_saved", target=f"contractor:{contractor_id}", topic=topic, source=source,
                 **_described(clean))
    return clean


@transactional
def reset_preference(contractor_id: int, topic: str, source: str = "portal") -> None:
    """Drop a business's own choice for a topic: the office's plan applies again; audited."""
    db.session.execute(delete(ReminderPreference).where(
        ReminderPreference.contractor_id == contractor_id, ReminderPreference.topic == topic))
    db.session.execute(delete(ReminderRule).where(
        ReminderRule.contractor_id == contractor_id, ReminderRule.topic == topic))
    audit.record("reminders.preference_reset", target=f"contractor:{contractor_id}", topic=topic, source=source)


def ensure_plans() -> None:
    """Write the built-in plan for every topic that has none (so the sweep has rules to read)."""
    existing = set(db.session.scalars(select(ReminderPlan.topic)))
    for topic in TOPICS:
        if topic not in existing:
            save_plan(topic, plan_for(topic))


def _store(row, schedule: Schedule) -> None:
    row.days_before, row.days_after = schedule.days_before, schedule.days_after
    row.channels, row.hour, row.enabled = " ".join(schedule.channels), schedule.hour, schedule.enabled
    row.updated_at = utcnow()


def _rewrite_rules(contractor_id: int | None, topic: str, schedule: Schedule) -> None:
    owner = ReminderRule.contractor_id.is_(None) if contractor_id is None else (
        ReminderRule.contractor_id == contractor_id)
    db.session.execute(delete(ReminderRule).where(owner, ReminderRule.topic == topic))
    if not schedule.enabled or topic == ACCOUNT_CHANGES:
        return
    offsets = [*schedule.days_before, *(-d for d in schedule.days_after)]
    db.session.add_all(ReminderRule(contractor_id=contractor_id, topic=topic, offset_days=offset,
                                    hour=schedule.hour, channel=channel)
                       for offset in offsets for channel in schedule.channels)


def _described(schedule: Schedule) -> dict:
    return {"days_before": schedule.days_before, "days_after": schedule.days_after,
            "channels": schedule.channels, "hour": schedule.hour, "enabled": schedule.enabled}
