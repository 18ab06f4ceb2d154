"""A campaign's texts compiled once and rendered for each recipient: SMS, email subject, text and HTML.

Every email ends with the unsubscribe link (also in the `List-Unsubscribe` headers); the HTML is
the communicator's own or, when they wrote only plain text, made from it (paragraphs, links).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from app.campaigns.placeholders import (
    HTML_ENV,
    TEXT_ENV,
    SharedForm,
    Usage,
    problems,
    sentinel,
    slots_of,
    usage,
)
from app.channels.sms_text import transliterate

#: SMSAPI takes up to four per-recipient values (`param1` .. `param4`).
SMS_MAX_SLOTS = 4
#: The slot of the unsubscribe link: the first value of every email.
UNSUBSCRIBE_SLOT = "wypisz"
#: Slots whose values are web addresses, made links in the HTML made from plain text.
URL_SLOTS = ("link", UNSUBSCRIBE_SLOT)

_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]|\x1e\d+\x1f")


class ContentError(ValueError):
    """A campaign's texts cannot be sent; `errors` maps each field to its problems."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def content_problems(content: Any, *, codes: set[str] | None = None) -> dict[str, list[str]]:
    """Problems of each text of a campaign or template, for the fields the channel mode needs."""
    from app.campaigns.models import ChannelMode

    mode = ChannelMode(content.channel_mode)
    errors: dict[str, list[str]] = {}
    if "sms" in mode.channels:
        if not (content.sms_text or "").strip():
            errors["sms_text"] = [_("Write the SMS text.")]
        else:
            errors["sms_text"] = problems(content.sms_text, codes=codes)
    if "email" in mode.channels:
        if not (content.email_subject or "").strip():
            errors["email_subject"] = [_("Write the email subject.")]
        else:
            errors["email_subject"] = problems(content.email_subject, codes=codes)
        if not (content.email_text or "").strip() and not (content.email_html or "").strip():
            errors["email_text"] = [_("Write the email text.")]
        else:
            errors["email_text"] = problems(content.email_text, codes=codes)
            errors["email_html"] = problems(content.email_html, html=True, codes=codes)
    return {k: v for k, v in errors.items() if v}


def digest(content: Any) -> str:
    """A fingerprint of the texts, to tell whether a test send showed the current version."""
    parts = [content.channel_mode, content.sms_text, content.email_subject, content.email_text,
             content.email_html, str(getattr(content, "sms_transliterate", False))]
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()


def text_to_html(text: str, link_marks: frozenset[str] = frozenset()) -> str:
    """Plain text as HTML paragraphs, web addresses (and the `link_marks` sentinels) made links."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]
    return "\n".join(_paragraph_html(p, link_marks) for p in paragraphs)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@lru_cache(maxsize=1024)
def _paragraph_html(paragraph: str, link_marks: frozenset[str]) -> str:
    """One paragraph as HTML; remembered, as most of a campaign's paragraphs are the same for all."""
    return f"<p>{_linked(paragraph, link_marks).replace(chr(10), '<br>')}</p>"


def _linked(text: str, link_marks: frozenset[str]) -> str:
    out, last = [], 0
    for match in _URL.finditer(text):
        found = match.group(0)
        if found.startswith("\x1e") and found not in link_marks:
            continue
        out.append(str(escape(text[last:match.start()])))
        url = str(escape(found))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(str(escape(text[last:])))
    return "".join(out)


def _layout(body_html: str, footer_html: str, office: str) -> str:
    return (
        '<!DOCTYPE html><html lang="pl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="margin:0;padding:0;background:#f4f5f7;">'
        '<div style="max-width:600px;margin:0 auto;padding:24px;background:#ffffff;'
        'font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1b1b1b;">'
        f'<p style="font-size:14px;color:#4a4a4a;margin-top:0;">{escape(office)}</p>'
        f"{body_html}"
        '<hr style="border:0;border-top:1px solid #d0d4da;margin:24px 0 12px;">'
        f'<p style="font-size:13px;color:#4a4a4a;">{footer_html}</p>'
        "</div></body></html>"
    )


def render(template: Any, context: dict) -> str:
    """`template.render(context)` for one recipient of many, without its per-call cost of copying
    the context and merging the environment's globals (`range`, `dict`, ...): a text naming one
    of those is refused as an unknown placeholder before it can be sent. The context is made
    directly (no globals to list: listing them costs more than the rendering)."""
    env = template.environment
    try:
        return env.concat(template.root_render_func(env.context_class(env, context, template.name, template.blocks)))
    except Exception:
        env.handle_exception()


@dataclass
class Rendered:
    """One recipient's texts, with their shared form and values when they have one."""

    body: str
    subject: str | None = None
    html: str | None = None
    template: str | None = None
    params: list[str] | None = None
    headers: dict[str, str] | None = None


@dataclass
class CompiledContent:
    """A campaign's texts parsed once; `sms()` and `email()` render them for a recipient."""

    unit_name: str
    transliterate_sms: bool = False
    sms_template: Any = None
    subject_template: Any = None
    text_template: Any = None
    html_template: Any = None
    codes: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    sms_form: SharedForm | None = None
    email_form: SharedForm | None = None
    link_marks: frozenset[str] = frozenset()
    _footers: tuple[str, str] | None = field(default=None, init=False, repr=False)

    @property
    def base(self) -> dict[str, str]:
        """Values the same for every recipient."""
        return {"jednostka": self.unit_name}

    def sms(self, context: dict) -> Rendered:
        """The SMS of one recipient."""
        body = render(self.sms_template, context)
        if self.transliterate_sms:
            body = transliterate(body)
        form = self.sms_form
        if form is not None:
            params = form.params(context)
            if self.transliterate_sms:
                params = [transliterate(p) for p in params]
            if form.split(params, [body]):
                return Rendered(body=body, template=form.shapes[0], params=params)
        return Rendered(body=body)

    def _footer_forms(self) -> tuple[str, str]:
        """The footers' texts in the office's language, translated once: (plain, HTML)."""
        if self._footers is None:
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                plain = _("You receive this message because the office has your address. "
                          "Unsubscribe: %(url)s", url="\x00url\x00")
                html = _("You receive this message because the office has your address. %(link)s",
                         link=f'<a href="\x00url\x00">{escape(_("Unsubscribe"))}</a>')
            self._footers = (plain, html)
        return self._footers

    def _footer_text(self, unsubscribe: str) -> str:
        return self._footer_forms()[0].replace("\x00url\x00", unsubscribe)

    def _body(self, context: dict) -> str:
        return render(self.text_template, context) if self.text_template is not None else ""

    def _text(self, context: dict, body: str | None = None) -> str:
        text = self._body(context) if body is None else body
        return f"{text.rstrip()}\n\n-- \n{self._footer_text(context[UNSUBSCRIBE_SLOT])}\n"

    def _html(self, context: dict, body: str | None = None) -> str:
        footer = self._footer_forms()[1].replace("\x00url\x00", str(escape(context[UNSUBSCRIBE_SLOT])))
        if self.html_template is not None:
            html = render(self.html_template, context)
        else:
            html = text_to_html(self._body(context) if body is None else body, self.link_marks)
        return _layout(html, footer, self.unit_name)

    def email(self, context: dict) -> Rendered:
        """The email of one recipient (`context` carries its unsubscribe link as `wypisz`)."""
        subject = render(self.subject_template, context).strip().replace("\n", " ")
        body = self._body(context)  # rendered once for both the plain text and the HTML made from it
        text = self._text(context, body)
        html = self._html(context, body)
        unsubscribe = context[UNSUBSCRIBE_SLOT]
        headers = {"List-Unsubscribe": f"<{unsubscribe}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        form = self.email_form
        if form is not None:
            params = form.params(context)
            if form.split(params, [text, html]):
                return Rendered(body=text, subject=subject[:255], html=form.shapes[1],
                                template=form.shapes[0], params=params, headers=headers)
        return Rendered(body=text, subject=subject[:255], html=html, headers=headers)


def compile_content(content: Any, unit_name: str, *, codes: set[str] | None = None) -> CompiledContent:
    """Parse a campaign's (or template's) texts; ContentError names every problem."""
    from app.campaigns.models import ChannelMode

    errors = content_problems(content, codes=codes)
    if errors:
        raise ContentError(errors)
    mode = ChannelMode(content.channel_mode)
    compiled = CompiledContent(unit_name=unit_name,
                               transliterate_sms=bool(getattr(content, "sms_transliterate", False)))
    sms_usage, email_usages = Usage(), []
    if "sms" in mode.channels:
        compiled.sms_template = TEXT_ENV.from_string(content.sms_text)
        sms_usage = usage(TEXT_ENV.parse(content.sms_text))
    if "email" in mode.channels:
        compiled.subject_template = TEXT_ENV.from_string(content.email_subject)
        email_usages.append(usage(TEXT_ENV.parse(content.email_subject)))
        if (content.email_text or "").strip():
            compiled.text_template = TEXT_ENV.from_string(content.email_text)
            email_usages.append(usage(TEXT_ENV.parse(content.email_text)))
        if (content.email_html or "").strip():
            compiled.html_template = HTML_ENV.from_string(content.email_html)
            email_usages.append(usage(HTML_ENV.parse(content.email_html)))
    for found in (sms_usage, *email_usages):
        compiled.codes |= found.codes
        compiled.names |= found.names
    if compiled.sms_template is not None:
        compiled.sms_form = SharedForm([compiled.sms_template.render], slots_of(sms_usage),
                                       base=compiled.base, max_slots=SMS_MAX_SLOTS)
    if compiled.subject_template is not None:
        slots = slots_of(*email_usages, first=[UNSUBSCRIBE_SLOT])
        compiled.link_marks = frozenset(sentinel(i) for i, slot in enumerate(slots) if slot in URL_SLOTS)
        compiled.email_form = SharedForm([compiled._text, compiled._html], slots, base=compiled.base)
    return compiled
