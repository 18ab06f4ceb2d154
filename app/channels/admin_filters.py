"""List filters and search of the channels' admin views: Warsaw days, phones typed any way."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.model.filters import BaseDateFilter
from flask_babel import lazy_gettext as _l

from app.core.clock import warsaw_to_utc

_PHONE_LIKE = re.compile(r"[+(]?\d[\d\s()./-]{4,}")


def _day_start(day: date) -> datetime:
    return warsaw_to_utc(datetime.combine(day, time.min))


class WarsawDayFrom(BaseSQLAFilter, BaseDateFilter):
    """Instants on or after the start of a day in Warsaw."""

    def apply(self, query, value: date, alias=None):
        return query.filter(self.get_column(alias) >= _day_start(value))

    def operation(self):
        return _l("from day")


class WarsawDayUntil(BaseSQLAFilter, BaseDateFilter):
    """Instants before the end of a day in Warsaw."""

    def apply(self, query, value: date, alias=None):
        return query.filter(self.get_column(alias) < _day_start(value + timedelta(days=1)))

    def operation(self):
        return _l("until day")


def compact_phone_search(search: str) -> str:
    """A search that looks like a phone number, reduced to its digits so it matches E.164.

    `+48 600-100-200` and `600 100 200` both find `+48600100200`; other searches stay as typed.
    """
    text = search.strip()
    if _PHONE_LIKE.fullmatch(text):
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits[2:] if digits.startswith("00") else digits
    return search


class PhoneSearchMixin:
    """Search that finds phones however typed, and links to the list filtered by a status."""

    status_column = "status"

    def _apply_search(self, query, count_query, joins, count_joins, search: str):
        """A phone number is found however it is typed (`600 100 200`, `+48 600-100-200`)."""
        return super()._apply_search(
            query, count_query, joins, count_joins, compact_phone_search(search)
        )

    def status_filter_url(self, status: str) -> str:
        """The list filtered to one status."""
        for index, flt in enumerate(self._filters or ()):
            if getattr(flt.column, "key", None) == self.status_column:
                arg = f"flt0_{self.get_filter_arg(index, flt)}"
                return self.get_url(f"{self.endpoint}.index_view", **{arg: status})
        return self.get_url(f"{self.endpoint}.index_view")
