"""One demo contractor: its profile, its kontrahenci.csv row and its cechy.csv rows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.demo import city, names
from app.demo.formats import (
    flag,
    fmt_datetime,
    fmt_decimal,
    format_nip,
    format_phone,
    make_mobile,
    make_nip,
    make_pesel,
    make_regon,
)
from app.demo.industries import INDUSTRIES, SIZES, Activity, Industry

KINDS = ("OF", "OP", "JO")
BEHAVIOURS = ("punctual", "late", "debtor", "overpayer", "prepayer", "partial")
BEHAVIOUR_WEIGHTS = (62, 17, 9, 4, 5, 3)
_INDUSTRY_WEIGHTS = [i.weight for i in INDUSTRIES]
_DISTRICTS = list(city.DISTRICTS)
_DISTRICT_WEIGHTS = [w for w, _ in city.DISTRICTS.values()]
_SIZE_NAMES = list(SIZES)
_PHONE_STYLE_WEIGHTS = (40, 15, 12, 22, 6, 5)
_INDUSTRIAL = {"transport", "budownictwo", "produkcja", "hurt napojów"}


@dataclass(slots=True)
class Profile:
    """What the generator needs to know about a contractor to write its charges."""

    index: int
    cid: str
    kind: str
    name: str
    nip: str
    industry: Industry
    activity: Activity
    size: str
    m2: float  # usable floor area taxed with property tax (0 = no property tax)
    vehicles: int
    licences: str  # alcohol licence categories, e.g. "A,B,C" ("" = none)
    lease: bool
    usufruct: bool
    market: bool
    garden: bool
    waste: bool  # in the municipal waste system (monthly fee)
    behaviour: str
    closed_on: date | None


def _choose_activity(rng: random.Random, industry: Industry) -> Activity:
    return rng.choices(industry.activities, [a.weight for a in industry.activities])[0]


def build_profile(rng: random.Random, index: int, width: int, year: int) -> Profile:
    """Draw a contractor's kind, industry, size and which charges it carries."""
    industry = rng.choices(INDUSTRIES, _INDUSTRY_WEIGHTS)[0]
    activity = _choose_activity(rng, industry)
    kind = rng.choices(KINDS, industry.kinds)[0]
    k = KINDS.index(kind)
    size = rng.choices(_SIZE_NAMES, [SIZES[s][0][k] for s in _SIZE_NAMES])[0]
    lo, hi = industry.m2
    has_property = rng.random() < 0.88
    m2 = round(rng.uniform(lo, hi) * SIZES[size][2], 2) if has_property else 0.0
    share, vmin, vmax = industry.vehicles
    vehicles = 0
    if rng.random() < share:
        vehicles = min(vmax, int(rng.triangular(vmin, vmax + 1, vmin)) * (2 if size != "mikro" else 1))
        vehicles = max(vmin, vehicles)
    licences = rng.choice(activity.licences) if rng.random() < activity.alcohol else ""
    closed = rng.random() < 0.02
    return Profile(
        index=index,
        cid=f"K{index:0{width}d}",
        kind=kind,
        name="",
        nip="",
        industry=industry,
        activity=activity,
        size=size,
        m2=m2,
        vehicles=vehicles,
        licences=licences,
        lease=rng.random() < industry.lease,
        usufruct=rng.random() < industry.usufruct,
        market=rng.random() < industry.market,
        garden=bool(licences) and rng.random() < industry.garden,
        waste=rng.random() < 0.6,
        behaviour=rng.choices(BEHAVIOURS, BEHAVIOUR_WEIGHTS)[0],
        closed_on=date(year, rng.randint(3, 10), rng.randint(1, 28)) if closed else None,
    )


def _firm_name(rng: random.Random, p: Profile) -> tuple[str, str, bool]:
    """The firm's name, the word its email address is made of and the owner's sex (OF)."""
    trade = p.activity.trade
    brand = names.brand(rng, p.industry.suffixes)
    if p.kind == "OF":
        first, last, female = names.person(rng)
        form = rng.random()
        if form < 0.35:
            return f"{trade} {first} {last}", last, female
        if form < 0.6:
            return f"{first} {last} {trade}", last, female
        if form < 0.85:
            return f"{trade} „{brand}” {first} {last}", brand, female
        return f"P.H.U. „{brand}” {first} {last}", brand, female
    if p.kind == "JO":
        a, b = names.surname(rng), names.surname(rng)
        form = rng.random()
        if form < 0.45:
            return f"{trade} {a} i {b} s.c.", a, False
        if form < 0.75:
            return f"{trade} „{brand}” s.c.", brand, False
        return f"{brand} {a} i Wspólnicy sp.j.", brand, False
    word = rng.choice(p.industry.company_words)
    legal = rng.choices(
        ("Sp. z o.o.", "S.A.", "Sp. z o.o. sp.k.", "sp.k.", "P.S.A."), (78, 6, 9, 5, 2)
    )[0]
    form = rng.random()
    if form < 0.4:
        return f"{brand} {legal}", brand, False
    if form < 0.7:
        return f"{word} {names.surname(rng).upper()} {legal}", word, False
    return f"{word} „{brand}” {legal}", brand, False


def _address(rng: random.Random, p: Profile) -> tuple[str, str, str, str, str]:
    """(street, house no, flat no, town, district)."""
    if rng.random() < 0.04:
        return "", str(rng.randint(1, 80)), "", rng.choice(city.VILLAGES), ""
    if p.industry.key in _INDUSTRIAL and rng.random() < 0.6:
        district = rng.choice(city.INDUSTRIAL_DISTRICTS)
    else:
        district = rng.choices(_DISTRICTS, _DISTRICT_WEIGHTS)[0]
    street = rng.choice(city.DISTRICTS[district][1])
    house = str(rng.randint(1, 140))
    if rng.random() < 0.1:
        house += rng.choice("ABC")
    flat = str(rng.randint(1, 60)) if p.industry.key not in _INDUSTRIAL and rng.random() < 0.3 else ""
    return street, house, flat, city.CITY, district


def contractor_row(rng: random.Random, p: Profile, today: date) -> list[str]:
    """Fill in the profile's name and NIP and return its kontrahenci.csv row."""
    p.name, mail_word, female = _firm_name(rng, p)
    office = city.LOCAL_TAX_OFFICE if rng.random() < 0.78 else rng.choice(city.OTHER_TAX_OFFICES)
    p.nip = make_nip(rng, office)
    regon_prefix = rng.choices(("28", "36", "38", "51", "52"), (50, 20, 15, 8, 7))[0]
    regon = make_regon(rng, regon_prefix, local_unit=p.kind == "JO" and rng.random() < 0.25)
    pesel = ""
    if p.kind == "OF":
        born = date(1955, 1, 1) + timedelta(days=rng.randint(0, 45 * 365))
        pesel = make_pesel(rng, born, female)
    street, house, flat, town, district = _address(rng, p)
    phone = ""
    if rng.random() < 0.86:
        style = rng.choices(range(6), _PHONE_STYLE_WEIGHTS)[0]
        phone = format_phone(make_mobile(rng), style)
    email = ""
    if rng.random() < 0.78:
        slug = names.ascii_slug(mail_word) or "firma"
        if p.kind == "OF" and rng.random() < 0.6:
            email = f"{slug}{rng.randint(1, 999)}@{rng.choice(names.FREE_MAIL)}"
        else:
            email = f"{rng.choice(names.FIRM_MAILBOXES)}@{slug}{p.index}.pl"
    sms_ok = bool(phone) and rng.random() < 0.62
    email_ok = bool(email) and rng.random() < 0.55
    days_back = rng.randint(1, 60) if rng.random() < 0.1 else rng.randint(30, 1500)
    modified = datetime.combine(today - timedelta(days=days_back), datetime.min.time())
    modified += timedelta(minutes=rng.randint(7 * 60 + 30, 15 * 60 + 30))
    if p.closed_on:
        modified = datetime.combine(p.closed_on, datetime.min.time()) + timedelta(hours=10)
    nip_style = rng.choices((0, 1, 2), (50, 35, 15))[0]
    return [
        p.cid, p.kind, p.name, format_nip(p.nip, nip_style), regon, pesel, street, house, flat,
        city.POSTAL_CODE, town, district, p.activity.pkd, phone, email, flag(sms_ok),
        flag(email_ok), fmt_datetime(modified), "Z" if p.closed_on else "A",
    ]  # fmt: skip


def attribute_rows(rng: random.Random, p: Profile) -> list[list[str]]:
    """The contractor's cechy.csv rows, consistent with its industry and charges."""
    rows = [[p.cid, "WIELKOSC", p.size], [p.cid, "BRANZA", p.industry.key]]
    if p.licences:
        rows.append([p.cid, "KONCESJA_ALK", p.licences])
    if p.vehicles:
        rows.append([p.cid, "POJAZDY", str(p.vehicles)])
    if p.m2:
        rows.append([p.cid, "NIERUCHOMOSC_M2", fmt_decimal(p.m2)])
    if rng.random() < 0.6:
        lo, hi = SIZES[p.size][1]
        rows.append([p.cid, "ZATRUDNIENIE", str(rng.randint(max(lo, 1 if p.kind != "OF" else 0), hi))])
    if p.market:
        rows.append([p.cid, "TARGOWISKO", "T"])
    if rng.random() < 0.3:
        rows.append([p.cid, "ZGODA_INFO_KULTURA", "T"])
    if p.garden:
        rows.append([p.cid, "OGRODEK_PIWNY", "T"])
    return rows
