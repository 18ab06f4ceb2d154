"""Fixtures for the legacy import: the sample snapshots, copied to a folder a test may edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def sample(tmp_path) -> Path:
    """A private copy of the clean 12-contractor sample snapshot."""
    return Path(shutil.copytree(FIXTURES / "sample", tmp_path / "sample"))


@pytest.fixture
def sample_bad(tmp_path) -> Path:
    """A private copy of the sample snapshot with six bad rows."""
    return Path(shutil.copytree(FIXTURES / "sample-bad", tmp_path / "sample-bad"))


def edit_file(folder: Path, name: str, edit) -> None:
    """Rewrite one CP1250 file of a snapshot through `edit(text) -> text`."""
    path = folder / name
    text = path.read_bytes().decode("cp1250")
    path.write_bytes(edit(text).encode("cp1250"))
