"""Streaming reader of a legacy snapshot: a folder or a .zip of CP1250 `;`-separated files."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ENCODING = "cp1250"


class SnapshotError(Exception):
    """The snapshot as a whole cannot be imported (missing file or column, unreadable archive)."""


class Snapshot:
    """A snapshot folder or zip; `open(name)` streams one of its files as text."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise SnapshotError(f"{self.path.name}: no such file or folder")
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except zipfile.BadZipFile as exc:
                raise SnapshotError(f"{self.path.name}: not a folder or a .zip archive") from exc
            for member in self._zip.namelist():
                if not member.endswith("/"):
                    # Files may sit in a folder inside the archive; the last part names them.
                    self._members.setdefault(member.rsplit("/", 1)[-1].lower(), member)

    @property
    def name(self) -> str:
        """The snapshot's file or folder name (never a full path)."""
        return self.path.name

    def has(self, file_name: str) -> bool:
        """True when the snapshot contains the file."""
        if self._zip is not None:
            return file_name.lower() in self._members
        return (self.path / file_name).is_file()

    def size_of(self, file_name: str) -> int:
        """Uncompressed size of one file in bytes (0 when it is missing)."""
        if not self.has(file_name):
            return 0
        if self._zip is not None:
            return self._zip.getinfo(self._members[file_name.lower()]).file_size
        return (self.path / file_name).stat().st_size

    @contextmanager
    def open(self, file_name: str) -> Iterator[IO[str]]:
        """Open one file of the snapshot as decoded text (CP1250), streaming."""
        if not self.has(file_name):
            raise SnapshotError(f"{file_name}: missing from snapshot {self.name}")
        if self._zip is not None:
            raw = self._zip.open(self._members[file_name.lower()])
        else:
            raw = open(self.path / file_name, "rb")  # noqa: SIM115 (closed below)
        text = io.TextIOWrapper(raw, encoding=ENCODING, errors="strict", newline="")
        try:
            yield text
        finally:
            text.close()

    def close(self) -> None:
        """Close the archive, if any."""
        if self._zip is not None:
            self._zip.close()


def read_rows(
    stream: IO[str], file_name: str, required: tuple[str, ...]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Read the header and return (columns, rows of (line, fields)).

    The line is the physical line a row starts on (the header is line 1). SnapshotError if a
    required column is missing.
    """
    reader = csv.reader(stream, delimiter=";", quotechar='"', strict=False)
    try:
        header = [h.strip().lstrip("\ufeff").upper() for h in next(reader)]
    except StopIteration as exc:
        raise SnapshotError(f"{file_name}: the file is empty (no header line)") from exc
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{file_name}: line 1: not CP1250 text ({exc.reason})") from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise SnapshotError(f"{file_name}: line 1: missing column(s) {', '.join(missing)}")

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise SnapshotError(
                    f"{file_name}: line {start}: not CP1250 text ({exc.reason})"
                ) from exc
            except csv.Error as exc:
                raise SnapshotError(f"{file_name}: line {start}: {exc}") from exc
            if fields:  # blank lines are not rows
                yield start, fields
            start = reader.line_num + 1

    return header, rows()
