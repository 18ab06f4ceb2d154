"""Idempotent writes, pages, filters and ETags."""

from __future__ import annotations

from sqlalchemy import func, select

from app.legacy.models import ImportRun
from tests.api.conftest import contractor_item
from tests.factories import create_contractor


def _runs(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ImportRun))


def test_the_same_key_and_body_get_the_first_answer_without_a_second_write(api, db):
    body = {"items": [contractor_item()]}
    headers = {"Idempotency-Key": "push-2026-11-23-001"}

    first = api.post("/api/v1/contractors/bulk", json=body, headers=headers)
    again = api.post("/api/v1/contractors/bulk", json=body, headers=headers)

    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json() and first.get_json()["inserted"] == 1
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _runs(db) == 1


def test_the_same_key_with_another_body_is_refused(api, db):
    headers = {"Idempotency-Key": "push-7"}
    api.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]}, headers=headers)

    other = api.post("/api/v1/contractors/bulk", json={"items": [contractor_item(name="Inna")]}, headers=headers)

    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    assert _runs(db) == 1


def test_keys_are_per_api_key_and_refused_writes_are_not_remembered(make_client, db):
    first, second = make_client("accounts:write"), make_client("accounts:write", name="Drugi system")
    headers = {"Idempotency-Key": "same"}

    refused = first.post("/api/v1/contractors/bulk", json={"items": []}, headers=headers)
    corrected = first.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]}, headers=headers)
    other = second.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]}, headers=headers)

    assert refused.status_code == 422
    assert corrected.status_code == 200 and "Idempotent-Replayed" not in corrected.headers
    assert other.status_code == 200 and "Idempotent-Replayed" not in other.headers


def test_lists_are_paged_and_filtered(api, db):
    for n in range(5):
        create_contractor(legacy_id=f"P{n}", name=f"Firma {n}", district="Zatorze" if n % 2 else "Centrum")
    db.session.commit()

    page = api.get("/api/v1/contractors?per_page=2&page=2").get_json()
    zatorze = api.get("/api/v1/contractors?district=Zatorze").get_json()
    bad = api.get("/api/v1/contractors?per_page=1000")

    assert (page["total"], page["pages"], [c["legacy_id"] for c in page["items"]]) == (5, 3, ["P2", "P3"])
    assert [c["legacy_id"] for c in zatorze["items"]] == ["P1", "P3"]
    assert bad.status_code == 422 and "per_page" in bad.get_json()["fields"]


def test_an_unchanged_read_answers_304_to_its_etag(api, db):
    create_contractor(legacy_id="E1")
    db.session.commit()
    first = api.get("/api/v1/contractors/E1")
    etag = first.headers["ETag"]

    same = api.get("/api/v1/contractors/E1", headers={"If-None-Match": etag})
    api.post("/api/v1/contractors/bulk", json={"items": [contractor_item("E1", name="Nowa nazwa")]})
    changed = api.get("/api/v1/contractors/E1", headers={"If-None-Match": etag})

    assert first.status_code == 200 and same.status_code == 304 and same.data == b""
    assert changed.status_code == 200 and changed.get_json()["name"] == "Nowa nazwa"


def test_the_document_and_its_page_are_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs")

    assert document["openapi"].startswith("3.") and "/contractors/bulk" in document["paths"]
    assert document["paths"]["/contractors/bulk"]["post"]["requestBody"]
    assert page.status_code == 200 and b"/contractors/bulk" in page.data and b"<th scope=\"col\">" in page.data
