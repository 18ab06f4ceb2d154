"""Jinja filters shared by every page: money, Warsaw time, dates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from app.core.clock import to_warsaw
from app.core.money import format_pln


def format_instant(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored instant shown in Warsaw time."""
    local = to_warsaw(value)
    return local.strftime(fmt) if local else ""


def format_day(value: date | None) -> str:
    """A date the Polish way: 15.03.2026."""
    return value.strftime("%d.%m.%Y") if value else ""


def register_filters(app: Flask) -> None:
    """Make the filters available to every template."""
    app.jinja_env.filters["pln"] = format_pln
    app.jinja_env.filters["instant"] = format_instant
    app.jinja_env.filters["day"] = format_day
