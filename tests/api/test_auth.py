"""Keys and scopes: a call without a key, with a revoked key or without the scope is refused and audited."""

from __future__ import annotations

from sqlalchemy import select

from app.api.auth import revoke_key
from app.core.audit import AuditEntry
from tests.api.conftest import ApiClient, contractor_item


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_write_without_a_key_is_refused_and_audited(client, db):
    response = ApiClient(client, None).post("/api/v1/contractors/bulk", json={"items": [contractor_item()]})

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    entry = _audit(db, "api.refused")[-1]
    assert entry.target == "POST /api/v1/contractors/bulk" and entry.details["status"] == 401
    assert entry.actor_type == "api" and entry.actor_id is None


def test_a_made_up_key_is_refused(client, db):
    response = ApiClient(client, "pw_deadbeef_notasecret").get("/api/v1/contractors")
    assert response.status_code == 401


def test_a_revoked_key_is_refused_and_audited_with_its_name(make_client, db):
    api = make_client("accounts:write")
    revoke_key(api.key_id)

    response = api.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]})

    assert response.status_code == 401 and response.get_json()["code"] == "key_revoked"
    entry = _audit(db, "api.refused")[-1]
    assert entry.actor_id == api.key_id and "System dziedzinowy" in entry.actor_label


def test_a_key_without_the_scope_is_refused_and_audited(make_client, db):
    api = make_client("accounts:read")

    response = api.post("/api/v1/contractors/bulk", json={"items": [contractor_item()]})

    assert response.status_code == 403
    assert response.get_json() == {"code": "missing_scope", "message": "This API key lacks the scope 'accounts:write'."}
    entry = _audit(db, "api.refused")[-1]
    assert entry.details["scope"] == "accounts:write" and entry.actor_id == api.key_id


def test_every_accepted_call_is_audited_and_the_key_remembers_its_last_use(make_client, db):
    from app.api.models import ApiKey

    api = make_client("accounts:read")
    assert api.get("/api/v1/contractors").status_code == 200

    entry = _audit(db, "api.call")[-1]
    assert entry.target == "GET /api/v1/contractors" and entry.details["status"] == 200
    db.session.expire_all()
    assert db.session.get(ApiKey, api.key_id).last_used_at is not None


def test_the_secret_is_stored_only_as_its_hash(make_client, db):
    from app.api.models import ApiKey

    api = make_client("messages")
    key = db.session.get(ApiKey, api.key_id)
    secret = api.token.split("_", 2)[2]
    assert secret not in (key.secret_hash, key.prefix) and len(key.secret_hash) == 64


def test_each_key_has_its_own_request_budget(make_client):
    slow = make_client("accounts:read", rate_limit="2 per minute", name="Przetargi")
    other = make_client("accounts:read")

    assert [slow.get("/api/v1/contractors").status_code for _ in range(3)] == [200, 200, 429]
    refused = slow.get("/api/v1/contractors")
    assert refused.get_json()["code"] == "rate_limited" and "Retry-After" in refused.headers
    assert other.get("/api/v1/contractors").status_code == 200


def test_unknown_addresses_under_the_api_answer_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
