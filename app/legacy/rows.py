"""The files of a snapshot: required columns and the parser of one row of each.

A parser takes the row's line and fields and returns the staging tuple (in the staging
table's column order, starting with the line), raising FieldError for a bad row; a field that is wrong but not needed
(an unusable phone or email) is dropped and reported as a warning instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Table

from app.accounts.contacts import ContactError, normalise_email, normalise_phone
from app.accounts.models import ContractorKind, ObligationKind, PaymentMethod, RecordStatus
from app.legacy import fields as F
from app.legacy import staging


@dataclass
class Warning_:
    """A dropped field of a kept row."""

    field: str
    value: str
    reason: str


RowParser = Callable[[int, list[str], list[Warning_]], tuple]


@dataclass(frozen=True)
class FileSpec:
    """One file of the snapshot."""

    name: str
    table: Table
    columns: tuple[str, ...]
    key: tuple[str, ...]
    make_parser: Callable[[dict[str, int]], RowParser] = field(repr=False)


def _indexer(header: list[str]) -> dict[str, int]:
    return {name: i for i, name in enumerate(header)}


def _units_parser(ix: dict[str, int]) -> RowParser:
    code, name, nip, account, address = (ix[c] for c in ("KOD", "NAZWA", "NIP", "RACHUNEK", "ADRES"))

    def parse(line: int, f: list[str], warnings: list[Warning_]) -> tuple:
        nrb = "".join(f[account].split())
        if nrb and (len(nrb) != 26 or not nrb.isdigit() or not _valid_nrb(nrb)):
            raise F.FieldError("RACHUNEK", f[account], "bad account number")
        unit_nip = "".join(ch for ch in f[nip] if ch.isdigit()) or None
        try:
            F.nip("NIP", f[nip], required=False)
        except F.FieldError as exc:
            # The office's own NIP is its own business: kept as given, but worth a look.
            warnings.append(Warning_("NIP", f[nip], f"{exc.reason}, kept as given"))
        return (
            line,
            F.required_text("KOD", f[code], 20).upper(),
            F.required_text("NAZWA", f[name], 255),
            unit_nip[:10] if unit_nip else None,
            nrb or None,
            F.optional_text("ADRES", f[address], 255),
        )

    return parse


def _valid_nrb(nrb: str) -> bool:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        IBAN("PL" + nrb)
    except SchwiftyException:
        return False
    return True


_KINDS = {k.value: k.value for k in ContractorKind}
_CONTRACTOR_STATUS = {"A": RecordStatus.ACTIVE.value, "Z": RecordStatus.CLOSED.value}


def _contractors_parser(ix: dict[str, int]) -> RowParser:
    names = ("ID_KONTRAHENTA", "TYP", "NAZWA", "NIP", "REGON", "PESEL", "ULICA", "NR_DOMU",
             "NR_LOKALU", "KOD_POCZTOWY", "MIEJSCOWOSC", "OSIEDLE", "PKD", "TELEFON", "EMAIL",
             "ZGODA_SMS", "ZGODA_EMAIL", "DATA_MODYFIKACJI", "STATUS")
    (i_id, i_kind, i_name, i_nip, i_regon, i_pesel, i_street, i_house, i_flat, i_postal, i_city,
     i_district, i_pkd, i_phone, i_email, i_csms, i_cemail, i_mod, i_status) = (ix[n] for n in names)

    def parse(line: int, f: list[str], warnings: list[Warning_]) -> tuple:
        kind = F.choice("TYP", f[i_kind], _KINDS)
        phone = email = None
        if f[i_phone].strip():
            try:
                phone = normalise_phone(f[i_phone])
            except ContactError:
                warnings.append(Warning_("TELEFON", f[i_phone], "invalid phone number, not used"))
        if f[i_email].strip():
            try:
                email = normalise_email(f[i_email])
            except ContactError:
                warnings.append(Warning_("EMAIL", f[i_email], "invalid email address, not used"))
        return (
            line,
            F.required_text("ID_KONTRAHENTA", f[i_id], 40),
            kind,
            F.required_text("NAZWA", f[i_name], 255),
            F.nip("NIP", f[i_nip], required=kind != ContractorKind.SOLE_TRADER or not f[i_pesel].strip()),
            F.regon("REGON", f[i_regon]),
            F.pesel("PESEL", f[i_pesel]) if kind == ContractorKind.SOLE_TRADER else None,
            F.optional_text("ULICA", f[i_street], 120),
            F.optional_text("NR_DOMU", f[i_house], 20),
            F.optional_text("NR_LOKALU", f[i_flat], 20),
            F.optional_text("KOD_POCZTOWY", f[i_postal], 6),
            F.optional_text("MIEJSCOWOSC", f[i_city], 80),
            F.optional_text("OSIEDLE", f[i_district], 80),
            F.optional_text("PKD", f[i_pkd], 10),
            phone,
            email,
            F.flag("ZGODA_SMS", f[i_csms]),
            F.flag("ZGODA_EMAIL", f[i_cemail]),
            F.instant("DATA_MODYFIKACJI", f[i_mod]),
            F.choice("STATUS", f[i_status] or "A", _CONTRACTOR_STATUS),
        )

    return parse


def _attributes_parser(ix: dict[str, int]) -> RowParser:
    i_id, i_code, i_value = ix["ID_KONTRAHENTA"], ix["CECHA"], ix["WARTOSC"]

    def parse(line: int, f: list[str], warnings: list[Warning_]) -> tuple:
        value = F.required_text("WARTOSC", f[i_value], 255)
        return (
            line,
            F.required_text("ID_KONTRAHENTA", f[i_id], 40),
            F.required_text("CECHA", f[i_code], 40).upper(),
            value,
            F.attribute_number(value),
            F.attribute_date(value),
        )

    return parse


_OBLIGATION_KINDS = {k.value: k.value for k in ObligationKind}
_OBLIGATION_STATUS = {"A": RecordStatus.ACTIVE.value, "U": RecordStatus.CANCELLED.value}


def _obligations_parser(ix: dict[str, int]) -> RowParser:
    names = ("ID_NALEZNOSCI", "ID_KONTRAHENTA", "JEDNOSTKA", "RODZAJ", "OPIS", "PODSTAWA",
             "NR_DOKUMENTU", "OKRES", "TERMIN", "KWOTA", "DATA_PRZYPISU", "STATUS")
    (i_id, i_contractor, i_unit, i_kind, i_desc, i_basis, i_doc, i_period, i_due, i_amount,
     i_assessed, i_status) = (ix[n] for n in names)

    def parse(line: int, f: list[str], warnings: list[Warning_]) -> tuple:
        kind = F.choice("RODZAJ", f[i_kind], _OBLIGATION_KINDS)
        return (
            line,
            F.required_text("ID_NALEZNOSCI", f[i_id], 40),
            F.required_text("ID_KONTRAHENTA", f[i_contractor], 40),
            F.required_text("JEDNOSTKA", f[i_unit], 20).upper(),
            kind,
            F.required_text("OPIS", f[i_desc], 255),
            F.optional_text("PODSTAWA", f[i_basis], 4000),
            F.optional_text("NR_DOKUMENTU", f[i_doc], 80),
            F.optional_text("OKRES", f[i_period], 40),
            # Costs of a formal reminder have no due date; every other kind has one.
            F.day("TERMIN", f[i_due], required=kind != ObligationKind.REMINDER_COST),
            F.amount("KWOTA", f[i_amount]),
            F.day("DATA_PRZYPISU", f[i_assessed], required=False),
            F.choice("STATUS", f[i_status] or "A", _OBLIGATION_STATUS),
        )

    return parse


_METHODS = {m.value: m.value for m in PaymentMethod}


def _payments_parser(ix: dict[str, int]) -> RowParser:
    names = ("ID_WPLATY", "ID_KONTRAHENTA", "ID_NALEZNOSCI", "DATA", "KWOTA", "SPOSOB", "OPIS")
    i_id, i_contractor, i_obligation, i_date, i_amount, i_method, i_desc = (ix[n] for n in names)

    def parse(line: int, f: list[str], warnings: list[Warning_]) -> tuple:
        return (
            line,
            F.required_text("ID_WPLATY", f[i_id], 40),
            F.required_text("ID_KONTRAHENTA", f[i_contractor], 40),
            F.optional_text("ID_NALEZNOSCI", f[i_obligation], 40),
            F.day("DATA", f[i_date]),
            F.amount("KWOTA", f[i_amount]),
            F.choice("SPOSOB", f[i_method], _METHODS),
            F.optional_text("OPIS", f[i_desc], 255),
        )

    return parse


def _appointments_parser(ix: dict[str, int]) -> RowParser:
    names = ("ID_TERMINU", "ID_KONTRAHENTA", "JEDNOSTKA", "DATA", "GODZINA", "OPIS", "MIEJSCE")
    i_id, i_contractor, i_unit, i_date, i_time, i_desc, i_place = (ix[n] for n in names)

    def parse(line: int, f: list[str], warnings: list[Warning_]) -> tuple:
        starts_at = F.instant("DATA", f"{f[i_date].strip()} {f[i_time].strip()}")
        if starts_at is None:
            raise F.FieldError("DATA", f[i_date], "bad date")
        return (
            line,
            F.required_text("ID_TERMINU", f[i_id], 40),
            F.required_text("ID_KONTRAHENTA", f[i_contractor], 40),
            F.required_text("JEDNOSTKA", f[i_unit], 20).upper(),
            starts_at,
            F.optional_text("OPIS", f[i_desc], 255),
            F.optional_text("MIEJSCE", f[i_place], 120),
        )

    return parse


UNITS = FileSpec("jednostki.csv", staging.units, ("KOD", "NAZWA", "NIP", "RACHUNEK", "ADRES"),
                 ("code",), _units_parser)
CONTRACTORS = FileSpec(
    "kontrahenci.csv", staging.contractors,
    ("ID_KONTRAHENTA", "TYP", "NAZWA", "NIP", "REGON", "PESEL", "ULICA", "NR_DOMU", "NR_LOKALU",
     "KOD_POCZTOWY", "MIEJSCOWOSC", "OSIEDLE", "PKD", "TELEFON", "EMAIL", "ZGODA_SMS",
     "ZGODA_EMAIL", "DATA_MODYFIKACJI", "STATUS"),
    ("legacy_id",), _contractors_parser)
ATTRIBUTES = FileSpec("cechy.csv", staging.attributes, ("ID_KONTRAHENTA", "CECHA", "WARTOSC"),
                      ("contractor_legacy_id", "code"), _attributes_parser)
OBLIGATIONS = FileSpec(
    "naleznosci.csv", staging.obligations,
    ("ID_NALEZNOSCI", "ID_KONTRAHENTA", "JEDNOSTKA", "RODZAJ", "OPIS", "PODSTAWA", "NR_DOKUMENTU",
     "OKRES", "TERMIN", "KWOTA", "DATA_PRZYPISU", "STATUS"),
    ("legacy_id",), _obligations_parser)
PAYMENTS = FileSpec("wplaty.csv", staging.payments,
                    ("ID_WPLATY", "ID_KONTRAHENTA", "ID_NALEZNOSCI", "DATA", "KWOTA", "SPOSOB", "OPIS"),
                    ("legacy_id",), _payments_parser)
APPOINTMENTS = FileSpec("terminy.csv", staging.appointments,
                        ("ID_TERMINU", "ID_KONTRAHENTA", "JEDNOSTKA", "DATA", "GODZINA", "OPIS", "MIEJSCE"),
                        ("legacy_id",), _appointments_parser)

#: In the order they are read: referenced files first.
FILES = (UNITS, CONTRACTORS, ATTRIBUTES, OBLIGATIONS, PAYMENTS, APPOINTMENTS)


def parser_for(spec: FileSpec, header: list[str]) -> RowParser:
    """The row parser of a file, bound to the positions of its header's columns."""
    return spec.make_parser(_indexer(header))
