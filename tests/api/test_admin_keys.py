"""API keys in the admin: issued with the secret shown once, revoked, refused afterwards; admins only."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.api.models import ApiKey
from app.core.audit import AuditEntry
from tests.admin_support import csrf_from, signed_in


def test_an_admin_issues_a_key_sees_it_once_and_revokes_it(staff_client, db):
    page = staff_client.get("/admin/api_keys/").get_data(as_text=True)
    issued = staff_client.post("/admin/api_keys/issue/", data={
        "csrf_token": csrf_from(page), "name": "System przetargowy", "scopes": ["campaigns"], "rate_limit": ""})
    html = issued.get_data(as_text=True)
    token = re.search(r'value="(pw_[0-9a-f]{8}_[^"]+)"', html).group(1)

    assert staff_client.get("/api/v1/segments", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = staff_client.get("/admin/api_keys/").get_data(as_text=True)
    assert token not in listing and "System przetargowy" in listing

    key = db.session.scalar(select(ApiKey))
    revoked = staff_client.post(f"/admin/api_keys/{key.id}/revoke/", data={"csrf_token": csrf_from(listing)})
    assert revoked.status_code == 302
    refused = staff_client.get("/api/v1/segments", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("api.key_%"))).all()
    assert actions == ["api.key_created", "api.key_revoked"]


def test_a_key_needs_a_scope_and_a_readable_limit(staff_client, db):
    page = staff_client.get("/admin/api_keys/").get_data(as_text=True)
    refused = staff_client.post("/admin/api_keys/issue/", data={
        "csrf_token": csrf_from(page), "name": "Bez zakresu", "rate_limit": "dużo"})
    assert refused.status_code == 200 and db.session.scalar(select(ApiKey)) is None
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)


def test_other_staff_do_not_see_api_keys(client, db):
    signed_in(client, db, "communicator")
    assert client.get("/admin/api_keys/").status_code == 403
