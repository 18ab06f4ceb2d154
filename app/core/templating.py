"""Jinja filters and helpers shared by every page: money, Warsaw time, dates, language switch,
and a memo of the templates' translations."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from app.core.clock import to_warsaw
from app.core.money import format_pln


def format_instant(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored instant shown in Warsaw time."""
    local = to_warsaw(value)
    return local.strftime(fmt) if local else ""


def format_day(value: date | None) -> str:
    """A date the Polish way: 15.03.2026 (formatted directly: `strftime` is locale-aware and slow)."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}" if value else ""


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


#: Messages a locale's memo keeps at most (templates name a few hundred; a bound against misuse).
TRANSLATION_MEMO_SIZE = 10_000


def memoised_gettext():
    """Jinja's `_()`/`gettext()` with Flask-Babel's translation kept per (locale, message, autoescape).

    Does what Flask-Babel's newstyle callables do (translate, Markup when autoescaping, then
    `% variables`), without looking the catalogue up again on every call: a page calls `_()` a
    few hundred times. The active locale is read once per template render (its first `_()`), so a
    render inside `force_locale` is in that language. Flask-Babel itself loads a locale's catalogue
    once per process and keeps it; the memo (one per application) is no staler than that. The app
    uses Flask-Babel's single default domain.
    """
    memos: dict[str, dict[tuple[str, bool], list]] = {}  # locale -> [translation, formatted without variables]

    def locale_memo() -> dict | None:
        locale = get_locale()
        return None if locale is None else memos.setdefault(str(locale), {})

    @pass_context
    def gettext(context, string: str, /, **variables):
        eval_ctx = context.eval_ctx  # one per render (shared by its macros)
        try:
            memo = eval_ctx.translation_memo
        except AttributeError:
            memo = eval_ctx.translation_memo = locale_memo()
        key = (string, eval_ctx.autoescape)
        found = memo.get(key) if memo is not None else None
        if found is None:
            text = get_translations().ugettext(string)
            found = [Markup(text) if eval_ctx.autoescape else text, None]
            if memo is not None and len(memo) < TRANSLATION_MEMO_SIZE:
                memo[key] = found
        if variables:
            return found[0] % variables
        if found[1] is None:  # always a format string ("%%" is "%"), as Jinja's newstyle gettext has it
            found[1] = found[0] % variables
        return found[1]

    return gettext


def register_filters(app: Flask) -> None:
    """Make the filters, the language helpers and the memoised `_()` available to every template."""
    app.jinja_env.filters["pln"] = format_pln
    app.jinja_env.filters["instant"] = format_instant
    app.jinja_env.filters["day"] = format_day
    app.context_processor(_language_context)
    if "gettext" in app.jinja_env.globals:  # Flask-Babel installed its callables (init_app runs first)
        gettext = memoised_gettext()
        app.jinja_env.globals.update(gettext=gettext, _=gettext)
