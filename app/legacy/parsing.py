"""Parsing one file of a snapshot row by row: staged tuples out, rejected rows reported."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from app.accounts.models import AttributeType
from app.legacy import rows
from app.legacy.fields import FieldError, looks_like_list
from app.legacy.reader import Snapshot, read_rows

#: A reject as staged: (severity, file, line, key, field, value, reason).
Reject = tuple


@dataclass
class AttributeStats:
    """What the values of each attribute code looked like, to infer its type."""

    seen: Counter = field(default_factory=Counter)
    numbers: Counter = field(default_factory=Counter)
    dates: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)
    lists: Counter = field(default_factory=Counter)

    def add(self, staged: tuple) -> None:
        """Count one staged attribute row (line, contractor, code, value, number, date)."""
        code, value, number, day = staged[2], staged[3], staged[4], staged[5]
        self.seen[code] += 1
        self.numbers[code] += number is not None
        self.dates[code] += day is not None
        self.flags[code] += value.upper() in ("T", "N")
        self.lists[code] += looks_like_list(value)

    def as_dict(self) -> dict[str, dict[str, int]]:
        """The counts as plain data (to pass between processes)."""
        return {name: dict(getattr(self, name)) for name in ("seen", "numbers", "dates", "flags", "lists")}

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, int]]) -> AttributeStats:
        """Counts read back from `as_dict`."""
        return cls(**{name: Counter(values) for name, values in data.items()})

    def merge(self, other: AttributeStats) -> None:
        """Add another file's counts to these."""
        for name in ("seen", "numbers", "dates", "flags", "lists"):
            getattr(self, name).update(getattr(other, name))

    def types(self) -> dict[str, str]:
        """The inferred type of each code: flag, number, date, list or text."""
        result = {}
        for code, n in self.seen.items():
            if self.flags[code] == n:
                result[code] = AttributeType.FLAG
            elif self.numbers[code] == n:
                result[code] = AttributeType.NUMBER
            elif self.dates[code] == n:
                result[code] = AttributeType.DATE
            elif self.lists[code]:
                result[code] = AttributeType.LIST
            else:
                result[code] = AttributeType.TEXT
        return {k: str(v) for k, v in result.items()}


def _row_key(fields: list[str]) -> str | None:
    return fields[0].strip()[:255] if fields else None


def parse_file(snapshot: Snapshot, spec: rows.FileSpec, emit_row: Callable[[tuple], None],
               emit_reject: Callable[[Reject], None], stats: AttributeStats | None = None) -> int:
    """Parse every row of one file; returns the number of data rows read."""
    warnings: list[rows.Warning_] = []
    n = 0
    name = spec.name
    with snapshot.open(name) as stream:
        header, body = read_rows(stream, name, spec.columns)
        parse = rows.parser_for(spec, header)
        width = len(header)
        for line, fields in body:
            n += 1
            if len(fields) != width:
                emit_reject(("error", name, line, _row_key(fields), None,
                             f"{len(fields)} of {width}", "wrong column count"))
                continue
            try:
                staged = parse(line, fields, warnings)
            except FieldError as exc:
                emit_reject(("error", name, line, _row_key(fields), exc.field, exc.value[:255],
                             exc.reason))
                continue
            if warnings:
                for w in warnings:
                    emit_reject(("warning", name, line, _row_key(fields), w.field, w.value[:255],
                                 w.reason))
                warnings.clear()
            if stats is not None:
                stats.add(staged)
            emit_row(staged)
    return n
