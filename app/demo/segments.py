"""Demo segments and a static list, so the audience builder opens on something real."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Contractor
from app.audiences.audience import Audience, count_members
from app.audiences.lists import add_members
from app.audiences.models import ListMode, Segment, SegmentList, StaticList
from app.audiences.rules import RuleError, parse_rule, rule_to_json
from app.core.clock import utcnow
from app.core.extensions import db

ALCOHOL_IN_CENTRE = {"all": [
    {"field": "attr.BRANZA", "op": "in", "value": ["gastronomia", "handel"]},
    {"field": "attr.KONCESJA_ALK", "op": "is_not_empty"},
    {"field": "district", "op": "in", "value": ["Centrum", "Zatorze"]},
    {"not": {"field": "has_arrears", "op": "is_true"}},
]}
CARRIERS_WITH_EMAIL = {"all": [
    {"field": "attr.POJAZDY", "op": "gt", "value": "3"},
    {"field": "has_email", "op": "is_true"},
]}
LONG_ARREARS = {"all": [
    {"field": "days_overdue", "op": "gt", "value": 30},
    {"field": "status", "op": "in", "value": ["active"]},
]}

DEMO_SEGMENTS = (
    ("Gastronomia i handel z koncesją – Centrum i Zatorze, bez zaległości",
     "Zaproszenia na wydarzenia w centrum miasta.", ALCOHOL_IN_CENTRE),
    ("Przewoźnicy (ponad 3 pojazdy) z adresem e-mail",
     "Informacje o podatku od środków transportowych.", CARRIERS_WITH_EMAIL),
    ("Zaległości ponad 30 dni", "Kontrahenci z najstarszą zaległością sprzed ponad miesiąca.", LONG_ARREARS),
)
MARKET_LIST = "Kupcy z targowiska miejskiego (lista z działu targowisk)"


def ensure_demo_segments() -> int:
    """Create the demo segments and list if missing; returns how many segments were created."""
    created = 0
    market = db.session.scalar(select(StaticList).where(StaticList.name == MARKET_LIST))
    if market is None:
        market = StaticList(name=MARKET_LIST, description="Przekazana w arkuszu przez dział targowisk.")
        db.session.add(market)
        db.session.flush()
        stalls = db.session.scalars(select(Contractor.id).where(Contractor.district == "Centrum")
                                    .order_by(Contractor.id).limit(40))
        add_members(market.id, list(stalls), source="csv")
    for name, description, rule in DEMO_SEGMENTS:
        if db.session.scalar(select(Segment.id).where(Segment.name == name)):
            continue
        try:
            node = parse_rule(rule)
        except RuleError:
            continue  # the data holds no such attribute (yet): nothing to show
        segment = Segment(name=name, description=description, rule=rule_to_json(node))
        if rule is ALCOHOL_IN_CENTRE:
            segment.lists.append(SegmentList(list_id=market.id, mode=ListMode.INCLUDE))
        db.session.add(segment)
        db.session.flush()
        segment.last_count = count_members(Audience.of_segment(segment))
        segment.last_counted_at = utcnow()
        created += 1
    return created
