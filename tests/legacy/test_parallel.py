"""COPY text format written by the parsing workers."""

from datetime import UTC, date, datetime
from decimal import Decimal

from app.legacy.parallel import copy_line


def test_copy_line_escapes_what_copy_would_misread():
    line = copy_line((7, "a\tb\\c\nd", None, True, False, Decimal("1234.50"), date(2026, 2, 2),
                      datetime(2026, 7, 25, 9, 26, tzinfo=UTC)))
    assert line == ("7\ta\\tb\\\\c\\nd\t\\N\tt\tf\t1234.50\t2026-02-02\t"
                    "2026-07-25T09:26:00+00:00\n")
