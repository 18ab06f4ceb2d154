"""Static lists uploaded by communicators: every good line counts, every bad line is named."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.accounts.models import ContactPoint
from app.audiences.lists import (
    Identifier,
    add_members,
    decode,
    member_count,
    read_upload,
    remove_members,
)
from app.audiences.models import StaticList
from tests.factories import create_contractor


@pytest.fixture
def firms(db):
    a = create_contractor(legacy_id="K001", nip="7900712840")
    b = create_contractor(legacy_id="K002", nip="8481000123")
    c = create_contractor(legacy_id="K003", nip=None)
    gone = create_contractor(legacy_id="K004", nip="5260250274", status="cancelled")
    db.session.add_all([
        ContactPoint(contractor_id=a.id, channel="sms", value="+48600100200"),
        ContactPoint(contractor_id=c.id, channel="sms", value="+48600100200"),
        ContactPoint(contractor_id=b.id, channel="email", value="Biuro@Firma.pl"),
    ])
    db.session.flush()
    return a, b, c, gone


def test_an_upload_with_a_header_resolves_by_the_named_column(firms):
    a, b, c, _gone = firms
    text = "Nazwa;NIP\nFirma A;790-071-28-40\nFirma B;848 100 01 23\nZła;1234567890\nKrótki;123\n;\nNieznany;1111111111\n"
    with force_locale("en"):
        upload = read_upload(text)
    assert upload.contractor_ids == {a.id, b.id}
    assert upload.lines == 5
    assert [(e.line, e.value, e.reason) for e in upload.errors] == [
        (4, "1234567890", "NIP checksum does not match"),
        (5, "123", "not a NIP (10 digits expected)"),
        (7, "1111111111", "no contractor with this NIP"),
    ]


def test_an_upload_without_a_header_guesses_each_line(firms):
    a, b, c, gone = firms
    text = "K003\n+48 600-100-200\nbiuro@firma.pl\n7900712840\nK004\nK999\nnie-email@\n"
    with force_locale("en"):
        upload = read_upload(text)
    assert upload.contractor_ids == {a.id, b.id, c.id}  # the shared phone adds both of its contractors
    assert [(e.line, e.reason) for e in upload.errors] == [
        (5, "no contractor with this legacy id"),  # cancelled in the legacy system
        (6, "no contractor with this legacy id"),
        (7, "not a valid email address"),
    ]


def test_the_chosen_kind_wins_over_guessing(firms):
    a, _b, c, _ = firms
    with force_locale("en"):
        upload = read_upload("600100200\n600100201\n", Identifier.PHONE)
        assert str(upload.errors[0]) == "line 2: 600100201 – no contractor with this phone"
    assert upload.contractor_ids == {a.id, c.id}
    polish = read_upload("600100200\n600100201\n", Identifier.PHONE)
    assert str(polish.errors[0]) == "wiersz 2: 600100201 – brak kontrahenta z tym telefonem"


def test_legacy_files_in_windows_1250_are_read():
    assert decode("Łódź;ŻABKA".encode("cp1250")) == "Łódź;ŻABKA"
    assert decode("\ufeffNIP\n".encode()) == "NIP\n"


def test_members_are_added_once_and_removed(db, firms):
    a, b, c, _ = firms
    lst = StaticList(name="Targowisko")
    db.session.add(lst)
    db.session.flush()
    assert add_members(lst.id, [a.id, b.id]) == 2
    assert add_members(lst.id, [b.id, c.id]) == 1
    assert member_count(lst.id) == 3
    assert remove_members(lst.id, [a.id, 999]) == 1
    assert member_count(lst.id) == 2
