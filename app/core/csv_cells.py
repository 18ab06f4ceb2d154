"""CSV cells that spreadsheets open safely: text that would start a formula is neutralised."""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d[\d\u00a0 ]*([.,]\d+)?")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula: text starting `= + - @`, tab or CR gets a `'`.

    Plain numbers (a negative amount such as `-12,50`) are left as they are.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
