"""A demo contractor's charges for the year (naleznosci.csv): taxes, fees, rents."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.demo.contractors import Profile
from app.demo.formats import fmt_date, fmt_grosze, next_working_day

PROPERTY_RATE_GROSZE = 2985  # zł per m2 of floor area used for business, in grosze
ALCOHOL_BASE_GROSZE = {"A": 52500, "B": 52500, "C": 210000}
ALCOHOL_RATE = {"A": 0.014, "B": 0.014, "C": 0.027}
ALCOHOL_THRESHOLD = {"A": 37500_00, "B": 37500_00, "C": 77000_00}


@dataclass(slots=True)
class Charge:
    """One obligation row before it is written; `oid` is given when the row is numbered."""

    unit: str
    kind: str
    opis: str
    podstawa: str
    nr: str
    okres: str
    due: date | None
    grosze: int
    assessed: date
    status: str = "A"
    oid: str = ""

    def row(self, cid: str) -> list[str]:
        """The naleznosci.csv row."""
        return [
            self.oid, cid, self.unit, self.kind, self.opis, self.podstawa, self.nr, self.okres,
            fmt_date(self.due), fmt_grosze(self.grosze), fmt_date(self.assessed), self.status,
        ]  # fmt: skip


def _working_day_in(rng: random.Random, start: date, span: int) -> date:
    return next_working_day(start + timedelta(days=rng.randint(0, span)))


def _split(total: int, parts: int) -> list[int]:
    """Instalments in whole złoty; the first one takes the remainder."""
    each = total // parts // 100 * 100
    return [total - each * (parts - 1)] + [each] * (parts - 1)


def _area(m2: float) -> str:
    return fmt_grosze(round(m2 * 100))


def property_tax(rng: random.Random, p: Profile, year: int) -> list[Charge]:
    """PON: monthly for legal persons and units (declaration DN-1), four for natural persons."""
    annual = round(p.m2 * PROPERTY_RATE_GROSZE / 100) * 100  # tax is rounded to whole złoty
    base = f"podstawa opodatkowania: {_area(p.m2)} m2 pow. użytkowej"
    if p.kind == "OF":
        issued = _working_day_in(rng, date(year, 2, 2), 20)
        doc = f"FN.3120.{p.index}.{year}"
        basis = f"Decyzja {doc} z {fmt_date(issued)}; {base}"
        days = [(3, 15), (5, 15), (9, 15), (11, 15)] if annual > 10000 else [(3, 15)]
        amounts = _split(annual, len(days))
        return [
            Charge("UM", "PON", f"Podatek od nieruchomości {year}, rata {n}", basis, doc,
                   f"{year} rata {n}", next_working_day(date(year, m, d)), amount, issued)
            for n, ((m, d), amount) in enumerate(zip(days, amounts, strict=True), start=1)
        ]  # fmt: skip
    filed = _working_day_in(rng, date(year, 1, 5), 24)
    basis = f"Deklaracja DN-1 z {fmt_date(filed)}; {base}"
    doc = f"DN-1/{year}/{p.index}"
    out = []
    for month, amount in enumerate(_split(annual, 12), start=1):
        due = date(year, 1, 31) if month == 1 else date(year, month, 15)
        out.append(
            Charge("UM", "PON", f"Podatek od nieruchomości {year}, rata {month:02d}", basis, doc,
                   f"{year}/{month:02d}", next_working_day(due), amount, filed)
        )  # fmt: skip
    return out


def _vehicles_word(n: int) -> str:
    if n == 1:
        return "pojazd"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "pojazdy"
    return "pojazdów"


def transport_tax(rng: random.Random, p: Profile, year: int) -> list[Charge]:
    """PST: two instalments, 15 February and 15 September (moved off days off)."""
    total = sum(rng.randint(900, 3200) for _ in range(p.vehicles)) * 100
    filed = _working_day_in(rng, date(year, 2, 2), 10)
    doc = f"DT-1/{year}/{p.index}"
    basis = f"Deklaracja DT-1 z {fmt_date(filed)}; {p.vehicles} {_vehicles_word(p.vehicles)}"
    second = total // 2 // 100 * 100
    return [
        Charge("UM", "PST", f"Podatek od środków transportowych {year}, rata {n}", basis, doc,
               f"{year} rata {n}", next_working_day(due), amount, filed)
        for n, due, amount in ((1, date(year, 2, 15), total - second),
                               (2, date(year, 9, 15), second))
    ]  # fmt: skip


def alcohol_fee(rng: random.Random, p: Profile, year: int) -> list[Charge]:
    """ALK: 31 January, 31 May, 30 September, never moved."""
    total, sales = 0, 0
    for cat in p.licences.split(","):
        value = rng.randint(5000_00, 30000_00)
        if rng.random() < 0.35:
            value = rng.randint(ALCOHOL_THRESHOLD[cat], ALCOHOL_THRESHOLD[cat] * 8)
        sales += value
        fee = ALCOHOL_BASE_GROSZE[cat]
        if value > ALCOHOL_THRESHOLD[cat]:
            fee = round(value * ALCOHOL_RATE[cat])
        total += fee
    doc = f"ZEZW/{p.index}/{year - rng.randint(0, 5)}"
    basis = (f"Zezwolenie {doc} kat. {p.licences}; oświadczenie o wartości sprzedaży "
             f"za {year - 1}: {fmt_grosze(sales)} zł")  # fmt: skip
    filed = _working_day_in(rng, date(year, 1, 2), 25)
    each = total // 3
    amounts = (total - 2 * each, each, each)
    dues = (date(year, 1, 31), date(year, 5, 31), date(year, 9, 30))
    return [
        Charge("UM", "ALK",
               f"Opłata za zezwolenie na sprzedaż napojów alkoholowych {year}, rata {n}", basis,
               doc, f"{year} rata {n}", due, amount, filed)
        for n, (due, amount) in enumerate(zip(dues, amounts, strict=True), start=1)
    ]  # fmt: skip


def usufruct_fee(rng: random.Random, p: Profile, year: int) -> list[Charge]:
    """UW: the yearly perpetual usufruct fee, 31 March (moved off days off)."""
    value = rng.randint(40_000, 1_500_000) * 100
    rate = 3 if rng.random() < 0.85 else 1
    doc = f"GN.6844.{p.index}.{year - rng.randint(2, 15)}"
    basis = f"Decyzja {doc}; wartość gruntu {fmt_grosze(value)} zł; stawka {rate}%"
    return [
        Charge("ZGN", "UW", f"Opłata roczna z tytułu użytkowania wieczystego {year}", basis, doc,
               str(year), next_working_day(date(year, 3, 31)), value * rate // 100,
               _working_day_in(rng, date(year, 1, 2), 20))
    ]  # fmt: skip


def monthly_contract(
    rng: random.Random, p: Profile, year: int, kind: str, unit: str
) -> list[Charge]:
    """DZR lease rent or an OPL market stall fee: due on the 10th, never moved (civil law)."""
    signed = year - rng.randint(0, 8)
    if kind == "DZR":
        area = rng.randint(20, 800) if p.size == "mikro" else rng.randint(200, 5000)
        monthly = round(area * rng.uniform(1.2, 9.0) * 100)
        doc = f"ZGN/D/{p.index}/{signed}"
        basis = f"Umowa dzierżawy {doc}; działka nr {rng.randint(1, 2999)}/{rng.randint(1, 40)}, " \
                f"obręb {rng.randint(1, 9)} Ełk, pow. {area} m2"
        title = "Czynsz dzierżawny"
    else:
        area = rng.choice((6, 8, 10, 12, 15, 20))
        monthly = area * rng.choice((1800, 2200, 2500))
        doc = f"ZGN/T/{p.index}/{signed}"
        basis = f"Umowa rezerwacji stanowiska {doc}; targowisko miejskie ul. Kolejowa, " \
                f"stanowisko {rng.randint(1, 240)}, {area} m2"
        title = "Opłata za stanowisko na targowisku miejskim"
    out = []
    for month in range(1, 13):
        due = date(year, month, 10)
        status = "U" if p.closed_on and due > p.closed_on else "A"
        assessed = due - timedelta(days=rng.randint(8, 30))
        out.append(Charge(unit, kind, f"{title} {year}/{month:02d}", basis, doc,
                          f"{year}/{month:02d}", due, monthly, assessed, status))  # fmt: skip
    return out


def garden_fee(rng: random.Random, p: Profile, year: int) -> list[Charge]:
    """OPL: pavement occupied by a summer garden, 14 days after the decision."""
    area, days = rng.randint(8, 60), rng.randint(90, 183)
    issued = _working_day_in(rng, date(year, 3, 20), 40)
    doc = f"ZD.7230.{p.index}.{year}"
    basis = f"Decyzja {doc} z {fmt_date(issued)}; {area} m2 × {days} dni × 0,50 zł"
    return [
        Charge("UM", "OPL", f"Opłata za zajęcie pasa drogowego – ogródek {year}", basis, doc,
               str(year), next_working_day(issued + timedelta(days=28)), area * days * 50, issued)
    ]  # fmt: skip


def waste_fee(rng: random.Random, p: Profile, year: int) -> list[Charge]:
    """OPL: the monthly municipal waste fee, by the 15th (moved off days off)."""
    size, rate = rng.choice(((120, 1850), (240, 3120), (1100, 11240)))
    bins = rng.randint(1, 2 if p.size == "mikro" else 8)
    pickups = rng.choice((2, 4))
    filed = _working_day_in(rng, date(year - rng.randint(0, 6), 1, 5), 60)
    doc = f"DO-1/{p.index}"
    basis = f"Deklaracja DO-1 z {fmt_date(filed)}; {bins} × pojemnik {size} l, {pickups} odbiory w miesiącu"
    monthly = bins * rate * pickups
    assessed = min(filed, date(year, 1, 2))
    return [
        Charge("UM", "OPL", f"Opłata za gospodarowanie odpadami komunalnymi {year}/{month:02d}",
               basis, doc, f"{year}/{month:02d}", next_working_day(date(year, month, 15)),
               monthly, assessed, "U" if p.closed_on and date(year, month, 1) > p.closed_on else "A")
        for month in range(1, 13)
    ]  # fmt: skip


def yearly_charges(rng: random.Random, p: Profile, year: int) -> list[Charge]:
    """Every regular charge of the contractor for the year, in the order they are numbered."""
    charges: list[Charge] = []
    if p.m2:
        charges += property_tax(rng, p, year)
    if p.vehicles:
        charges += transport_tax(rng, p, year)
    if p.licences:
        charges += alcohol_fee(rng, p, year)
    if p.usufruct:
        charges += usufruct_fee(rng, p, year)
    if p.lease:
        charges += monthly_contract(rng, p, year, "DZR", "ZGN")
    if p.market:
        charges += monthly_contract(rng, p, year, "OPL", "ZGN")
    if p.waste:
        charges += waste_fee(rng, p, year)
    if p.garden:
        charges += garden_fee(rng, p, year)
    return charges
