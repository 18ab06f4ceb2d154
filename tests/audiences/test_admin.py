"""Segments and static lists in the admin: the live count, saving rules, explanations, CSV uploads.

The audiences pages await their Polish translations, so these tests read them in English.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Consent, ContactPoint
from app.audiences.lists import add_members, member_count
from app.audiences.models import ListMode, Segment, StaticList
from app.channels.models import OptOut
from app.core.audit import AuditEntry
from tests.admin_support import csrf_from, signed_in
from tests.factories import create_contractor

PREVIEW = "/admin/segments/preview/"
STAMP = datetime(2026, 1, 1, tzinfo=UTC)
WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def valid_nip(first9: str) -> str:
    """A NIP with a correct check digit (first9 chosen so the digit is not 10)."""
    check = sum(int(d) * w for d, w in zip(first9, WEIGHTS, strict=True)) % 11
    assert check != 10
    return first9 + str(check)


def contractor(db, *, phone=None, email=None, sms_consent=True, email_consent=True, **fields):
    """A contractor with an optional phone and email and office-wide consents."""
    c = create_contractor(**fields)
    for channel, value, consent in (("sms", phone, sms_consent), ("email", email, email_consent)):
        if value:
            db.session.add(ContactPoint(contractor_id=c.id, channel=channel, value=value))
            db.session.add(Consent(contractor_id=c.id, channel=channel, granted=consent,
                                   source="legacy", recorded_at=STAMP))
    db.session.flush()
    return c


@pytest.fixture
def town(db):
    """Four members of "Centrum or Zatorze, with a phone", reachable or not for different reasons."""
    people = {
        "both": contractor(db, name="Apteka", phone="+48600100200", email="apteka@firma.pl",
                           legacy_id="K001", nip=valid_nip("526000103")),
        "no_consent": contractor(db, name="Bar", phone="+48600100201", sms_consent=False,
                                 legacy_id="K002", nip=valid_nip("526000104")),
        "opted_out": contractor(db, name="Cukiernia", phone="+48600100202", legacy_id="K003",
                                nip=valid_nip("526000105")),
        "zatorze": contractor(db, name="Drukarnia", phone="+48600100203", district="Zatorze",
                              legacy_id="K004", nip=valid_nip("526000106")),
        "cancelled": contractor(db, name="Elektryk", phone="+48600100204", status="cancelled",
                                legacy_id="K005", nip=valid_nip("526000107")),
        "no_phone": contractor(db, name="Fryzjer", legacy_id="K006", nip=valid_nip("526000101")),
        "elsewhere": contractor(db, name="Galeria", phone="+48600100206", district="Jeziorna",
                                legacy_id="K007", nip=valid_nip("526000102")),
    }
    db.session.add(OptOut(channel="sms", address="+48600100202", source="sms"))
    db.session.commit()
    return people


RULE = {"all": [{"field": "district", "op": "in", "value": ["Centrum", "Zatorze"]},
                {"field": "has_phone", "op": "is_true"}]}


def english(client):
    """Switch the signed-in client's pages to English (remembered in the session)."""
    client.get("/admin/?lang=en")
    return client


def token(client, page="/admin/segments/new/") -> str:
    return csrf_from(client.get(page).get_data(as_text=True))


def post_preview(client, body, csrf):
    return client.post(PREVIEW, json=body, headers={"X-CSRFToken": csrf})


def static_list(db, name="Targi 2026", contractors=()) -> StaticList:
    row = StaticList(name=name)
    db.session.add(row)
    db.session.commit()
    if contractors:
        add_members(row.id, [c.id for c in contractors])
    return row


# -- the live count --------------------------------------------------------------------------------


def test_live_count_gives_members_reach_and_why_the_others_cannot_be_reached(client, db, town):
    signed_in(client, db, "communicator")
    response = post_preview(client, {"rule": RULE}, token(client))
    assert response.status_code == 200
    figures = response.get_json()
    assert figures["members"] == 4  # the cancelled one in Centrum is never a member
    assert figures["reachable"] == {"sms": 2, "email": 1}
    assert figures["any_channel"] == 2
    assert figures["reasons"]["sms"] == {"no_address": 0, "no_consent": 1, "invalid_address": 0,
                                         "bounced": 0, "opted_out": 1}
    assert figures["reasons"]["email"]["no_address"] == 3
    assert [m["name"] for m in figures["sample"]] == ["Apteka", "Bar", "Cukiernia", "Drukarnia"]
    assert figures["sample"][0]["url"] == f"/admin/contractors/details/?id={town['both'].id}"


def test_live_count_adds_included_lists_and_takes_off_excluded_ones(client, db, town):
    signed_in(client, db, "communicator")
    fair = static_list(db, "Targi", [town["elsewhere"], town["no_phone"]])
    blocked = static_list(db, "Nie wysyłać", [town["zatorze"]])
    body = {"rule": RULE, "include_lists": [fair.id], "exclude_lists": [blocked.id]}
    figures = post_preview(client, body, token(client)).get_json()
    assert figures["members"] == 4 + 2 - 1
    lists_only = post_preview(client, {"rule": None, "include_lists": [fair.id]}, token(client))
    assert lists_only.get_json()["members"] == 2


def test_live_count_names_the_path_of_every_problem(client, db, town):
    english(signed_in(client, db, "communicator"))
    rule = {"all": [{"field": "district", "op": "in", "value": ["Centrum"]},
                    {"any": [{"field": "balance", "op": "between", "value": ["500", "100"]},
                             {"field": "shoe_size", "op": "eq", "value": "42"}]},
                    {"not": {"field": "has_phone", "op": "contains", "value": "x"}}]}
    response = post_preview(client, {"rule": rule, "include_lists": [999]}, token(client))
    assert response.status_code == 400 and response.is_json
    errors = response.get_json()["errors"]
    assert set(errors) == {"rule.all[1].any[0].value", "rule.all[1].any[1].field",
                           "rule.all[2].not.op", "include_lists"}
    assert "reversed" in errors["rule.all[1].any[0].value"]
    assert "shoe_size" in errors["rule.all[1].any[1].field"]
    assert "999" in errors["include_lists"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"rule": "district = Centrum"}',
                                  b'{"rule": null, "include_lists": ["1"]}',
                                  b'{"rule": null, "pad": "' + b"x" * 300_000 + b'"}'])
def test_live_count_refuses_malformed_requests_in_json(client, db, body):
    signed_in(client, db, "communicator")
    response = client.post(PREVIEW, data=body, content_type="application/json",
                           headers={"X-CSRFToken": token(client)})
    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_live_count_without_a_csrf_token_is_refused_in_json(client, db):
    signed_in(client, db, "communicator")
    response = client.post(PREVIEW, json={"rule": None})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["errors"]["request"]


# -- saving ----------------------------------------------------------------------------------------


def save(client, *, name="Centrum z telefonem", rule=RULE, include=(), exclude=(), url=None, **extra):
    url = url or "/admin/segments/new/"
    data = {"csrf_token": token(client, url), "name": name, "description": "Na targi",
            "rule": rule if isinstance(rule, str) else json.dumps(rule),
            "include_lists": [str(i) for i in include], "exclude_lists": [str(i) for i in exclude],
            **extra}
    return client.post(url, data=data)


def test_saving_stores_the_normalised_rule_counts_and_audits(client, db, town):
    english(signed_in(client, db, "communicator"))
    typed = {"all": [{"field": "district", "op": "in", "value": [" Centrum", "Zatorze", "Centrum"]},
                     {"not": {"not": {"field": "has_phone", "op": "is_true", "value": ""}}},
                     {"field": "balance", "op": "gte", "value": "1 000,50"}]}
    response = save(client, rule=typed)
    assert response.status_code == 302 and response.location.endswith("/admin/segments/")
    segment = db.session.scalar(select(Segment))
    assert segment.rule == {"all": [
        {"field": "district", "op": "in", "value": ["Centrum", "Zatorze"]},
        {"not": {"not": {"field": "has_phone", "op": "is_true"}}},
        {"field": "balance", "op": "gte", "value": "1000.5"},
    ]}
    assert segment.last_count == 0 and segment.last_counted_at is not None
    assert segment.created_by_id == client.user.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "segment.created"))
    assert entry.target == f"segment:{segment.id}" and entry.details["rule"] == segment.rule

    page = client.get("/admin/segments/").get_data(as_text=True)
    assert "Segment “Centrum z telefonem” saved: 0 members." in page
    assert 'data-count="0"' in page


def test_list_shows_each_segment_with_its_last_count(client, db, town):
    english(signed_in(client, db, "admin"))
    save(client, rule=RULE)
    page = client.get("/admin/segments/").get_data(as_text=True)
    row = page[page.index("Centrum z telefonem"):]
    assert 'data-count="4"' in row and "counted " in row


def test_a_bad_rule_is_shown_again_with_its_errors_and_nothing_is_saved(client, db, town):
    english(signed_in(client, db, "communicator"))
    bad = {"all": [{"field": "district", "op": "in", "value": ["Centrum"]},
                   {"field": "days_overdue", "op": "gt", "value": "1.5"}]}
    response = save(client, name="Zaległości", rule=bad)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The segment was not saved" in page
    assert "<code>rule.all[1].value</code>" in page and "whole number" in page
    assert 'value="Zaległości"' in page
    data = json.loads(re.search(r'id="segment-builder-data">(.*?)</script>', page, re.S).group(1))
    assert data["rule"] == bad  # the builder is rebuilt from what was sent: nothing lost
    assert list(data["errors"]) == ["rule.all[1].value"]
    assert db.session.scalar(select(Segment)) is None


def test_saving_without_the_csrf_token_is_refused(client, db):
    signed_in(client, db, "communicator")
    response = client.post("/admin/segments/new/", data={"name": "Bez tokenu", "rule": "null"})
    assert response.status_code == 400
    assert db.session.scalar(select(Segment)) is None


@pytest.mark.parametrize("rule", ["{not json", '"district"', json.dumps({"all": [{"field": ""}]})])
def test_hostile_rules_are_refused_on_save(client, db, rule):
    english(signed_in(client, db, "communicator"))
    response = save(client, rule=rule)
    assert response.status_code == 200
    assert "The segment was not saved" in response.get_data(as_text=True)
    assert db.session.scalar(select(Segment)) is None


def test_names_are_unique_whatever_the_case(client, db, town):
    english(signed_in(client, db, "communicator"))
    save(client, name="Targi")
    response = save(client, name="TARGI")
    assert "A segment named “TARGI” already exists." in response.get_data(as_text=True)


def test_editing_changes_the_rule_and_the_lists(client, db, town):
    english(signed_in(client, db, "communicator"))
    fair = static_list(db, "Targi", [town["elsewhere"]])
    blocked = static_list(db, "Nie wysyłać", [town["zatorze"]])
    save(client, include=[fair.id])
    segment = db.session.scalar(select(Segment))
    url = f"/admin/segments/edit/?id={segment.id}"
    form = client.get(url).get_data(as_text=True)
    assert f'<option selected value="{fair.id}">Targi</option>' in form
    builder = json.loads(re.search(r'id="segment-builder-data">(.*?)</script>', form, re.S).group(1))
    assert builder["rule"] == RULE
    response = save(client, url=url, name="Centrum", include=[fair.id], exclude=[blocked.id])
    assert response.status_code == 302
    db.session.expire_all()
    segment = db.session.get(Segment, segment.id)
    assert segment.name == "Centrum"
    assert segment.list_ids(ListMode.INCLUDE) == [fair.id]
    assert segment.list_ids(ListMode.EXCLUDE) == [blocked.id]
    assert segment.last_count == 4 + 1 - 1


def test_a_list_cannot_be_both_included_and_excluded(client, db, town):
    english(signed_in(client, db, "communicator"))
    fair = static_list(db, "Targi")
    page = save(client, include=[fair.id], exclude=[fair.id]).get_data(as_text=True)
    assert "A list cannot be both included and excluded: Targi." in page
    assert db.session.scalar(select(Segment)) is None


def test_deleting_a_segment_is_audited(client, db, town):
    english(signed_in(client, db, "communicator"))
    save(client)
    segment = db.session.scalar(select(Segment))
    csrf = token(client, "/admin/segments/")
    response = client.post("/admin/segments/delete/", data={"id": segment.id, "csrf_token": csrf})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Segment)) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "segment.deleted"))


# -- the segment page ------------------------------------------------------------------------------


def test_segment_page_shows_figures_the_rule_in_words_and_explains_a_contractor(client, db, town):
    english(signed_in(client, db, "communicator"))
    save(client)
    segment = db.session.scalar(select(Segment))
    page = client.get(f"/admin/segments/details/?id={segment.id}").get_data(as_text=True)
    assert 'data-stat="members">4<' in page and 'data-stat="sms">2<' in page
    assert "no consent to SMS: <strong>1</strong>" in page
    assert "District is one of Centrum, Zatorze" in page and "Has a phone: yes" in page

    explained = client.get(f"/admin/segments/details/?id={segment.id}&who=K006").get_data(as_text=True)
    part = explained[explained.index('data-section="explanation"'):]
    assert 'data-member="no"' in part and "Is not a member of this segment." in part
    assert "✓</span>" in part and "✗</span>" in part
    assert re.search(r"✓</span><span class=\"sr-only\">holds:</span> District is one of", part)
    assert re.search(r"✗</span><span class=\"sr-only\">does not hold:</span> Has a phone: yes", part)

    by_nip = client.get(f"/admin/segments/details/?id={segment.id}&who={town['both'].nip}")
    assert 'data-member="yes"' in by_nip.get_data(as_text=True)
    cancelled = client.get(f"/admin/segments/details/?id={segment.id}&who=K005").get_data(as_text=True)
    assert "Cancelled in the legacy system" in cancelled
    unknown = client.get(f"/admin/segments/details/?id={segment.id}&who=ZZZ").get_data(as_text=True)
    assert "No contractor with the legacy id or NIP “ZZZ”." in unknown


# -- static lists ----------------------------------------------------------------------------------


def upload(client, list_id, content: bytes, kind="auto", filename="lista.csv"):
    page = f"/admin/static_lists/details/?id={list_id}"
    return client.post(f"/admin/static_lists/{list_id}/upload/",
                       data={"csrf_token": token(client, page), "kind": kind,
                             "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_communicator_creates_a_list_and_uploads_a_csv_with_bad_lines(client, db, town):
    english(signed_in(client, db, "communicator"))
    created = client.post("/admin/static_lists/new/", data={
        "csrf_token": token(client, "/admin/static_lists/new/"), "name": "Targi 2026"})
    assert created.status_code == 302
    fair = db.session.scalar(select(StaticList))
    assert created.location.endswith(f"/admin/static_lists/details/?id={fair.id}")
    nip = town["no_consent"].nip
    csv = (f"K001\n{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}\n1234567890\nnikt@example.pl\n"
           "\nK001\n12345678901234567890123456789012345678901\n").encode()
    page = upload(client, fair.id, csv).get_data(as_text=True)
    assert 'data-report="lines">6<' in page
    assert 'data-report="found">2<' in page and 'data-report="added">2<' in page
    assert 'data-report="bad">3<' in page
    assert "line 3: 1234567890 – no contractor with this legacy id" in page
    assert "line 4: nikt@example.pl – no contractor with this email" in page
    assert "line 7: 123456789012345678901234567890123456789012" not in page  # 41 characters
    assert "line 7: 12345678901234567890123456789012345678901 – a legacy id has at most 40" in page
    assert member_count(fair.id) == 2
    assert "Apteka" in page and "Bar" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "static_list.members_added"))
    assert entry.details["bad_lines"] == 3 and entry.details["filename"] == "lista.csv"

    again = upload(client, fair.id, b"NIP;nazwa\n" + nip.encode() + b";Bar\n", kind="nip")
    assert "(1 already on it)" in again.get_data(as_text=True)

    lists = client.get("/admin/static_lists/").get_data(as_text=True)
    assert 'data-members="2"' in lists


def test_an_upload_over_5_mb_is_refused_with_a_clear_error(client, db, town):
    english(signed_in(client, db, "communicator"))
    fair = static_list(db)
    response = upload(client, fair.id, b"K001\n" * (1024 * 1024 + 10))
    assert response.status_code == 400
    assert "The file is larger than 5 MB" in response.get_data(as_text=True)
    assert member_count(fair.id) == 0


def test_adding_by_legacy_id_or_nip_and_removing(client, db, town):
    english(signed_in(client, db, "communicator"))
    fair = static_list(db)
    page = f"/admin/static_lists/details/?id={fair.id}"
    add = f"/admin/static_lists/{fair.id}/add/"
    client.post(add, data={"csrf_token": token(client, page), "identifier": "K001"})
    response = client.post(add, data={"csrf_token": token(client, page), "identifier": town["zatorze"].nip},
                           follow_redirects=True)
    assert "Added to the list: Drukarnia." in response.get_data(as_text=True)
    missing = client.post(add, data={"csrf_token": token(client, page), "identifier": "NOPE"})
    assert missing.status_code == 400
    assert "No contractor with the legacy id or NIP “NOPE”." in missing.get_data(as_text=True)
    assert member_count(fair.id) == 2

    removed = client.post(f"/admin/static_lists/{fair.id}/remove/", follow_redirects=True, data={
        "csrf_token": token(client, page), "contractor_id": town["both"].id, "page": "1"})
    assert "Apteka was taken off the list." in removed.get_data(as_text=True)
    assert member_count(fair.id) == 1


def test_a_list_used_by_a_segment_is_not_deleted(client, db, town):
    english(signed_in(client, db, "communicator"))
    fair = static_list(db, "Targi", [town["both"]])
    save(client, name="Z targów", include=[fair.id])
    response = client.post("/admin/static_lists/delete/", follow_redirects=True, data={
        "id": fair.id, "csrf_token": token(client, "/admin/static_lists/")})
    assert "is used by the segments Z targów" in response.get_data(as_text=True)
    assert db.session.get(StaticList, fair.id) is not None and member_count(fair.id) == 1


def test_members_are_shown_page_by_page(client, db):
    english(signed_in(client, db, "communicator"))
    people = [create_contractor(name=f"Firma {n:03d}") for n in range(60)]
    fair = static_list(db, contractors=people)
    first = client.get(f"/admin/static_lists/details/?id={fair.id}").get_data(as_text=True)
    second = client.get(f"/admin/static_lists/details/?id={fair.id}&page=2").get_data(as_text=True)
    assert "Firma 000" in first and "Firma 050" not in first
    assert "Firma 050" in second and "Firma 000" not in second and "60 members" in second


# -- who may ---------------------------------------------------------------------------------------


def test_finance_staff_may_not_open_the_audiences(client, db, town):
    signed_in(client, db, "finance")
    fair = static_list(db)
    for url in ("/admin/segments/", "/admin/segments/new/", "/admin/static_lists/",
                f"/admin/static_lists/details/?id={fair.id}"):
        assert client.get(url).status_code == 403, url
    csrf = token(client, "/admin/")
    refused = client.post(PREVIEW, json={"rule": None}, headers={"X-CSRFToken": csrf})
    assert refused.status_code == 403 and refused.is_json
    uploaded = client.post(f"/admin/static_lists/{fair.id}/upload/", content_type="multipart/form-data",
                           data={"csrf_token": csrf, "file": (io.BytesIO(b"K001\n"), "a.csv")})
    assert uploaded.status_code == 403
    assert member_count(fair.id) == 0
    menu = client.get("/admin/").get_data(as_text=True)
    assert "/admin/segments/" not in menu
