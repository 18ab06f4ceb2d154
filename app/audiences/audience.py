"""Who is in an audience, how many can be reached per channel, and why the others cannot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, not_, or_, select

from app.accounts.models import Channel, RecordStatus
from app.audiences.catalogue import OPERATOR_LABELS
from app.audiences.compiler import (
    CP,
    C,
    Context,
    compile_rule,
    consent_given,
    contact_exists,
    default_context,
    not_opted_out,
    usable_point,
)
from app.audiences.models import ListMode, Segment, StaticListMember
from app.audiences.rules import Condition, Group, Negation, Node, parse_rule
from app.core.extensions import db

CHANNELS = (Channel.SMS, Channel.EMAIL)
SLM = StaticListMember.__table__

#: Why a member cannot be reached on a channel, in the order they are checked.
REASONS = ("no_address", "no_consent", "invalid_address", "bounced", "opted_out")
BOUNCE_REASONS = ("bounced", "spam-report", "complaint")


@dataclass(frozen=True)
class Audience:
    """A rule (or none) plus static lists included and excluded: what a segment or campaign targets."""

    rule: Node | None = None
    include_lists: tuple[int, ...] = ()
    exclude_lists: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, rule: Any, include_lists=(), exclude_lists=()) -> Audience:
        """Parse a rule in its JSON form (RuleError when it is not valid)."""
        node = parse_rule(rule) if rule is not None else None
        return cls(node, tuple(sorted(set(include_lists))), tuple(sorted(set(exclude_lists))))

    @classmethod
    def of_segment(cls, segment: Segment) -> Audience:
        """The audience a saved segment defines."""
        return cls.from_json(segment.rule, segment.list_ids(ListMode.INCLUDE),
                             segment.list_ids(ListMode.EXCLUDE))


def membership(audience: Audience, ctx: Context | None = None) -> ColumnElement[bool]:
    """The SQL condition on `contractors` for members: (rule or included lists) minus excluded."""
    ctx = ctx or default_context()
    chosen = [compile_rule(audience.rule, ctx)] if audience.rule is not None else []
    if audience.include_lists:
        chosen.append(on_lists(audience.include_lists))
    tests = [C.c.status != RecordStatus.CANCELLED, or_(false(), *chosen)]
    if audience.exclude_lists:
        tests.append(not_(on_lists(audience.exclude_lists)))
    return and_(*tests)


def on_lists(list_ids) -> ColumnElement[bool]:
    """SQL: the contractor is on any of the static lists."""
    return exists(select(literal(1)).where(SLM.c.contractor_id == C.c.id, SLM.c.list_id.in_(list_ids)))


def members_query(audience: Audience, ctx: Context | None = None):
    """SELECT of the members' contractor ids."""
    return select(C.c.id).where(membership(audience, ctx))


def count_members(audience: Audience, ctx: Context | None = None) -> int:
    """How many contractors are in the audience."""
    return db.session.scalar(select(func.count()).select_from(C).where(membership(audience, ctx)))


def unreachable_reason(channel: str, ctx: Context) -> ColumnElement:
    """SQL: why a contractor cannot be reached on the channel (one of REASONS), NULL if it can."""
    usable = usable_point(channel, ctx)
    return case(
        (not_(contact_exists(channel)), literal("no_address")),
        (not_(consent_given(channel)), literal("no_consent")),
        (not_(contact_exists(channel, *usable)),
         case((contact_exists(channel, CP.c.unusable_reason.in_(BOUNCE_REASONS)), literal("bounced")),
              else_=literal("invalid_address"))),
        (not_(contact_exists(channel, *usable, not_opted_out(channel))), literal("opted_out")),
        else_=literal(None),
    )


@dataclass
class Preview:
    """Figures of an audience for the builder: members, reach per channel, reasons, a sample."""

    members: int
    reachable: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    any_channel: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The figures as plain data."""
        return {"members": self.members, "reachable": self.reachable, "reasons": self.reasons,
                "any_channel": self.any_channel, "sample": self.sample}


def preview(audience: Audience, *, sample: int = 10, ctx: Context | None = None) -> Preview:
    """Count members and their reach per channel in one grouped query, plus a sample of members."""
    ctx = ctx or default_context()
    members = select(C.c.id).where(membership(audience, ctx)).subquery("members")
    sms = unreachable_reason(Channel.SMS, ctx).label("sms")
    email = unreachable_reason(Channel.EMAIL, ctx).label("email")
    per_member = (select(C.c.id, C.c.name, sms, email)
                  .join(members, members.c.id == C.c.id)).subquery("reach")
    columns = [per_member.c.sms, per_member.c.email, func.count()]
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql and sample:
        # The first members by name of each group come with the counts: membership runs once.
        from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg

        first = array_agg(aggregate_order_by(per_member.c.id, per_member.c.name, per_member.c.id))
        columns.append(first[1:sample])
    rows = db.session.execute(select(*columns).group_by(per_member.c.sms, per_member.c.email)).all()
    result = Preview(members=0, reachable={str(ch): 0 for ch in CHANNELS},
                     reasons={str(ch): {r: 0 for r in REASONS} for ch in CHANNELS})
    candidates: list[int] = []
    for row in rows:
        sms_reason, email_reason, n = row[0], row[1], row[2]
        result.members += n
        for channel, reason in ((Channel.SMS, sms_reason), (Channel.EMAIL, email_reason)):
            if reason is None:
                result.reachable[str(channel)] += n
            else:
                result.reasons[str(channel)][reason] += n
        if sms_reason is None or email_reason is None:
            result.any_channel += n
        if postgresql and sample:
            candidates.extend(row[3])
    if sample and result.members:
        if postgresql:
            result.sample = _contractor_rows(select(C.c.id).where(C.c.id.in_(candidates)), sample)
        else:
            result.sample = sample_members(audience, sample, ctx)
    return result


def sample_members(audience: Audience, limit: int, ctx: Context | None = None) -> list[dict[str, Any]]:
    """The first members by name: id, legacy id, name, NIP, district."""
    return _contractor_rows(select(C.c.id).where(membership(audience, ctx)), limit)


def _contractor_rows(ids, limit: int) -> list[dict[str, Any]]:
    query = (select(C.c.id, C.c.legacy_id, C.c.name, C.c.nip, C.c.district)
             .where(C.c.id.in_(ids)).order_by(C.c.name, C.c.id).limit(limit))
    return [dict(row._mapping) for row in db.session.execute(query)]


@dataclass
class Explanation:
    """Why one contractor is or is not in an audience, node by node."""

    member: bool
    lines: list[dict[str, Any]]


def outline(node: Node | None, depth: int = 0) -> list[tuple[int, Node]]:
    """Every node of a rule top-down with its depth, as a person reads it."""
    if node is None:
        return []
    nodes = [(depth, node)]
    children = node.children if isinstance(node, Group) else (
        (node.child,) if isinstance(node, Negation) else ())
    for child in children:
        nodes.extend(outline(child, depth + 1))
    return nodes


def explain(audience: Audience, contractor_id: int, ctx: Context | None = None) -> Explanation:
    """Evaluate every node of the rule for one contractor in one SQL query, for the member page."""
    ctx = ctx or default_context()
    nodes = outline(audience.rule)
    columns = [case((compile_rule(node, ctx), 1), else_=0).label(f"n{i}") for i, (_d, node) in enumerate(nodes)]
    columns.append(case((membership(audience, ctx), 1), else_=0).label("member"))
    lists = {}
    for mode, ids in ((ListMode.INCLUDE, audience.include_lists), (ListMode.EXCLUDE, audience.exclude_lists)):
        for list_id in ids:
            label = f"{mode}_{list_id}"
            lists[label] = (mode, list_id)
            columns.append(case((on_lists([list_id]), 1), else_=0).label(label))
    row = db.session.execute(select(*columns).where(C.c.id == contractor_id)).first()
    if row is None:
        raise LookupError(f"no contractor with id {contractor_id}")
    row = row._mapping
    lines = [{"depth": depth, "text": describe(node), "holds": bool(row[f"n{i}"])}
             for i, (depth, node) in enumerate(nodes)]
    for label, (mode, list_id) in lists.items():
        lines.append({"depth": 0, "list": list_id, "mode": str(mode), "holds": bool(row[label])})
    return Explanation(member=bool(row["member"]), lines=lines)


DAY_PHRASES = {
    "within_next": _l("within the next %(n)d days"),
    "within_last": _l("within the last %(n)d days"),
    "more_than_days_ago": _l("more than %(n)d days ago"),
}


def describe(node: Node) -> str:
    """A short human reading of a node: `District is one of Centrum, Zatorze`, `Has a phone: yes`."""
    if isinstance(node, Group):
        return _("all of") if node.mode == "all" else _("any of")
    if isinstance(node, Negation):
        return _("not")
    label = str(node.field.label)
    if node.op in DAY_PHRASES:
        return f"{label} {DAY_PHRASES[node.op] % {'n': node.value}}"
    operator = str(OPERATOR_LABELS[node.op])
    if node.value is None:
        return f"{label}: {operator}"
    if isinstance(node.value, tuple):
        value = ", ".join(_option_label(node, v) for v in node.value)
        if node.op == "between":
            value = " – ".join(_option_label(node, v) for v in node.value)
    else:
        value = _option_label(node, node.value)
    return f"{label} {operator} {value}"


def _option_label(node: Condition, value) -> str:
    labels = dict(node.field.options)
    return str(labels.get(str(value), value))
