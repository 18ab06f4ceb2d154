"""A varied little town of contractors, and a plain-Python reading of segment rules over it.

The reading follows the meaning written in `app.audiences.catalogue`, independently of the SQL
compiler, so a property test can check that both select the same contractors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.accounts.models import (
    Allocation,
    Appointment,
    AttributeDefinition,
    Consent,
    ContactPoint,
    Contractor,
    ContractorAttribute,
    Obligation,
    Payment,
    Unit,
)
from app.audiences.catalogue import PKD_SECTIONS
from app.audiences.rules import Condition, Group, Negation, Node
from app.channels.models import OptOut
from app.core.clock import to_warsaw
from app.core.extensions import db

TODAY = date(2026, 11, 23)
DISTRICTS = ["Centrum", "Zatorze", "Śródmieście", "Osiedle Jeziorna", None, ""]
NAMES = ["Łódź Handel", "ŻABKA Ełk", "Piekarnia Świt", "Auto-Trans 50%", "kwiaciarnia_róża", "Bar Mleczny"]
PKDS = ["56.10.A", "47.11.Z", "01.11.Z", "49.41.Z", "99.00.Z", None, "35.11.Z"]
SIZES = ["mikro", "mala", "srednia", "duza", ""]
LICENCES = ["A", "A,B", "B, C", "A,B,C", "C"]
KINDS = ["PON", "PST", "ALK", "UW", "KU"]
PHONES = ["+48600100200", "+48600100201", "+48876543210", "+48500600700", "+48510000001"]
EMAILS = ["biuro@firma.pl", "kasa@firma.pl", "a@b.pl", "sklep@ełk.pl"]


@dataclass
class Town:
    """What was written, kept in plain Python for the reference reading."""

    units: list[int] = field(default_factory=list)
    contractors: dict[int, dict] = field(default_factory=dict)
    opt_outs: set[tuple[str, str]] = field(default_factory=set)


def build_town(seed: int = 7, size: int = 60) -> Town:
    """Write a random but reproducible town into the database and return its plain copy."""
    rnd = random.Random(seed)
    town = Town()
    units = [Unit(code=f"J{i}", name=f"Jednostka {i}") for i in range(3)]
    db.session.add_all(units)
    db.session.add_all([
        AttributeDefinition(code="WIELKOSC", value_type="text"),
        AttributeDefinition(code="KONCESJA_ALK", value_type="list"),
        AttributeDefinition(code="POJAZDY", value_type="number"),
        AttributeDefinition(code="TARGOWISKO", value_type="flag"),
        AttributeDefinition(code="DATA_ZEZW", value_type="date"),
    ])
    db.session.flush()
    town.units = [u.id for u in units]
    for phone in rnd.sample(PHONES, 2):
        db.session.add(OptOut(channel="sms", address=phone, source="sms"))
        town.opt_outs.add(("sms", phone))
    db.session.add(OptOut(channel="email", address=EMAILS[0], source="email-link"))
    town.opt_outs.add(("email", EMAILS[0]))
    for n in range(size):
        c = Contractor(
            legacy_id=f"K{n:05d}", kind=rnd.choice(["OP", "JO", "OF"]),
            name=f"{rnd.choice(NAMES)} {n}", nip=rnd.choice(["7900712840", "8481000123", None]),
            district=rnd.choice(DISTRICTS), city=rnd.choice(["Ełk", "Stare Juchy", None]),
            pkd=rnd.choice(PKDS), status=rnd.choice(["active"] * 5 + ["closed", "cancelled"]),
        )
        db.session.add(c)
        db.session.flush()
        plain = {"id": c.id, "kind": c.kind, "name": c.name, "nip": c.nip, "district": c.district,
                 "city": c.city, "postal_code": None, "street": None, "pkd": c.pkd, "status": c.status,
                 "attrs": {}, "obligations": [], "payments": [], "appointments": [], "points": [],
                 "consents": []}
        town.contractors[c.id] = plain
        _attributes(rnd, c, plain)
        _account(rnd, c, plain, units)
        _contacts(rnd, c, plain, units)
    db.session.commit()
    return town


def _attributes(rnd, c, plain) -> None:
    values = {}
    if rnd.random() < 0.8:
        values["WIELKOSC"] = (rnd.choice(SIZES), None, None)
    if rnd.random() < 0.4:
        values["KONCESJA_ALK"] = (rnd.choice(LICENCES), None, None)
    if rnd.random() < 0.5:
        count = rnd.choice([0, 1, 2, 3, 4, 7, 12])
        values["POJAZDY"] = (str(count), Decimal(count), None)
    if rnd.random() < 0.3:
        values["TARGOWISKO"] = (rnd.choice(["T", "N", "t"]), None, None)
    if rnd.random() < 0.3:
        day = TODAY + timedelta(days=rnd.randint(-60, 60))
        values["DATA_ZEZW"] = (day.strftime("%d.%m.%Y"), None, day)
    for code, (value, number, day) in values.items():
        db.session.add(ContractorAttribute(contractor_id=c.id, code=code, value=value,
                                           value_number=number, value_date=day))
        plain["attrs"][code] = {"value": value, "number": number, "date": day}


def _account(rnd, c, plain, units) -> None:
    for _ in range(rnd.choice([0, 0, 1, 2, 3])):
        unit = rnd.choice(units)
        kind = rnd.choice(KINDS)
        due = None if kind == "KU" else TODAY + timedelta(days=rnd.choice([-1, 0, 1, -7, 7, rnd.randint(-40, 40)]))
        amount = Decimal(rnd.choice(["100.00", "250.50", "16.00", "1200.25"]))
        status = rnd.choice(["active"] * 6 + ["cancelled"])
        o = Obligation(contractor_id=c.id, unit_id=unit.id, kind=kind, description="x", due_on=due,
                       amount=amount, status=status)
        db.session.add(o)
        db.session.flush()
        ob = {"id": o.id, "unit": unit.id, "kind": kind, "due": due, "amount": amount, "status": status,
              "paid": Decimal("0")}
        plain["obligations"].append(ob)
        share = rnd.choice([None, Decimal("1"), Decimal("0.5")])
        if share is not None:
            paid = (amount * share).quantize(Decimal("0.01"))
            pay_status = rnd.choice(["active"] * 5 + ["cancelled"])
            p = Payment(contractor_id=c.id, unit_id=unit.id, paid_on=TODAY, amount=paid, method="P",
                        status=pay_status)
            db.session.add(p)
            db.session.flush()
            db.session.add(Allocation(payment_id=p.id, obligation_id=o.id, amount=paid))
            plain["payments"].append({"amount": paid, "status": pay_status})
            if pay_status == "active":
                ob["paid"] += paid
    if rnd.random() < 0.2:
        amount = Decimal(rnd.choice(["50.00", "16.00"]))
        db.session.add(Payment(contractor_id=c.id, unit_id=None, paid_on=TODAY, amount=amount, method="K"))
        plain["payments"].append({"amount": amount, "status": "active"})
    if rnd.random() < 0.3:
        starts = datetime(2026, 11, 23, 7, 30, tzinfo=UTC) + timedelta(days=rnd.randint(-10, 20),
                                                                       hours=rnd.choice([0, 16]))
        status = rnd.choice(["active", "active", "cancelled"])
        db.session.add(Appointment(contractor_id=c.id, unit_id=units[0].id, starts_at=starts, status=status))
        plain["appointments"].append({"starts": starts, "status": status})


def _contacts(rnd, c, plain, units) -> None:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    for channel, pool in (("sms", PHONES), ("email", EMAILS)):
        for value in rnd.sample(pool, rnd.choice([0, 1, 1, 2])):
            point = ContactPoint(
                contractor_id=c.id, channel=channel, value=value,
                is_active=rnd.random() < 0.85,
                verified_at=stamp if rnd.random() < 0.3 else None,
                unusable_reason=rnd.choice([None] * 6 + ["bounced", "invalid"]),
            )
            db.session.add(point)
            db.session.flush()
            plain["points"].append({"id": point.id, "channel": channel, "value": value,
                                    "active": point.is_active, "verified": point.verified_at is not None,
                                    "unusable": point.unusable_reason, "class": point.number_class})
        for _ in range(rnd.choice([0, 1, 1, 2])):
            granted = rnd.random() < 0.7
            when = stamp + timedelta(days=rnd.choice([0, 1, 2]))
            unit_id = None if rnd.random() < 0.85 else rnd.choice(units).id
            db.session.add(Consent(contractor_id=c.id, channel=channel, granted=granted, source="legacy",
                                   recorded_at=when, unit_id=unit_id))
            plain["consents"].append({"channel": channel, "granted": granted, "when": when, "unit": unit_id})


# -- the reference reading --------------------------------------------------------------------


class Reader:
    """Evaluate a typed rule over the plain town."""

    def __init__(self, town: Town, *, today: date = TODAY, sms_classes=("mobile",)) -> None:
        self.town = town
        self.today = today
        self.sms_classes = sms_classes

    def members(self, node: Node | None) -> set[int]:
        return {cid for cid, c in self.town.contractors.items()
                if c["status"] != "cancelled" and (node is None or self.holds(node, c))}

    def holds(self, node: Node, c: dict) -> bool:
        if isinstance(node, Negation):
            return not self.holds(node.child, c)
        if isinstance(node, Group):
            results = [self.holds(child, c) for child in node.children]
            return all(results) if node.mode == "all" else any(results)
        return self.condition(node, c)

    def condition(self, cond: Condition, c: dict) -> bool:
        negated = {"ne": "eq", "not_in": "in", "has_none": "has_any", "is_false": "is_true",
                   "is_not_empty": "is_empty"}
        if cond.op in negated:
            return not self.condition(Condition(cond.field, negated[cond.op], cond.value), c)
        key = cond.field.key
        if key.startswith("attr."):
            return self.attribute(key[5:], cond, c)
        if key in ("name", "nip", "district", "city", "postal_code", "street", "pkd"):
            return text_holds(c[key], cond)
        return getattr(self, key)(cond, c)

    def attribute(self, code: str, cond: Condition, c: dict) -> bool:
        attr = c["attrs"].get(code)
        if cond.op == "is_empty":
            return attr is None or attr["value"] == ""
        if attr is None:
            return False
        kind = cond.field.type
        if kind == "flag":
            return attr["value"].upper() == "T"
        if kind == "number":
            return attr["number"] is not None and number_holds(cond.op, cond.value, attr["number"])
        if kind == "date":
            return self.day_holds(attr["date"], cond)
        if kind == "list":
            items = set(attr["value"].replace(" ", "").split(","))
            tests = [item in items for item in cond.value]
            return any(tests) if cond.op == "has_any" else all(tests)
        return text_holds(attr["value"], cond)

    def day_holds(self, day: date | None, cond: Condition) -> bool:
        if day is None:
            return False
        op, v, age = cond.op, cond.value, (self.today - day).days
        return {
            "on": lambda: day == v,
            "before": lambda: day < v,
            "after": lambda: day > v,
            "between": lambda: v[0] <= day <= v[1],
            "within_next": lambda: -v <= age <= 0,
            "within_last": lambda: 0 <= age <= v,
            "more_than_days_ago": lambda: age > v,
        }[op]()

    # derived facts

    def kind(self, cond, c):
        return c["kind"] in cond.value

    def status(self, cond, c):
        return c["status"] in cond.value

    def pkd_section(self, cond, c):
        pkd = c["pkd"]
        return pkd is not None and any(PKD_SECTIONS[s][0] <= pkd[:2] <= PKD_SECTIONS[s][1] for s in cond.value)

    def unpaid(self, c):
        return [o for o in c["obligations"] if o["status"] == "active" and o["amount"] - o["paid"] > 0]

    def balance(self, cond, c):
        total = sum((o["amount"] for o in c["obligations"] if o["status"] == "active"), Decimal("0"))
        total -= sum((p["amount"] for p in c["payments"] if p["status"] == "active"), Decimal("0"))
        return number_holds(cond.op, cond.value, total)

    def days_overdue(self, cond, c):
        overdue = [(self.today - o["due"]).days for o in self.unpaid(c) if o["due"] and o["due"] < self.today]
        return number_holds(cond.op, cond.value, max(overdue, default=0))

    def has_arrears(self, cond, c):
        return any(o["due"] and o["due"] < self.today for o in self.unpaid(c))

    def obligation_kind(self, cond, c):
        return any(o["status"] == "active" and o["kind"] in cond.value for o in c["obligations"])

    def unit(self, cond, c):
        wanted = {int(v) for v in cond.value}
        return any(o["status"] == "active" and o["unit"] in wanted for o in c["obligations"])

    def due_date(self, cond, c):
        dues = [o["due"] for o in self.unpaid(c) if o["due"]]
        if cond.op == "is_empty":
            return not dues
        return any(self.day_holds(d, cond) for d in dues)

    def appointment_date(self, cond, c):
        days = [to_warsaw(a["starts"]).date() for a in c["appointments"] if a["status"] == "active"]
        if cond.op == "is_empty":
            return not days
        return any(self.day_holds(d, cond) for d in days)

    def _points(self, c, channel, **tests):
        return [p for p in c["points"] if p["channel"] == channel and p["active"]
                and all(p[k] == v for k, v in tests.items())]

    def has_phone(self, cond, c):
        return bool(self._points(c, "sms"))

    def has_email(self, cond, c):
        return bool(self._points(c, "email"))

    def verified_phone(self, cond, c):
        return bool(self._points(c, "sms", verified=True))

    def verified_email(self, cond, c):
        return bool(self._points(c, "email", verified=True))

    def consent(self, c, channel) -> bool:
        office = [k for k in c["consents"] if k["channel"] == channel and k["unit"] is None]
        return any(g["granted"] and not any(not w["granted"] and w["when"] >= g["when"] for w in office)
                   for g in office)

    def consent_sms(self, cond, c):
        return self.consent(c, "sms")

    def consent_email(self, cond, c):
        return self.consent(c, "email")

    def usable(self, p) -> bool:
        if p["unusable"] is not None or (p["channel"], p["value"]) in self.town.opt_outs:
            return False
        return p["channel"] != "sms" or p["class"] in self.sms_classes

    def reachable(self, c, channel) -> bool:
        return self.consent(c, channel) and any(self.usable(p) for p in self._points(c, channel))

    def reachable_sms(self, cond, c):
        return self.reachable(c, "sms")

    def reachable_email(self, cond, c):
        return self.reachable(c, "email")


def number_holds(op: str, value, number) -> bool:
    """Number comparisons as the catalogue defines them."""
    if op == "between":
        return value[0] <= number <= value[1]
    return {"eq": number == value, "gt": number > value, "gte": number >= value,
            "lt": number < value, "lte": number <= value}[op]


def text_holds(value: str | None, cond: Condition) -> bool:
    """Text tests as the catalogue defines them."""
    if cond.op == "is_empty":
        return not value
    if value is None:
        return False
    if cond.op == "eq":
        return value == cond.value
    if cond.op == "in":
        return value in cond.value
    if cond.op == "contains":
        return cond.value.lower() in value.lower()
    if cond.op == "starts_with":
        return value.lower().startswith(cond.value.lower())
    raise AssertionError(cond.op)
