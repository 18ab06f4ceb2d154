"""A small demo snapshot shared by the demo tests, and readers of its files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from app.demo.generator import write_snapshot

CONTRACTORS = 400
TODAY = date(2026, 11, 23)


def read_rows(folder: Path, name: str) -> list[dict[str, str]]:
    """The data rows of one snapshot file, read the way the SPEC describes it."""
    with open(folder / name, encoding="cp1250", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";", quotechar='"'))


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory) -> Path:
    """A demo snapshot of 400 contractors (seed 2026, year 2026, today 23.11.2026)."""
    folder = tmp_path_factory.mktemp("demo-snapshot")
    write_snapshot(folder, contractors=CONTRACTORS, seed=2026, year=2026, today=TODAY)
    return folder


@pytest.fixture(scope="session")
def rows(snapshot):
    """Rows of every file, keyed by file name."""
    names = ("jednostki", "kontrahenci", "cechy", "naleznosci", "wplaty", "terminy")
    return {n: read_rows(snapshot, f"{n}.csv") for n in names}
