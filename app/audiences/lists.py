"""Static lists: members uploaded as a CSV of NIPs, legacy ids, phones or emails, or picked by hand."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from stdnum.pl import nip as nip_number

from app.accounts.contacts import ContactError, normalise_email, normalise_phone
from app.accounts.models import Channel, ContactPoint, Contractor, RecordStatus
from app.audiences.models import StaticListMember
from app.core.db import insert_ignoring_duplicates, transactional
from app.core.extensions import db

MAX_UPLOAD_LINES = 200_000
LOOKUP_CHUNK = 900
PHONE_CHARACTERS = set("0123456789+-() ")


class Identifier(StrEnum):
    """What the lines of an uploaded list hold."""

    AUTO = "auto"
    NIP = "nip"
    LEGACY_ID = "legacy_id"
    PHONE = "phone"
    EMAIL = "email"


HEADERS = {
    "nip": Identifier.NIP,
    "id_kontrahenta": Identifier.LEGACY_ID,
    "legacy_id": Identifier.LEGACY_ID,
    "id": Identifier.LEGACY_ID,
    "telefon": Identifier.PHONE,
    "phone": Identifier.PHONE,
    "email": Identifier.EMAIL,
    "e-mail": Identifier.EMAIL,
}


@dataclass
class LineError:
    """A line of an upload that added no one, and why."""

    line: int
    value: str
    reason: str

    def __str__(self) -> str:
        return _("line %(line)d: %(value)s – %(reason)s", line=self.line, value=self.value or "∅",
                 reason=self.reason)


@dataclass
class Upload:
    """What an upload found: contractor ids, the lines that matched nobody and the lines read."""

    contractor_ids: set[int] = field(default_factory=set)
    errors: list[LineError] = field(default_factory=list)
    lines: int = 0


def decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1250 as the legacy writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace")


def read_upload(text: str, kind: Identifier = Identifier.AUTO) -> Upload:
    """Resolve each line of a list to contractors; every bad or unknown line is reported by number.

    One identifier per line (the first column, or the column named by a header such as `NIP`,
    `ID_KONTRAHENTA`, `TELEFON`, `EMAIL`). A phone or email shared by several contractors adds
    all of them.
    """
    upload = Upload()
    rows = _rows(text)
    if not rows:
        return upload
    column = 0
    header = [cell.strip().lower() for cell in rows[0][1]]
    named = [(i, HEADERS[h]) for i, h in enumerate(header) if h in HEADERS]
    if named:
        column, header_kind = named[0]
        if kind == Identifier.AUTO:
            kind = header_kind
        rows = rows[1:]
    if len(rows) > MAX_UPLOAD_LINES:
        upload.errors.append(LineError(rows[MAX_UPLOAD_LINES][0], "",
                                       _("too many lines; at most %(n)d", n=MAX_UPLOAD_LINES)))
        rows = rows[:MAX_UPLOAD_LINES]
    wanted: dict[Identifier, dict[str, list[tuple[int, str]]]] = {k: {} for k in Identifier}
    for line, cells in rows:
        raw = cells[column].strip() if column < len(cells) else ""
        if not raw:
            continue
        upload.lines += 1
        try:
            line_kind, key = _identify(raw, kind)
        except ValueError as exc:
            upload.errors.append(LineError(line, raw, str(exc)))
            continue
        wanted[line_kind].setdefault(key, []).append((line, raw))
    for line_kind, keys in wanted.items():
        if not keys:
            continue
        found = _lookup(line_kind, list(keys))
        for key, lines in keys.items():
            ids = found.get(key)
            if ids:
                upload.contractor_ids.update(ids)
            else:
                for line, raw in lines:
                    upload.errors.append(LineError(line, raw, _no_match(line_kind)))
    upload.errors.sort(key=lambda e: e.line)
    return upload


def _rows(text: str) -> list[tuple[int, list[str]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]


def _identify(raw: str, kind: Identifier) -> tuple[Identifier, str]:
    """The kind and lookup key of one value; ValueError naming what is wrong with it."""
    if kind == Identifier.AUTO:
        kind = _guess(raw)
    if kind == Identifier.NIP:
        value = nip_number.compact(raw)
        if not (value.isdigit() and len(value) == 10):
            raise ValueError(_("not a NIP (10 digits expected)"))
        if not nip_number.is_valid(value):
            raise ValueError(_("NIP checksum does not match"))
        return kind, value
    if kind == Identifier.PHONE:
        try:
            return kind, normalise_phone(raw)
        except ContactError:
            raise ValueError(_("not a valid phone number")) from None
    if kind == Identifier.EMAIL:
        try:
            return kind, normalise_email(raw)
        except ContactError:
            raise ValueError(_("not a valid email address")) from None
    if len(raw) > 40:
        raise ValueError(_("a legacy id has at most 40 characters"))
    return kind, raw


def _guess(raw: str) -> Identifier:
    if "@" in raw:
        return Identifier.EMAIL
    compact = nip_number.compact(raw)
    if compact.isdigit() and len(compact) == 10 and nip_number.is_valid(compact):
        return Identifier.NIP
    if sum(ch.isdigit() for ch in raw) >= 9 and set(raw) <= PHONE_CHARACTERS:
        try:
            normalise_phone(raw)
            return Identifier.PHONE
        except ContactError:
            pass
    return Identifier.LEGACY_ID


def _no_match(kind: Identifier) -> str:
    return {
        Identifier.NIP: _("no contractor with this NIP"),
        Identifier.LEGACY_ID: _("no contractor with this legacy id"),
        Identifier.PHONE: _("no contractor with this phone"),
        Identifier.EMAIL: _("no contractor with this email"),
    }[kind]


def _lookup(kind: Identifier, keys: list[str]) -> dict[str, set[int]]:
    """Contractor ids per key, in chunks the database takes as bind parameters."""
    found: dict[str, set[int]] = {}
    live = Contractor.status != RecordStatus.CANCELLED
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        if kind in (Identifier.NIP, Identifier.LEGACY_ID):
            column = Contractor.nip if kind == Identifier.NIP else Contractor.legacy_id
            query = select(column, Contractor.id).where(column.in_(chunk), live)
        else:
            channel = Channel.SMS if kind == Identifier.PHONE else Channel.EMAIL
            value = ContactPoint.value if kind == Identifier.PHONE else func.lower(ContactPoint.value)
            chunk = chunk if kind == Identifier.PHONE else [k.lower() for k in chunk]
            query = (select(value, ContactPoint.contractor_id)
                     .join(Contractor, Contractor.id == ContactPoint.contractor_id)
                     .where(ContactPoint.channel == channel, ContactPoint.is_active.is_(True),
                            value.in_(chunk), live))
        for key, contractor_id in db.session.execute(query):
            found.setdefault(key, set()).add(contractor_id)
    if kind == Identifier.EMAIL:
        lowered = {k.lower(): k for k in keys}
        found = {lowered[k]: v for k, v in found.items() if k in lowered}
    return found


@transactional
def add_members(list_id: int, contractor_ids: Iterable[int], *, source: str = "staff") -> int:
    """Put contractors on a list (those already on it stay as they are); returns how many were new."""
    rows = [{"list_id": list_id, "contractor_id": cid, "source": source} for cid in sorted(set(contractor_ids))]
    added = 0
    table = StaticListMember.__table__
    for start in range(0, len(rows), 1000):
        added += db.session.connection().execution_options(preserve_rowcount=True).execute(
            insert_ignoring_duplicates(table, ["list_id", "contractor_id"]), rows[start : start + 1000]
        ).rowcount
    return max(added, 0)


@transactional
def remove_members(list_id: int, contractor_ids: Iterable[int]) -> int:
    """Take contractors off a list; returns how many were on it."""
    ids = sorted(set(contractor_ids))
    removed = 0
    table = StaticListMember.__table__
    for start in range(0, len(ids), 1000):
        removed += db.session.connection().execution_options(preserve_rowcount=True).execute(
            delete(table).where(table.c.list_id == list_id, table.c.contractor_id.in_(ids[start : start + 1000]))
        ).rowcount
    return removed


def member_count(list_id: int) -> int:
    """How many contractors are on a list."""
    table = StaticListMember.__table__
    return db.session.scalar(select(func.count()).select_from(table).where(table.c.list_id == list_id)) or 0
