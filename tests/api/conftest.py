"""Fixtures of the API tests: keys with chosen scopes and a client that sends one."""

from __future__ import annotations

import pytest

from app.api.auth import SCOPES, issue_key
from tests.admin_support import staff_client  # noqa: F401  (a fixture of the admin tests)


class ApiClient:
    """The test client with `Authorization: Bearer <key>` on every request."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        found = dict(headers or {})
        if self.token is not None:
            found.setdefault("Authorization", f"Bearer {self.token}")
        return found

    def get(self, url: str, headers: dict | None = None, **kwargs):
        """GET with the key."""
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url: str, json=None, headers: dict | None = None, **kwargs):
        """POST JSON with the key."""
        return self.client.post(url, json=json, headers=self._headers(headers), **kwargs)

    def put(self, url: str, json=None, headers: dict | None = None, **kwargs):
        """PUT JSON with the key."""
        return self.client.put(url, json=json, headers=self._headers(headers), **kwargs)

    def delete(self, url: str, headers: dict | None = None, **kwargs):
        """DELETE with the key."""
        return self.client.delete(url, headers=self._headers(headers), **kwargs)


@pytest.fixture
def make_client(app, db):
    """`make_client(*scopes, rate_limit=None)` -> an ApiClient whose key holds those scopes."""

    def make(*scopes: str, rate_limit: str | None = None, name: str = "System dziedzinowy") -> ApiClient:
        issued = issue_key(name, list(scopes or SCOPES), rate_limit=rate_limit)
        client = ApiClient(app.test_client(), issued.token)
        client.key_id = issued.key.id
        return client

    return make


@pytest.fixture
def api(make_client) -> ApiClient:
    """A client whose key holds every scope."""
    return make_client(*SCOPES)


def contractor_item(legacy_id: str = "K900001", **overrides) -> dict:
    """A valid contractor item of a bulk upsert."""
    item = {"legacy_id": legacy_id, "kind": "OP", "name": "Piekarnia Mazurska Sp. z o.o.", "nip": "7900712840",
            "street": "Wojska Polskiego", "house_no": "12", "postal_code": "19-300", "city": "Ełk",
            "district": "Centrum", "pkd": "10.71.Z", "phone": "600 100 200", "email": "biuro@piekarnia.example.pl",
            "consent_sms": True, "consent_email": True, "attributes": {"KONCESJA": "T", "POWIERZCHNIA": "120,5"}}
    item.update(overrides)
    return item


def obligation_item(legacy_id: str = "N900001", contractor: str = "K900001", unit: str = "UM", **overrides) -> dict:
    """A valid obligation item of a bulk upsert."""
    item = {"legacy_id": legacy_id, "contractor_legacy_id": contractor, "unit_code": unit, "kind": "PON",
            "description": "Podatek od nieruchomości – rata 12/2026", "document_no": "DN-9/2026", "period": "2026/12",
            "due_on": "2026-12-15", "amount": "67.00"}
    item.update(overrides)
    return item
