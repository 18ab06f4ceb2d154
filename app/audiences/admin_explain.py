"""The segment page's readings: the rule as an indented outline, and why a contractor is (not) in."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from stdnum.pl import nip as nip_number

from app.accounts.models import Contractor, RecordStatus
from app.audiences.audience import Audience, describe, explain, outline
from app.audiences.models import StaticList
from app.audiences.rules import Node
from app.core.extensions import db

MAX_MATCHES = 20


@dataclass(frozen=True)
class Line:
    """One line of an outline or an explanation; `holds` is None in a plain outline."""

    depth: int
    text: str
    holds: bool | None = None


def rule_outline(node: Node | None) -> list[Line]:
    """The rule as indented lines a person reads top-down (`all of`, `District is one of ...`)."""
    return [Line(depth, describe(item)) for depth, item in outline(node)]


def list_names(ids) -> dict[int, str]:
    """Names of static lists by id."""
    ids = list(ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(StaticList.id, StaticList.name).where(StaticList.id.in_(ids))).all())


def find_contractors(text: str, *, include_cancelled: bool = False) -> list[Contractor]:
    """Contractors with this legacy id, else with this NIP (several records may share one)."""
    value = (text or "").strip()
    if not value or len(value) > 40:
        return []
    live = [] if include_cancelled else [Contractor.status != RecordStatus.CANCELLED]
    found = db.session.scalars(select(Contractor).where(Contractor.legacy_id == value, *live)).all()
    if found:
        return list(found)
    compact = nip_number.compact(value)
    if compact.isdigit() and len(compact) == 10:
        return list(db.session.scalars(
            select(Contractor).where(Contractor.nip == compact, *live)
            .order_by(Contractor.name, Contractor.id).limit(MAX_MATCHES)))
    return []


@dataclass
class ContractorExplanation:
    """Why one contractor is or is not in a segment, line by line with ✓ / ✗."""

    contractor: Contractor
    member: bool
    lines: list[Line]
    note: str | None = None


def explain_contractor(audience: Audience, contractor: Contractor) -> ContractorExplanation:
    """Every node of the rule and every list, evaluated for the contractor."""
    result = explain(audience, contractor.id)
    names = list_names(audience.include_lists + audience.exclude_lists)
    lines = []
    for line in result.lines:
        if "list" in line:
            name = names.get(line["list"], f"#{line['list']}")
            if line["mode"] == "include":
                text = _("is on the included list %(name)s", name=name)
            else:
                text = _("is on the excluded list %(name)s", name=name)
            lines.append(Line(0, text, line["holds"]))
        else:
            lines.append(Line(line["depth"], line["text"], line["holds"]))
    note = None
    if contractor.status == RecordStatus.CANCELLED:
        note = _("Cancelled in the legacy system: never a member of any segment.")
    elif audience.rule is None and not audience.include_lists:
        note = _("The segment has no conditions and no included lists: it has no members.")
    return ContractorExplanation(contractor, result.member, lines, note)
