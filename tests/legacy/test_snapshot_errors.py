"""Snapshots that cannot be imported as a whole leave a failed report and change nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.accounts.models import Contractor
from app.legacy.models import ImportRun
from app.legacy.service import import_snapshot
from tests.legacy.conftest import edit_file


def test_missing_file_imports_nothing(db, sample):
    (sample / "wplaty.csv").unlink()
    run = import_snapshot(sample)
    assert run.status == "failed"
    assert "wplaty.csv" in run.error
    assert db.session.scalar(select(func.count()).select_from(Contractor)) == 0


def test_missing_column_names_file_line_and_column(db, sample):
    edit_file(sample, "naleznosci.csv", lambda t: t.replace(";KWOTA;", ";KWOTA_X;", 1))
    run = import_snapshot(sample)
    assert run.status == "failed"
    assert run.error == "naleznosci.csv: line 1: missing column(s) KWOTA"


def test_text_that_is_not_cp1250_is_named_with_its_line(db, sample):
    path = sample / "terminy.csv"
    path.write_bytes(path.read_bytes() + b"S000002;K000001;UM;14.12.2026;09:00;\x98;pok. 1\r\n")
    run = import_snapshot(sample)
    assert run.status == "failed"
    assert "terminy.csv" in run.error and "CP1250" in run.error


def test_cli_prints_rejections_and_json(app, db, sample_bad):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["legacy", "import", str(sample_bad)])
    assert result.exit_code == 0, result.output
    assert "6 rejected row(s)" in result.output
    assert "error: kontrahenci.csv:14: NIP checksum NIP='1234567890'" in result.output

    result = runner.invoke(args=["legacy", "import", "--json", str(sample_bad)])
    summary = json.loads(result.output)
    assert summary["status"] == "done" and summary["changes"] == 0 and summary["rows_written"] == 0
    assert {"file": "wplaty.csv", "line": 95, "reason": "wrong column count"}.items() <= next(
        i for i in summary["issues"] if i["file"] == "wplaty.csv" and i["severity"] == "error").items()


def test_cli_exits_with_status_1_on_a_failed_import(app, db, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = app.test_cli_runner().invoke(args=["legacy", "import", str(empty)])
    assert result.exit_code == 1
    assert db.session.scalar(select(ImportRun.status)) == "failed"


def test_missing_column_is_reported_the_same_when_parsed_in_workers(db, sample):
    edit_file(sample, "wplaty.csv", lambda t: t.replace("SPOSOB", "SPOSOB_PLATNOSCI", 1))
    run = import_snapshot(sample, workers=2)
    assert run.status == "failed"
    assert run.error == "wplaty.csv: line 1: missing column(s) SPOSOB"
