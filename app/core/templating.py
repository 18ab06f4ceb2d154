"""Jinja filters and helpers shared by every page: money, Warsaw time, dates, language switch."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale

from app.core.clock import to_warsaw
from app.core.money import format_pln


def format_instant(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored instant shown in Warsaw time."""
    local = to_warsaw(value)
    return local.strftime(fmt) if local else ""


def format_day(value: date | None) -> str:
    """A date the Polish way: 15.03.2026."""
    return value.strftime("%d.%m.%Y") if value else ""


def url_for_language(lang: str) -> str:
    """The current page's address with `?lang=` set (the locale selector remembers it)."""
    if request.method != "GET" or request.endpoint is None:
        return url_for("admin.index", lang=lang)
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return f"{request.path}?{query}"


def _language_context() -> dict:
    return {
        "current_language": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        "languages": current_app.config["LANGUAGES"],
        "url_for_language": url_for_language,
    }


def register_filters(app: Flask) -> None:
    """Make the filters and the language helpers available to every template."""
    app.jinja_env.filters["pln"] = format_pln
    app.jinja_env.filters["instant"] = format_instant
    app.jinja_env.filters["day"] = format_day
    app.context_processor(_language_context)
