"""Benchmark of audiences on PostgreSQL: counting, previewing and freezing segments.

    make bench-audience                                     # 1,000,000 and 100,000 contractors
    make bench-audience CONTRACTORS=200000 LIVE_CONTRACTORS=50000
    make bench-audience BENCH_ARGS=--explain                # plans of the missed targets
    python -m bench.audience --help                         # --keep, --database, --runs ...

For each size a scratch database is built by the Alembic migrations and filled by COPY with an
Ełk-like city: contractors in a dozen districts of very different sizes, legacy attributes,
obligations of three units with payments settling most of them, phones, emails, consents and
opt-outs. Two five-condition segments, a narrow one (thousands of members) and a broad one
(tens of thousands), are then counted (`count_members`), previewed (`preview`, what the rule
builder shows) and frozen (`snapshot.freeze`, undone between runs); each figure is the median
of several runs after one warm-up. Targets: count < 1 s and freeze < 3 s at 1,000,000
contractors; count and preview < 300 ms at 100,000. With `--explain` every statement of a
missed target is printed ready for psql, with its `EXPLAIN (ANALYZE, BUFFERS)`; `--keep` keeps
the databases and `--database URL` measures a kept one again, e.g. after adding an index.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import statistics
import sys
import time
from bisect import bisect
from contextlib import ExitStack
from datetime import date, datetime, timedelta

import psycopg

from app.core.databases import create_scratch_database

#: The five-condition segments measured: two legacy attributes, district, arrears, SMS consent.
SEGMENTS = {
    "narrow": {"all": [
        {"field": "attr.KONCESJA_ALK", "op": "has_any", "value": ["A", "B"]},
        {"field": "attr.WIELKOSC", "op": "in", "value": ["mikro", "mala"]},
        {"field": "district", "op": "in", "value": ["Centrum", "Zatorze"]},
        {"field": "has_arrears", "op": "is_false"},
        {"field": "consent_sms", "op": "is_true"},
    ]},
    "broad": {"all": [
        {"field": "attr.VAT", "op": "is_true"},
        {"field": "attr.WIELKOSC", "op": "in", "value": ["mikro", "mala"]},
        {"field": "district", "op": "in", "value": ["Centrum", "Zatorze", "Północ"]},
        {"field": "has_arrears", "op": "is_false"},
        {"field": "consent_sms", "op": "is_true"},
    ]},
}

#: Targets in milliseconds: (size, measurement) -> limit.
TARGETS = {("big", "count"): 1000, ("big", "freeze"): 3000,
           ("live", "count"): 300, ("live", "preview"): 300}

#: Tables the generator fills; their keys, indexes and foreign keys are rebuilt after loading.
LOADED = ("contractors", "contractor_attributes", "obligations", "payments", "allocations",
          "contact_points", "consents", "opt_outs")

NULL = "\\N"


# -- the city ------------------------------------------------------------------------------------


def _picker(rnd: random.Random, weighted: list[tuple[object, float]]):
    """A function returning one value at random with the given weights."""
    values = [v for v, _w in weighted]
    cumulative, total = [], 0.0
    for _v, weight in weighted:
        total += weight
        cumulative.append(total)
    r = rnd.random
    return lambda: values[bisect(cumulative, r() * total)]


DISTRICTS = [("Centrum", 20), ("Zatorze", 15), ("Północ", 12), ("Grunwaldzkie", 9),
             ("Konopnickiej", 8), ("Kochanowskiego", 7), ("Jeziorna", 6), ("Tuwima", 5),
             ("Bajki", 4), ("Baranki", 3), ("Szyba", 2.5), ("Przemysłowa", 1.5), (None, 7)]
VILLAGES = ["Nowa Wieś Ełcka", "Chełchy", "Barany", "Mrozy Wielkie", "Straduny", "Woszczele",
            "Szarejki", "Bajtkowo", "Regielnica", "Buniaki"]
STREETS = ["Armii Krajowej", "Grunwaldzka", "Kilińskiego", "Wojska Polskiego", "Mickiewicza",
           "Słowackiego", "Kościuszki", "Pułaskiego", "Wawelska", "Konopnickiej", "Suwalska",
           "Kolejowa", "Orzeszkowej", "Piłsudskiego", "Małeckich", "Tuwima", "Kochanowskiego",
           "Jeziorna", "Toruńska", "Sikorskiego", "Zamkowa", "Sienkiewicza", "Chopina", "Górna",
           "Przemysłowa", "Kopernika", "Gdańska", "Bałtycka", "Moniuszki", "Łukasiewicza"]
PKD = [("47.11.Z", 8), ("47.19.Z", 3), ("47.25.Z", 1.5), ("56.10.A", 4), ("56.30.Z", 1.5),
       ("56.10.B", 1), ("55.10.Z", 1.5), ("49.41.Z", 7), ("41.20.Z", 5), ("43.21.Z", 3),
       ("43.32.Z", 3), ("43.99.Z", 3), ("45.20.Z", 4), ("62.01.Z", 4), ("68.20.Z", 6),
       ("69.20.Z", 2), ("70.22.Z", 3), ("86.23.Z", 1.5), ("86.90.A", 1.5), ("96.02.Z", 3),
       ("01.11.Z", 4), ("01.50.Z", 2), ("47.91.Z", 2), ("46.90.Z", 3), ("85.59.B", 2),
       ("74.90.Z", 2), ("81.21.Z", 1.5), ("77.11.Z", 1), ("93.13.Z", 1), ("95.11.Z", 0.5),
       (None, 4)]
#: PKD codes of businesses that sell alcohol (shops, restaurants, bars, hotels).
ALCOHOL_PKD = {"47.11.Z", "47.19.Z", "47.25.Z", "56.10.A", "56.30.Z", "56.10.B", "55.10.Z"}
FIRST = ["Jan", "Anna", "Piotr", "Katarzyna", "Krzysztof", "Małgorzata", "Andrzej", "Agnieszka",
         "Tomasz", "Barbara", "Paweł", "Ewa", "Marcin", "Joanna", "Michał", "Magdalena", "Marek",
         "Monika", "Grzegorz", "Dorota"]
LAST = ["Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
        "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Kwiatkowski",
        "Krawczyk", "Piotrowski", "Grabowski", "Pawłowski", "Michalski", "Nowicki", "Adamczyk",
        "Dudek", "Zając", "Wieczorek", "Jabłoński", "Król", "Majewski", "Olszewski", "Jaworski",
        "Malinowski"]
TRADES = ["Usługi Transportowe", "Sklep Spożywczy", "Zakład Fryzjerski", "Usługi Remontowo-Budowlane",
          "Bar", "Warsztat Samochodowy", "Biuro Rachunkowe", "Gabinet Stomatologiczny",
          "Kwiaciarnia", "Piekarnia", "Handel Obwoźny", "Usługi Informatyczne", "Gospodarstwo Rolne"]
BRANDS = ["Mazur", "Ełk", "Jezior", "Lega", "Rega", "Warmia", "Agro", "Trans", "Bud", "Med", "Eko",
          "Pol", "Tech", "Mar", "Drew"]
SUFFIXES = ["trans", "bud", "pol", "med", "serwis", "invest", "handel", "system", "dom", "rol"]
GROUPS = ["Stowarzyszenie Przyjaciół Ziemi Ełckiej", "Fundacja Mazurska", "Spółdzielnia Mieszkaniowa",
          "Wspólnota Mieszkaniowa", "Klub Sportowy Mazur", "Ochotnicza Straż Pożarna", "Koło Gospodyń"]
MAIL_DOMAINS = [("wp.pl", 25), ("o2.pl", 12), ("onet.pl", 15), ("interia.pl", 12),
                ("gmail.com", 30), ("op.pl", 6)]
UNITS = [
    (1, "WPO", "Wydział Podatków i Opłat", [("PON", 55), ("PST", 15), ("ALK", 5), ("OPL", 15),
                                            ("KU", 5), ("ODS", 5)]),
    (2, "WGN", "Wydział Gospodarki Nieruchomościami", [("UW", 50), ("DZR", 50)]),
    (3, "ZGK", "Zakład Gospodarki Komunalnej", [("OPL", 85), ("KU", 15)]),
]
DESCRIPTIONS = {"PON": "Podatek od nieruchomości", "PST": "Podatek od środków transportowych",
                "ALK": "Opłata za zezwolenie na sprzedaż alkoholu",
                "UW": "Opłata za użytkowanie wieczyste", "DZR": "Czynsz dzierżawny",
                "KU": "Koszty upomnienia", "ODS": "Odsetki za zwłokę",
                "OPL": "Opłata za gospodarowanie odpadami"}
ATTRIBUTES = [("WIELKOSC", "Wielkość przedsiębiorstwa", "text"),
              ("FORMA_OPOD", "Forma opodatkowania", "text"),
              ("DATA_ZALOZ", "Data założenia", "date"),
              ("VAT", "Podatnik VAT", "flag"),
              ("POWIERZCHNIA", "Powierzchnia lokalu (m²)", "number"),
              ("KONCESJA_ALK", "Zezwolenia na alkohol (kategorie)", "list"),
              ("POJAZDY", "Liczba pojazdów", "number"),
              ("TARGOWISKO", "Stoisko na targowisku", "flag")]


class Sinks:
    """One COPY per table, each on its own connection, fed with lines of COPY text."""

    def __init__(self, url: str, stack: ExitStack) -> None:
        self.url, self.stack = url, stack
        self.lines: dict[str, list[str]] = {}
        self.copies: dict[str, psycopg.Copy] = {}
        self.rows: dict[str, int] = {}

    def open(self, table: str, columns: str) -> list[str]:
        """Start `COPY table FROM STDIN (FREEZE)` in a transaction that truncated it first."""
        conn = self.stack.enter_context(psycopg.connect(self.url))
        cur = conn.cursor()
        cur.execute(f"TRUNCATE {table}")
        self.copies[table] = self.stack.enter_context(
            cur.copy(f"COPY {table} ({columns}) FROM STDIN (FREEZE)"))
        self.lines[table] = []
        self.rows[table] = 0
        return self.lines[table]

    def flush(self) -> None:
        """Send the lines gathered so far."""
        for table, lines in self.lines.items():
            if lines:
                self.copies[table].write("".join(lines))
                self.rows[table] += len(lines)
                lines.clear()


class City:
    """Writes an Ełk-like city of `size` contractors into a database, straight with COPY."""

    def __init__(self, size: int, today: date, seed: int = 2026) -> None:
        self.size, self.today = size, today
        self.rnd = random.Random(seed)
        self.now = datetime.now().astimezone().replace(microsecond=0)
        self.stamp = self.now.isoformat(" ")
        # Day strings by offset from today, for the ranges the generator uses.
        self.days = {n: (today + timedelta(days=n)).isoformat() for n in range(-4000, 400)}

    def _instant(self, days_ago_max: int) -> str:
        moment = self.now - timedelta(seconds=int(self.rnd.random() * days_ago_max * 86400))
        return moment.isoformat(" ")

    def load(self, url: str) -> dict[str, int]:
        """Fill the tables of LOADED (plus units and attribute definitions); rows per table."""
        with psycopg.connect(url) as conn:
            conn.cursor().executemany(
                "INSERT INTO units (id, code, name, is_active, created_at, updated_at) "
                "VALUES (%s, %s, %s, true, now(), now())", [u[:3] for u in UNITS])
            conn.execute("SELECT setval('units_id_seq', 10)")
            with conn.cursor().copy("COPY attribute_definitions (code, label, value_type, first_seen_at) "
                                    "FROM STDIN") as copy:
                for code, label, kind in ATTRIBUTES:
                    copy.write_row((code, label, kind, self.now))
        with ExitStack() as stack:
            sinks = Sinks(url, stack)
            self._write(sinks)
            sinks.flush()
        return sinks.rows

    def _write(self, sinks: Sinks) -> None:
        """One pass over the contractors, writing every table of theirs as it goes."""
        rnd = self.rnd
        r = rnd.random
        today, days, stamp = self.today, self.days, self.stamp
        contractors = sinks.open("contractors", "id, legacy_id, kind, name, nip, regon, pesel, street, "
                                 "house_no, flat_no, postal_code, city, district, pkd, status, "
                                 "legacy_modified_at, created_at, updated_at")
        attributes = sinks.open("contractor_attributes", "contractor_id, code, value, value_number, value_date")
        obligations = sinks.open("obligations", "id, legacy_id, contractor_id, unit_id, kind, description, "
                                 "document_no, period, due_on, amount, assessed_on, status, created_at, updated_at")
        payments = sinks.open("payments", "id, legacy_id, contractor_id, unit_id, paid_on, amount, method, "
                              "source, status, created_at, updated_at")
        allocations = sinks.open("allocations", "payment_id, obligation_id, amount")
        points = sinks.open("contact_points", "id, contractor_id, channel, value, source, is_active, "
                            "verified_at, number_class, unusable_reason, failure_count, created_at, updated_at")
        consents = sinks.open("consents", "id, contractor_id, unit_id, channel, granted, source, recorded_at")

        kind_of = _picker(rnd, [("OF", 70), ("OP", 22), ("JO", 8)])
        status_of = _picker(rnd, [("active", 88), ("closed", 9), ("cancelled", 3)])
        district_of = _picker(rnd, DISTRICTS)
        pkd_of = _picker(rnd, PKD)
        size_of = {"OF": _picker(rnd, [("mikro", 80), ("mala", 15), ("srednia", 4), ("duza", 1)]),
                   "OP": _picker(rnd, [("mikro", 35), ("mala", 35), ("srednia", 20), ("duza", 10)]),
                   "JO": _picker(rnd, [("mikro", 60), ("mala", 30), ("srednia", 8), ("duza", 2)])}
        tax_form_of = _picker(rnd, [("skala", 40), ("liniowy", 25), ("ryczalt", 30), ("karta", 5)])
        licences_of = _picker(rnd, [("A", 20), ("A,B", 25), ("A,B,C", 30), ("A, B, C", 5), ("B", 5),
                                    ("B,C", 5), ("C", 10)])
        obligations_of = _picker(rnd, [(1, 10), (2, 20), (3, 35), (4, 20), (5, 15)])
        unit_of = _picker(rnd, [(u, w) for u, w in ((UNITS[0], 60), (UNITS[1], 15), (UNITS[2], 25))])
        obligation_kind_of = {u[0]: _picker(rnd, u[3]) for u in UNITS}
        method_of = _picker(rnd, [("P", 70), ("K", 10), ("O", 20)])
        mobile_prefix_of = _picker(rnd, [(p, 1) for p in ("50", "51", "53", "57", "60", "66", "69",
                                                          "72", "73", "78", "79", "88")])
        phone_class_of = _picker(rnd, [("mobile", 93), ("not-mobile", 5), ("foreign", 1), ("invalid", 1)])
        domain_of = _picker(rnd, MAIL_DOMAINS)
        consent_source_of = _picker(rnd, [("legacy", 60), ("portal", 25), ("staff", 15)])
        slugs = [name.lower().translate(str.maketrans("ąćęłńóśźż", "acelnoszz")) for name in LAST]

        obligation_id = payment_id = point_id = consent_id = 0
        self.opt_outs: set[tuple[str, str]] = set()
        flush_every = 2000
        for cid in range(1, self.size + 1):
            # -- the contractor
            kind, status, district, pkd = kind_of(), status_of(), district_of(), pkd_of()
            first, last = FIRST[int(r() * len(FIRST))], int(r() * len(LAST))
            surname = LAST[last]
            if first.endswith("a") and surname.endswith("ki"):
                surname = surname[:-1] + "a"
            if kind == "OF":
                name = f"{TRADES[int(r() * len(TRADES))]} {first} {surname}"
                pesel = f"{int(r() * 1e11):011d}" if r() < 0.4 else NULL
            elif kind == "OP":
                name = (f"{BRANDS[int(r() * len(BRANDS))]}{SUFFIXES[int(r() * len(SUFFIXES))]} "
                        f"{'S.A.' if r() < 0.05 else 'Sp. z o.o.'}")
                pesel = NULL
            else:
                name = f"{GROUPS[int(r() * len(GROUPS))]} nr {1 + int(r() * 300)}"
                pesel = NULL
            if district is None:
                city, postal, district = VILLAGES[int(r() * len(VILLAGES))], "19-321", NULL
            else:
                city, postal = "Ełk", "19-300"
            nip = f"848{int(r() * 1e7):07d}" if kind != "OF" or r() < 0.9 else NULL
            regon = f"{int(r() * 1e9):09d}" if r() < 0.9 else NULL
            flat = str(1 + int(r() * 60)) if r() < 0.25 else NULL
            contractors.append(
                f"{cid}\tK{cid:07d}\t{kind}\t{name}\t{nip}\t{regon}\t{pesel}\t"
                f"{STREETS[int(r() * len(STREETS))]}\t{1 + int(r() * 120)}\t{flat}\t{postal}\t{city}\t"
                f"{district}\t{pkd or NULL}\t{status}\t{self._instant(700)}\t{stamp}\t{stamp}\n")

            # -- legacy attributes, about four each
            if r() < 0.98:
                attributes.append(f"{cid}\tWIELKOSC\t{size_of[kind]()}\t{NULL}\t{NULL}\n")
            if r() < 0.80:
                attributes.append(f"{cid}\tFORMA_OPOD\t{tax_form_of()}\t{NULL}\t{NULL}\n")
            if r() < 0.85:
                founded = days[-int(r() * 3990) - 5]
                attributes.append(f"{cid}\tDATA_ZALOZ\t{founded}\t{NULL}\t{founded}\n")
            if r() < 0.55:
                attributes.append(f"{cid}\tVAT\t{'T' if r() < 0.6 else 'N'}\t{NULL}\t{NULL}\n")
            if r() < 0.45:
                area = f"{12 + int(r() * 400)}.{int(r() * 10)}"
                attributes.append(f"{cid}\tPOWIERZCHNIA\t{area}\t{area}\t{NULL}\n")
            if r() < (0.22 if pkd in ALCOHOL_PKD else 0.01):
                attributes.append(f"{cid}\tKONCESJA_ALK\t{licences_of()}\t{NULL}\t{NULL}\n")
            if r() < 0.10:
                vehicles = 1 + int(r() * r() * 40)
                attributes.append(f"{cid}\tPOJAZDY\t{vehicles}\t{vehicles}\t{NULL}\n")
            if r() < 0.03:
                attributes.append(f"{cid}\tTARGOWISKO\tT\t{NULL}\t{NULL}\n")

            # -- obligations over the year around today; a debtor leaves some overdue unpaid
            debtor = r() < 0.12
            owing = False
            count = obligations_of()
            for n in range(count):
                obligation_id += 1
                unit = unit_of()
                unit_id = unit[0]
                kind_code = obligation_kind_of[unit_id]()
                due = -int(r() * 300) + int(r() * 66) if r() < 0.5 else int(r() * 366) - 300
                amount = max(2000, min(5_000_000, int(math.exp(rnd.gauss(6.0, 1.0)) * 100)))
                active = r() < 0.985
                obligations.append(
                    f"{obligation_id}\tPRZ/{obligation_id}\t{cid}\t{unit_id}\t{kind_code}\t"
                    f"{DESCRIPTIONS[kind_code]}\t{unit[1]}/{obligation_id}\t{today.year}\t{days[due]}\t"
                    f"{amount // 100}.{amount % 100:02d}\t{days[due - 30]}\t"
                    f"{'active' if active else 'cancelled'}\t{stamp}\t{stamp}\n")
                if due >= 0:
                    paid = amount if r() < 0.3 else 0
                elif debtor:
                    x = r()
                    last_chance = n == count - 1 and not owing
                    if x < 0.55 or last_chance:
                        paid = 0 if x < 0.8 else amount * (3 + int(r() * 5)) // 10
                    else:
                        paid = amount
                    owing = owing or paid < amount
                else:
                    paid = amount
                if paid:
                    payment_id += 1
                    paid_on = min(-1, due - int(r() * 25) + int(r() * 6))
                    payments.append(
                        f"{payment_id}\tWPL/{payment_id}\t{cid}\t{unit_id}\t{days[paid_on]}\t"
                        f"{paid // 100}.{paid % 100:02d}\t{method_of()}\tlegacy\t"
                        f"{'active' if r() < 0.995 else 'cancelled'}\t{stamp}\t{stamp}\n")
                    allocations.append(f"{payment_id}\t{obligation_id}\t{paid // 100}.{paid % 100:02d}\n")
            if r() < 0.01:  # an overpayment not allocated to anything
                payment_id += 1
                payments.append(f"{payment_id}\tWPL/{payment_id}\t{cid}\t{NULL}\t{days[-int(r() * 200) - 1]}\t"
                                f"{10 + int(r() * 500)}.00\tP\tlegacy\tactive\t{stamp}\t{stamp}\n")

            # -- phones and emails
            has_phone = r() < 0.70
            if has_phone:
                phones = []
                for second in (False, True):
                    if second and r() >= 0.06:
                        break
                    klass = "mobile" if second else phone_class_of()
                    phone = phones[0] if phones else ""
                    while not phone or phone in phones:
                        if klass == "mobile" and not second and r() < 0.015:
                            phone = f"+4860{int(r() * 2000):07d}"  # one owner's phone for several firms
                        elif klass == "mobile":
                            phone = f"+48{mobile_prefix_of()}{int(r() * 1e7):07d}"
                        elif klass == "not-mobile":
                            phone = f"+4887{int(r() * 1e7):07d}"
                        elif klass == "foreign":
                            phone = f"+3706{int(r() * 1e7):07d}"
                        else:
                            phone = f"+4812{int(r() * 1e3):03d}"
                    phones.append(phone)
                    point_id += 1
                    unusable = "invalid" if klass == "invalid" or r() < 0.005 else NULL
                    verified = self._instant(900) if r() < 0.25 else NULL
                    points.append(f"{point_id}\t{cid}\tsms\t{phone}\tlegacy\t{'t' if r() < 0.99 else 'f'}\t"
                                  f"{verified}\t{klass}\t{unusable}\t0\t{stamp}\t{stamp}\n")
                    if r() < 0.0035:
                        self.opt_outs.add(("sms", phone))
            has_email = r() < 0.60
            if has_email:
                if r() < 0.03:  # an accounting office's address for many of its clients
                    email = f"biuro@rachunki{int(r() * 500)}.pl"
                else:
                    email = f"{slugs[last]}.{cid}@{domain_of()}"
                x = r()
                unusable, failures = ("bounced", 1) if x < 0.03 else ("spam-report", 1) if x < 0.033 else (NULL, 0)
                verified = self._instant(900) if r() < 0.35 else NULL
                point_id += 1
                points.append(f"{point_id}\t{cid}\temail\t{email}\tlegacy\t{'t' if r() < 0.99 else 'f'}\t"
                              f"{verified}\t{NULL}\t{unusable}\t{failures}\t{stamp}\t{stamp}\n")
                if r() < 0.001:
                    self.opt_outs.add(("email", email))

            # -- office-wide consents: granted for most, some withdrawn later; a few per unit
            for channel, has, rate, withdrawn in (("sms", has_phone, 0.88, 0.06),
                                                  ("email", has_email, 0.80, 0.05)):
                if r() < (rate if has else 0.05):
                    granted_at = self.now - timedelta(seconds=int(r() * 1000 * 86400))
                    consent_id += 1
                    consents.append(f"{consent_id}\t{cid}\t{NULL}\t{channel}\tt\t{consent_source_of()}\t"
                                    f"{granted_at.isoformat(' ')}\n")
                    if r() < withdrawn:
                        later = granted_at + (self.now - granted_at) * r()
                        consent_id += 1
                        consents.append(f"{consent_id}\t{cid}\t{NULL}\t{channel}\tf\tportal\t"
                                        f"{later.isoformat(' ')}\n")
                elif has and r() < 0.04:
                    consent_id += 1
                    consents.append(f"{consent_id}\t{cid}\t{NULL}\t{channel}\tf\tlegacy\t{self._instant(1000)}\n")
            if r() < 0.01:
                consent_id += 1
                consents.append(f"{consent_id}\t{cid}\t1\tsms\tt\tstaff\t{self._instant(500)}\n")

            if cid % flush_every == 0:
                sinks.flush()

        # -- opt-outs: addresses of some contact points, and some no longer on file
        outs = sinks.open("opt_outs", "id, channel, address, source, recorded_at")
        for n in range(self.size // 2000):
            self.opt_outs.add(("sms", f"+4879{n:07d}"))
        for n, (channel, address) in enumerate(sorted(self.opt_outs), start=1):
            source = "sms" if channel == "sms" else "email-link"
            outs.append(f"{n}\t{channel}\t{address}\t{source}\t{self._instant(400)}\n")


# -- schema: keys and indexes dropped while loading, rebuilt afterwards ------------------------


def _detach(conn: psycopg.Connection) -> list[str]:
    """Drop the keys, indexes and foreign keys of the loaded tables; return what rebuilds them."""
    tables = list(LOADED)
    foreign = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
        (tables, tables)).fetchall()
    keys = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype IN ('p', 'u') AND conrelid::regclass::text = ANY(%s) ORDER BY contype", (tables,)
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid::regclass::text = ANY(%s) "
        "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u'))",
        (tables,)).fetchall()
    for table, name, _definition in foreign:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, name, _definition in keys:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.commit()
    return ([f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in keys]
            + [definition for _n, definition in indexes]
            + [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in foreign])


def build(url: str, size: int, today: date) -> tuple[dict[str, int], dict[str, float]]:
    """Migrate an empty database and fill it; rows per table and seconds per phase."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    app = _app(url)
    with app.app_context():
        from flask_migrate import upgrade

        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
    seconds["migrate"] = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        rebuild = _detach(conn)
    started = time.perf_counter()
    city = City(size, today)
    rows = city.load(url)
    seconds["copy"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in rebuild:
            conn.execute(statement)
        seconds["keys and indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        for table in ("contractors", "obligations", "payments", "contact_points", "consents", "opt_outs"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        conn.execute("ANALYZE")
        seconds["analyze"] = time.perf_counter() - started
    return rows, seconds


# -- measuring -----------------------------------------------------------------------------------


def _app(url: str):
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {},
                      "EMBEDDED_WORKER": False, "EMBEDDED_SCHEDULER": False})
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


class Timeout(Exception):
    """A statement ran past the benchmark's statement timeout."""


def _call(fn):
    """Call `fn`; Timeout when the database cancelled its statement."""
    from sqlalchemy.exc import OperationalError

    from app.core.extensions import db

    try:
        return fn()
    except OperationalError as exc:
        db.session.rollback()
        if "statement timeout" in str(exc):
            raise Timeout from exc
        raise


def _timed(fn, runs: int, after=None) -> tuple[float, list[float], object]:
    """Median milliseconds of `runs` calls after one warm-up, every run, and the last result.

    `after` (not timed) undoes what a call wrote; it gets the call's result and returns what to
    keep of it."""
    from app.core.extensions import db

    times, result = [], None
    for n in range(runs + 1):
        started = time.perf_counter()
        result = _call(fn)
        elapsed = (time.perf_counter() - started) * 1000
        if after is not None:
            result = after(result)
        db.session.rollback()
        if n:
            times.append(elapsed)
    return statistics.median(times), times, result


def _explain(fn, url: str) -> None:
    """Run `fn` once recording its statements, then print each for psql with its plan.

    The plans are taken in one transaction that is rolled back; a snapshot's rows are deleted
    in it first, so its INSERTs run again as they ran in `freeze`. A statement that timed out
    gets its plan without ANALYZE.
    """
    from sqlalchemy import event

    from app.core.extensions import db

    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        head = statement.lstrip().upper()
        if head.startswith(("SELECT", "INSERT")) and ("FROM contractors" in statement
                                                        or "FROM snapshot_members" in statement):
            statements.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    timed_out = False
    try:
        _call(fn)
    except Timeout:
        timed_out = True
    finally:
        db.session.rollback()
        event.remove(engine, "before_cursor_execute", record)
    with psycopg.connect(url) as conn:
        shown = psycopg.ClientCursor(conn)
        conn.execute("DELETE FROM snapshot_recipients")
        conn.execute("DELETE FROM snapshot_members")
        for n, (statement, parameters) in enumerate(statements, start=1):
            sql = shown.mogrify(statement, parameters)
            analyze = not (timed_out and n == len(statements))
            print("\n    -- statement, ready for psql:")
            print("    " + sql.replace("\n", "\n    ") + ";")
            print("    -- EXPLAIN (ANALYZE, BUFFERS):" if analyze else
                  "    -- EXPLAIN (it timed out, so without ANALYZE):")
            try:
                plan = conn.execute(f"EXPLAIN {'(ANALYZE, BUFFERS) ' if analyze else ''}{sql}").fetchall()
            except psycopg.Error as exc:
                print(f"    (explain failed: {exc})")
                break
            for (line,) in plan:
                print("      " + line)
        conn.rollback()


def measure(url: str, label: str, args, *, freeze: bool) -> list[str]:
    """Time count_members, preview (and freeze) of every segment; the lines to print."""
    from app.audiences import audience as audiences
    from app.audiences import snapshot
    from app.audiences.audience import Audience, count_members
    from app.audiences.compiler import default_context
    from app.core.extensions import db

    def undo_freeze(frozen) -> tuple[int, int] | None:
        figures = (frozen.members, frozen.recipients) if frozen is not None else None
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM audience_snapshots")
            conn.execute("VACUUM snapshot_members, snapshot_recipients, audience_snapshots")
        return figures

    with psycopg.connect(url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(f'ALTER DATABASE "{name}" SET statement_timeout = {args.timeout * 1000}')
    app = _app(url)
    out: list[str] = []
    with app.app_context():
        ctx = default_context()
        for name, rule in SEGMENTS.items():
            audience = Audience.from_json(rule)
            jobs = [("count", "count_members", lambda a=audience: count_members(a, ctx), None),
                    ("preview", "preview", lambda a=audience: audiences.preview(a, ctx=ctx), None)]
            if freeze:
                jobs.append(("freeze", "freeze", lambda a=audience: snapshot.freeze(a, ctx=ctx), undo_freeze))
            members = None
            figures = []
            for key, title, fn, after in jobs:
                target = TARGETS.get((label, key))
                verdict = f"  target < {target:,} ms  " if target else ""
                try:
                    median, times, result = _timed(fn, args.runs, after)
                except Timeout:
                    median, result = math.inf, None
                    figures.append(f"    {title + ':':15s} > {args.timeout * 1000:,} ms (statement timeout)"
                                   + (verdict + "MISSED" if target else ""))
                else:
                    detail = ""
                    if key == "count":
                        members = result
                    elif key == "preview":
                        detail = (f"  (reachable by sms {result.reachable['sms']:,}, by email "
                                  f"{result.reachable['email']:,}, by either {result.any_channel:,})")
                    elif key == "freeze":
                        detail = f"  ({result[0]:,} members, {result[1]:,} recipients)"
                    if target:
                        verdict += "ok" if median < target else "MISSED"
                    figures.append(f"    {title + ':':15s} {median:9,.1f} ms  (median of {len(times)}, "
                                   f"{min(times):,.0f}-{max(times):,.0f}){verdict}{detail}")
                print(figures[-1], flush=True)
                if args.explain and target and median >= target:
                    print(f"\n  [segment {name}, {title}: its statements]")
                    _explain(fn, url)
                    if after is not None:
                        after(None)
            shown = "? (the count did not finish)" if members is None else f"{members:,}"
            out.append(f"  segment {name} ({len(rule['all'])} conditions): {shown} members")
            out.extend(figures)
        db.session.remove()
        db.engine.dispose()
    return out


def _size(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM contractors").fetchone()[0]


def run(base: str, size: int, label: str, args, *, freeze: bool) -> list[str]:
    """Build a scratch database of `size` contractors, measure, drop it; the lines to print."""
    from app.core.clock import today_warsaw

    url, drop = create_scratch_database(base, prefix="pw_bench")
    try:
        rows, seconds = build(url, size, today_warsaw())
        load = sum(seconds.values())
        lines = [f"audience benchmark on PostgreSQL, {size:,} contractors",
                 f"  loaded in {load:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()) + ")",
                 "  rows: " + ", ".join(f"{table} {n:,}" for table, n in rows.items())]
        print("\n".join(lines), flush=True)
        return lines + measure(url, label, args, freeze=freeze)
    finally:
        if args.keep:
            print(f"  kept the database: {url}")
        else:
            drop()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contractors", type=int, default=int(os.environ.get("CONTRACTORS", 1_000_000)),
                        help="size of the count and snapshot measurement (default 1,000,000; 0 skips it)")
    parser.add_argument("--live-contractors", type=int,
                        default=int(os.environ.get("LIVE_CONTRACTORS", 100_000)),
                        help="size of the live count measurement (default 100,000; 0 skips it)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after the warm-up (default 5, at least 1)")
    parser.add_argument("--timeout", type=int, default=20,
                        help="statement timeout in seconds (default 20): a slower call is reported as such")
    parser.add_argument("--explain", action="store_true",
                        help="print the SQL and EXPLAIN (ANALYZE, BUFFERS) of every missed target")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases (and print their URLs)")
    parser.add_argument("--database", action="append", default=[], metavar="URL",
                        help="measure a database kept by --keep instead of building one (repeatable); "
                             "one of --live-contractors contractors gets the live targets")
    args = parser.parse_args()
    args.runs = max(1, args.runs)
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    started = time.perf_counter()
    report: list[str] = []
    if args.database:
        for url in args.database:
            size = _size(url)
            live = size == args.live_contractors
            lines = [f"audience benchmark on PostgreSQL, {size:,} contractors (kept database)"]
            print(lines[0], flush=True)
            report += lines + measure(url, "live" if live else "big", args, freeze=not live)
    else:
        if args.live_contractors:
            report += run(base, args.live_contractors, "live", args, freeze=False)
        if args.contractors:
            report += run(base, args.contractors, "big", args, freeze=True)
    print(f"\nsummary ({time.perf_counter() - started:.0f} s in all):")
    print("\n".join(report))


if __name__ == "__main__":
    sys.exit(main())
