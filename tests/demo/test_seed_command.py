"""`flask demo seed` writes a snapshot, imports it through the real importer, adds demo users."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

import app.legacy.service as legacy_service
from app.accounts.models import Contractor, StaffUser
from app.core.roles import Role
from app.demo.seed import DEMO_USERS, LOGINS_FILE
from tests.demo.conftest import read_rows

needs_importer = pytest.mark.skipif(
    not hasattr(legacy_service, "import_snapshot"),
    reason="app.legacy.service.import_snapshot is not there yet",
)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@needs_importer
def test_seed_imports_without_rejections_and_creates_demo_users(app, db, tmp_path):
    runner = app.test_cli_runner()
    kept = tmp_path / "snapshot"
    result = runner.invoke(args=["demo", "seed", "--contractors", "50", "--keep-snapshot", str(kept)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert re.search(r"Odrzucone wiersze: 0\b", result.output), result.output
    assert _count(db, Contractor) == 50
    users = db.session.scalars(select(StaffUser)).all()
    assert {u.email for u in users} == {d.email for d in DEMO_USERS}
    assert {r for u in users for r in u.role_set} == set(Role)
    admin = next(u for u in users if u.email == "admin@demo.elk.pl")
    assert admin.check_password("demo-admin-2026") and admin.has_role(Role.FINANCE)
    logins = (Path(app.instance_path) / LOGINS_FILE).read_text(encoding="utf-8")
    assert "admin@demo.elk.pl / hasło: demo-admin-2026" in logins
    assert "admin@demo.elk.pl" in result.output
    assert "firma@demo.elk.pl / hasło: demo-firma-2026" in logins

    # The demo business user signs in and sees a balance on the portal's dashboard.
    client = app.test_client()
    page = client.get("/portal/logowanie").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed = client.post("/portal/logowanie", data={"email": "firma@demo.elk.pl", "password": "demo-firma-2026",
                                                    "csrf_token": token})
    assert signed.status_code == 302
    dashboard = client.get("/portal/").get_data(as_text=True)
    assert 'id="balance"' in dashboard and "(1 z 2)" in dashboard

    # The audience builder opens on demo segments that have members.
    from app.audiences.models import Segment

    segments = db.session.scalars(select(Segment)).all()
    assert len(segments) == 3 and all(s.last_count for s in segments[:1])
    assert "Segmenty demonstracyjne: 3 nowych" in result.output

    # The campaigns pages open on templates, one campaign awaiting approval and one approved.
    from app.campaigns.models import Campaign, CampaignTemplate

    assert _count(db, CampaignTemplate) == 4
    statuses = sorted(c.status for c in db.session.scalars(select(Campaign)))
    assert statuses == ["scheduled", "submitted"]

    # The imported balances are those the snapshot implies.
    from app.accounts.balance import contractor_balance

    expected: dict[str, Decimal] = {}
    for row in read_rows(kept, "naleznosci.csv"):
        if row["STATUS"] == "A":
            amount = Decimal(row["KWOTA"].replace(" ", "").replace(",", "."))
            expected[row["ID_KONTRAHENTA"]] = expected.get(row["ID_KONTRAHENTA"], 0) + amount
    for row in read_rows(kept, "wplaty.csv"):
        amount = Decimal(row["KWOTA"].replace(" ", "").replace(",", "."))
        expected[row["ID_KONTRAHENTA"]] = expected.get(row["ID_KONTRAHENTA"], 0) - amount
    # ... less what the demo bank statement booked: every payer it names, the stranger's gift left over.
    from app.accounts.models import Payment
    from app.billing_view.finance_models import BankStatement

    statement = db.session.scalar(select(BankStatement))
    assert (statement.booked_count, statement.unmatched_count) == (4, 1), statement.errors
    assert "zaksięgowano 4, do przypisania 1" in result.output
    for payment in db.session.scalars(select(Payment).where(Payment.source == "statement")):
        expected[payment.contractor.legacy_id] -= payment.amount
    for contractor in db.session.scalars(select(Contractor)):
        assert contractor_balance(contractor.id) == expected.get(contractor.legacy_id, 0)

    # Again: the users are not duplicated; with --if-empty nothing happens at all.
    again = runner.invoke(args=["demo", "seed", "--contractors", "50"])
    assert again.exit_code == 0, again.output + repr(again.exception)
    assert _count(db, StaffUser) == len(DEMO_USERS)
    assert _count(db, Contractor) == 50
    assert "Segmenty demonstracyjne: 0 nowych" in again.output
    assert "Szablony i kampanie demonstracyjne: 0 nowych" in again.output
    skipped = runner.invoke(args=["demo", "seed", "--contractors", "80", "--if-empty"])
    assert skipped.exit_code == 0 and "pomijam" in skipped.output
    assert _count(db, Contractor) == 50


def test_if_empty_on_an_empty_database_seeds(app, db, monkeypatch):
    """With the importer replaced, --if-empty on an empty database still seeds and adds users."""
    calls = []

    class Run:
        counts = {"kontrahenci.csv": 5}
        rejected_count = 0

    def fake_import(folder, *, started_by=None):
        calls.append((sorted(p.name for p in Path(folder).iterdir()), started_by))
        return Run()

    monkeypatch.setattr(legacy_service, "import_snapshot", fake_import, raising=False)
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--contractors", "5", "--if-empty"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert calls == [(["cechy.csv", "jednostki.csv", "kontrahenci.csv", "naleznosci.csv",
                       "terminy.csv", "wplaty.csv"], "demo")]  # fmt: skip
    assert _count(db, StaffUser) == len(DEMO_USERS)
