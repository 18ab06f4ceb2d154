"""`write_snapshot`: a deterministic demo legacy snapshot, streamed row by row to CSV files."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

from app.demo import city
from app.demo.charges import Charge, yearly_charges
from app.demo.contractors import Profile, attribute_rows, build_profile, contractor_row
from app.demo.formats import ENCODING, LegacyDialect, fmt_date, is_working_day
from app.demo.payments import Settlement

HEADERS: dict[str, tuple[str, ...]] = {
    "jednostki.csv": ("KOD", "NAZWA", "NIP", "RACHUNEK", "ADRES"),
    "kontrahenci.csv": (
        "ID_KONTRAHENTA", "TYP", "NAZWA", "NIP", "REGON", "PESEL", "ULICA", "NR_DOMU",
        "NR_LOKALU", "KOD_POCZTOWY", "MIEJSCOWOSC", "OSIEDLE", "PKD", "TELEFON", "EMAIL",
        "ZGODA_SMS", "ZGODA_EMAIL", "DATA_MODYFIKACJI", "STATUS",
    ),
    "cechy.csv": ("ID_KONTRAHENTA", "CECHA", "WARTOSC"),
    "naleznosci.csv": (
        "ID_NALEZNOSCI", "ID_KONTRAHENTA", "JEDNOSTKA", "RODZAJ", "OPIS", "PODSTAWA",
        "NR_DOKUMENTU", "OKRES", "TERMIN", "KWOTA", "DATA_PRZYPISU", "STATUS",
    ),
    "wplaty.csv": ("ID_WPLATY", "ID_KONTRAHENTA", "ID_NALEZNOSCI", "DATA", "KWOTA", "SPOSOB", "OPIS"),
    "terminy.csv": ("ID_TERMINU", "ID_KONTRAHENTA", "JEDNOSTKA", "DATA", "GODZINA", "OPIS", "MIEJSCE"),
}  # fmt: skip

_TOPICS = {
    "UM": (
        "Wyjaśnienia do deklaracji DN-1",
        "Konsultacja w sprawie ulgi w podatku od nieruchomości",
        "Złożenie korekty deklaracji",
    ),
    "ZGN": (
        "Podpisanie aneksu do umowy dzierżawy",
        "Oględziny dzierżawionego terenu",
        "Rozmowa w sprawie przedłużenia umowy",
    ),
}


def default_today(year: int) -> date:
    """The fixed 'today' of a demo snapshot of `year` (no wall clock, for determinism)."""
    return date(year, 11, 23)


def _appointments(rng: random.Random, p: Profile, today: date) -> Iterator[list[str]]:
    """Zero to two appointments in the six weeks after `today`, in office hours."""
    chance = 0.15 if p.behaviour == "debtor" else 0.025
    if p.closed_on or rng.random() >= chance:
        return
    for _ in range(rng.choice((1, 1, 1, 2))):
        unit = "ZGN" if p.lease and rng.random() < 0.4 else "UM"
        day = today + timedelta(days=rng.randint(1, 42))
        while not is_working_day(day):
            day += timedelta(days=1)
        start = 8 * 60 if day.weekday() == 0 else 7 * 60 + 30
        at = datetime.min + timedelta(minutes=start + 15 * rng.randint(0, 28))
        topics = list(_TOPICS[unit])
        if unit == "UM" and p.behaviour == "debtor":
            topics = ["Spotkanie w sprawie rozłożenia zaległości na raty"] * 3 + topics
        if unit == "UM" and p.licences:
            topics.append("Odbiór zezwolenia na sprzedaż napojów alkoholowych")
        yield [unit, fmt_date(day), at.strftime("%H:%M"), rng.choice(topics),
               rng.choice(city.APPOINTMENT_PLACES[unit])]  # fmt: skip


def write_snapshot(
    folder: str | Path,
    *,
    contractors: int = 5000,
    seed: int = 2026,
    year: int = 2026,
    today: date | None = None,
) -> dict[str, int]:
    """Write a full demo snapshot into `folder`; return the number of data rows per file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    today = today or default_today(year)
    rng = random.Random(seed)
    cwidth = max(6, len(str(contractors)))
    owidth = max(8, len(str(contractors * 60)))
    counts = dict.fromkeys(HEADERS, 0)
    seq = {"N": 0, "W": 0, "S": 0}

    def number(charge: Charge) -> None:
        seq["N"] += 1
        charge.oid = f"N{seq['N']:0{owidth}d}"

    with ExitStack() as stack:
        out = {}
        for name, header in HEADERS.items():
            handle = stack.enter_context(
                open(folder / name, "w", encoding=ENCODING, newline="", buffering=1 << 20)
            )
            out[name] = csv.writer(handle, dialect=LegacyDialect)
            out[name].writerow(header)
        for unit in city.UNITS:
            out["jednostki.csv"].writerow([unit.code, unit.name, unit.nip, unit.account, unit.address])
        counts["jednostki.csv"] = len(city.UNITS)
        for index in range(1, contractors + 1):
            p = build_profile(rng, index, cwidth, year)
            out["kontrahenci.csv"].writerow(contractor_row(rng, p, today))
            attributes = attribute_rows(rng, p)
            out["cechy.csv"].writerows(attributes)
            charges = yearly_charges(rng, p, year)
            for charge in charges:
                number(charge)
            settlement = Settlement(rng, p, today, number)
            settlement.settle(charges)
            charges += settlement.extra
            out["naleznosci.csv"].writerows(c.row(p.cid) for c in charges)
            payments = sorted(settlement.payments, key=lambda pay: pay.day)
            for pay in payments:
                seq["W"] += 1
                out["wplaty.csv"].writerow(pay.row(f"W{seq['W']:0{owidth}d}", p.cid))
            for appointment in _appointments(rng, p, today):
                seq["S"] += 1
                out["terminy.csv"].writerow([f"S{seq['S']:06d}", p.cid, *appointment])
            counts["cechy.csv"] += len(attributes)
            counts["naleznosci.csv"] += len(charges)
        counts["kontrahenci.csv"] = contractors
        counts["wplaty.csv"] = seq["W"]
        counts["terminy.csv"] = seq["S"]
    return counts
