"""The demo data is valid and realistic: identifiers, phones, deadlines, arrears, attributes."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import holidays
import phonenumbers
from schwifty import IBAN
from stdnum.pl import nip, pesel, regon

from tests.demo.conftest import CONTRACTORS, TODAY

POLAND = holidays.Poland(years=range(2025, 2028))
ALCOHOL_PKD = {"56.10.A", "56.30.Z", "56.21.Z", "47.11.Z", "47.25.Z", "46.34.A", "55.10.Z",
               "55.20.Z", "47.30.Z"}  # fmt: skip


def _day(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(" ", "").replace(",", "."))


def _working(day: date) -> bool:
    return day.weekday() < 5 and day not in POLAND


def test_units_have_valid_nip_and_nrb(rows):
    units = {r["KOD"]: r for r in rows["jednostki"]}
    assert set(units) == {"UM", "ZGN"}
    assert units["UM"]["NAZWA"] == "Urząd Miasta Ełku"
    for unit in units.values():
        assert nip.is_valid(unit["NIP"])
        assert len(unit["RACHUNEK"]) == 26
        IBAN("PL" + unit["RACHUNEK"])  # raises on a bad checksum


def test_identifiers_pass_stdnum_validation(rows):
    for row in rows["kontrahenci"]:
        assert nip.is_valid(row["NIP"]), row["NIP"]
        assert len(regon.compact(row["REGON"])) in (9, 14) and regon.is_valid(row["REGON"])
        if row["TYP"] == "OF":
            assert pesel.is_valid(row["PESEL"]), row["PESEL"]
            assert 1950 <= pesel.get_birth_date(row["PESEL"]).year <= 2005
        else:
            assert row["PESEL"] == ""
    forms = Counter("-" in r["NIP"] for r in rows["kontrahenci"])
    assert forms[True] and forms[False]


def test_kinds_shares_and_closed_contractors(rows):
    kinds = Counter(r["TYP"] for r in rows["kontrahenci"])
    assert kinds["OF"] > kinds["OP"] > kinds["JO"] > 0
    assert 0 < sum(r["STATUS"] == "Z" for r in rows["kontrahenci"]) < CONTRACTORS * 0.06


def test_every_phone_is_a_valid_polish_mobile_and_some_are_missing(rows):
    phones = [r["TELEFON"] for r in rows["kontrahenci"]]
    present = [p for p in phones if p]
    assert 0 < len(present) < len(phones)
    for text in present:
        number = phonenumbers.parse(text.replace("0048", "+48", 1) if text.startswith("00")
                                    else text, "PL")  # fmt: skip
        assert phonenumbers.is_valid_number(number), text
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, text
    assert {p.startswith("+48 ") for p in present} == {True, False}
    assert any(p.startswith("0048") for p in present) and any(" " in p for p in present)
    emails = [r["EMAIL"] for r in rows["kontrahenci"]]
    assert 0 < emails.count("") < len(emails) / 2
    assert all("@" in e and e.isascii() for e in emails if e)


def _moved(day: date) -> date:
    while not _working(day):
        day += timedelta(days=1)
    return day


def _statutory(row: dict[str, str]) -> date:
    """The deadline the law sets before any move, read from the kind and the period."""
    kind, period, due = row["RODZAJ"], row["OKRES"], _day(row["TERMIN"])
    if kind == "PON" and "/" in period:
        month = int(period[-2:])
        return date(2026, 1, 31) if month == 1 else date(2026, month, 15)
    if kind == "PON":
        return date(2026, {1: 3, 2: 5, 3: 9, 4: 11}[int(period[-1])], 15)
    if kind == "PST":
        return date(2026, 2 if period.endswith("1") else 9, 15)
    assert kind == "UW", row
    return date(due.year, 3, 31)


def test_tax_deadlines_move_off_days_off_but_alcohol_ones_never_do(rows):
    seen = Counter()
    for row in rows["naleznosci"]:
        kind, due = row["RODZAJ"], row["TERMIN"]
        seen[kind] += 1
        if kind in ("PON", "PST", "UW"):
            assert _working(_day(due)), row
            assert _day(due) == _moved(_statutory(row)), row
        if kind == "ALK":
            assert due in {"31.01.2026", "31.05.2026", "30.09.2026"}, row
        if kind == "KU":
            assert due == "" and row["KWOTA"] == "16,00", row
    assert all(seen[k] for k in ("PON", "PST", "ALK", "UW", "DZR", "KU", "ODS", "OPL"))


def test_deadlines_match_the_sample_calendar(rows):
    monthly = [r for r in rows["naleznosci"] if r["RODZAJ"] == "PON" and "/" in r["OKRES"]]
    due = {r["OKRES"]: r["TERMIN"] for r in monthly}
    assert due["2026/01"] == "02.02.2026"  # 31.01.2026 is a Saturday
    assert due["2026/02"] == "16.02.2026"  # 15.02.2026 is a Sunday
    assert due["2026/08"] == "17.08.2026"  # 15.08 is a holiday and a Saturday
    assert {r["TERMIN"] for r in rows["naleznosci"] if r["RODZAJ"] == "ALK"} == {
        "31.01.2026", "31.05.2026", "30.09.2026"}  # fmt: skip  (31.01 and 31.05 are days off)


def test_obligations_per_contractor_average_near_twenty(rows):
    average = len(rows["naleznosci"]) / CONTRACTORS
    assert 17 <= average <= 23, average
    assert Counter(r["STATUS"] for r in rows["naleznosci"])["U"] > 0


def test_there_are_arrears_overpayments_partial_and_late_payments(rows):
    paid = defaultdict(Decimal)
    paid_on: dict[str, date] = {}
    for pay in rows["wplaty"]:
        assert _day(pay["DATA"]) < TODAY
        if pay["ID_NALEZNOSCI"]:
            paid[pay["ID_NALEZNOSCI"]] += _amount(pay["KWOTA"])
            paid_on[pay["ID_NALEZNOSCI"]] = _day(pay["DATA"])
    overdue = [r for r in rows["naleznosci"]
               if r["STATUS"] == "A" and r["TERMIN"] and _day(r["TERMIN"]) < TODAY]  # fmt: skip
    unpaid = [r for r in overdue if r["ID_NALEZNOSCI"] not in paid]
    over = [r for r in overdue if paid[r["ID_NALEZNOSCI"]] > _amount(r["KWOTA"])]
    partial = [r for r in overdue if 0 < paid[r["ID_NALEZNOSCI"]] < _amount(r["KWOTA"])]
    late = [r for r in overdue if r["ID_NALEZNOSCI"] in paid_on
            and paid_on[r["ID_NALEZNOSCI"]] > _day(r["TERMIN"])]  # fmt: skip
    assert len(paid) > len(unpaid) > 0  # most are paid, some are arrears
    assert over and partial and late
    balance = defaultdict(Decimal)
    for r in rows["naleznosci"]:
        if r["STATUS"] == "A":
            balance[r["ID_KONTRAHENTA"]] += _amount(r["KWOTA"])
    for pay in rows["wplaty"]:
        balance[pay["ID_KONTRAHENTA"]] -= _amount(pay["KWOTA"])
    assert any(v < 0 for v in balance.values())  # overpayments (nadpłaty)


def test_attributes_are_consistent_with_industry_and_charges(rows):
    attrs: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows["cechy"]:
        attrs[row["ID_KONTRAHENTA"]][row["CECHA"]] = row["WARTOSC"]
    kinds = defaultdict(set)
    for row in rows["naleznosci"]:
        kinds[row["ID_KONTRAHENTA"]].add(row["RODZAJ"])
    for row in rows["kontrahenci"]:
        cid, own = row["ID_KONTRAHENTA"], attrs[row["ID_KONTRAHENTA"]]
        assert own["WIELKOSC"] in {"mikro", "mala", "srednia", "duza"} and own["BRANZA"]
        if "KONCESJA_ALK" in own:
            assert row["PKD"] in ALCOHOL_PKD, row
            assert set(own["KONCESJA_ALK"].split(",")) <= {"A", "B", "C"}
        assert ("KONCESJA_ALK" in own) == ("ALK" in kinds[cid])
        assert ("POJAZDY" in own) == ("PST" in kinds[cid])
        assert ("NIERUCHOMOSC_M2" in own) == ("PON" in kinds[cid])
        if own.get("BRANZA") == "gastronomia":
            assert row["PKD"].startswith("56.")
    codes = Counter(code for own in attrs.values() for code in own)
    assert codes["OGRODEK_PIWNY"] > 0 and codes["TARGOWISKO"] > 0
    assert codes["ZGODA_INFO_KULTURA"] > 0 and codes["ZATRUDNIENIE"] > 0


def test_appointments_are_after_today_in_office_hours(rows):
    assert rows["terminy"]
    for row in rows["terminy"]:
        day = _day(row["DATA"])
        assert TODAY < day <= date(2027, 1, 10) and _working(day), row
        assert "07:30" <= row["GODZINA"] <= "15:00" and row["MIEJSCE"]
