"""Placeholders in campaign texts: what they are, how a text is checked, and how it is rendered.

Texts are Jinja templates rendered in a sandbox (`{{ nazwa }}`, `{{ atrybut.KOD }}`, filters
such as `{{ nazwa|upper }}`). A name that is not a placeholder, an attribute code the legacy
system never sent, or a syntax error is reported when composing, so no message goes out with a
blank where a value should be. An attribute a business has no value for renders as empty text;
`{{ atrybut.KOD or "..." }}` gives a fallback.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup
from sqlalchemy import select

from app.accounts.models import AttributeDefinition, Contractor, ContractorAttribute
from app.campaigns.links import personal_link
from app.channels.models import fill_markers
from app.core.db import among
from app.core.extensions import db

#: The namespace of legacy attributes: `{{ atrybut.BRANZA }}`.
ATTRIBUTES = "atrybut"


@dataclass(frozen=True)
class Placeholder:
    """A value a text may use, with a label for the editor and an example for previews."""

    name: str
    label: Any
    example: str
    value: Callable[[Contractor], str | None]


PLACEHOLDERS: dict[str, Placeholder] = {
    p.name: p
    for p in (
        Placeholder("nazwa", _l("business name"), "Piekarnia Pod Lipą sp. z o.o.", lambda c: c.name),
        Placeholder("nip", _l("NIP"), "8481234560", lambda c: c.nip),
        Placeholder("osiedle", _l("district (osiedle)"), "Centrum", lambda c: c.district),
        Placeholder("miejscowosc", _l("town"), "Ełk", lambda c: c.city),
        Placeholder("ulica", _l("street and number"), "ul. Wojska Polskiego 12",
                    lambda c: _street(c)),
        Placeholder("adres", _l("full address"), "ul. Wojska Polskiego 12, 19-300 Ełk",
                    lambda c: c.address),
        Placeholder("kod_pocztowy", _l("postal code"), "19-300", lambda c: c.postal_code),
        Placeholder("pkd", _l("PKD code"), "10.71.Z", lambda c: c.pkd),
        Placeholder("numer", _l("number in the office's records"), "K000123", lambda c: c.legacy_id),
        Placeholder("link", _l("personal portal link"), "https://urzad.example.pl/p/3f.Ab12Cd34Ef56",
                    lambda c: personal_link(c.id)),
    )
}
#: Placeholders that come from the campaign, not from the business.
CAMPAIGN_PLACEHOLDERS = {"jednostka": _l("unit sending the campaign")}


def _street(contractor: Contractor) -> str | None:
    if not contractor.street:
        return None
    number = contractor.house_no or ""
    if contractor.flat_no:
        number = f"{number}/{contractor.flat_no}"
    return " ".join(p for p in ("ul.", contractor.street, number) if p)


def _escape_text(value: Any) -> Any:
    """HTML output: escape what breaks markup (`& < >`), leave quotes readable; Markup passes."""
    if isinstance(value, Markup) or value is None:
        return value
    text = str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _environment(html: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
        finalize=_escape_text if html else None,
    )
    return env


TEXT_ENV = _environment(html=False)
HTML_ENV = _environment(html=True)


@dataclass
class Usage:
    """What a text refers to: placeholder names and attribute codes."""

    names: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    bare_attributes: bool = False


def usage(ast: nodes.Template) -> Usage:
    """The placeholders and attribute codes a parsed template reads."""
    result = Usage()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name == ATTRIBUTES:
            if isinstance(node, nodes.Getattr):
                result.codes.add(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                result.codes.add(node.arg.value)
            else:
                result.bare_attributes = True
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in assigned:
            result.names.add(name.name)
    # `atrybut` on its own (not `atrybut.KOD`) is an error: count its loads without an attribute.
    attribute_loads = sum(1 for n in ast.find_all(nodes.Name) if n.ctx == "load" and n.name == ATTRIBUTES)
    accessed = sum(1 for n in ast.find_all((nodes.Getattr, nodes.Getitem))
                   if isinstance(n.node, nodes.Name) and n.node.name == ATTRIBUTES)
    if attribute_loads > accessed:
        result.bare_attributes = True
    result.names.discard(ATTRIBUTES)
    return result


def known_codes() -> set[str]:
    """Attribute codes the legacy system has sent."""
    return set(db.session.scalars(select(AttributeDefinition.code)))


def problems(source: str | None, *, html: bool = False, codes: set[str] | None = None) -> list[str]:
    """What is wrong with a text, in the user's language; empty when it can be sent."""
    if not source:
        return []
    env = HTML_ENV if html else TEXT_ENV
    try:
        ast = env.parse(source)
        env.compile(ast)  # unknown filters and tests are found here
    except TemplateSyntaxError as error:
        return [_("line %(line)s: %(message)s", line=error.lineno, message=error.message or "")]
    except TemplateError as error:
        return [str(error)]
    found = usage(ast)
    errors: list[str] = []
    allowed = set(PLACEHOLDERS) | set(CAMPAIGN_PLACEHOLDERS)
    for name in sorted(found.names - allowed):
        close = difflib.get_close_matches(name, sorted(allowed), n=1)
        hint = _(" Did you mean {{ %(name)s }}?", name=close[0]) if close else ""
        errors.append(_("Unknown placeholder {{ %(name)s }}.", name=name) + hint)
    if found.bare_attributes:
        errors.append(_("Name the attribute: {{ atrybut.CODE }}."))
    codes = known_codes() if codes is None else codes
    for code in sorted(found.codes - codes):
        close = difflib.get_close_matches(code, sorted(codes), n=1)
        hint = _(" Did you mean {{ atrybut.%(code)s }}?", code=close[0]) if close else ""
        errors.append(_("Unknown attribute {{ atrybut.%(code)s }}.", code=code) + hint)
    if not errors:
        try:
            env.from_string(source).render(example_context(found))
        except (SecurityError, TemplateError, TypeError, ValueError, AttributeError) as error:
            errors.append(_("The text cannot be rendered: %(error)s", error=str(error)))
    return errors


def example_context(found: Usage | None = None, unit_name: str = "Urząd Miasta") -> dict[str, Any]:
    """Values shown where no real business is at hand."""
    context: dict[str, Any] = {name: p.example for name, p in PLACEHOLDERS.items()}
    context["jednostka"] = unit_name
    context[ATTRIBUTES] = {code: f"<{code}>" for code in (found.codes if found else ())}
    return context


class _Business:
    """A contractor's columns as attributes, with the model's computed properties, read without the ORM."""

    address = Contractor.address
    pkd_section = Contractor.pkd_section

    def __init__(self, values) -> None:
        self.__dict__.update(values)


def contexts_for(contractor_ids: Iterable[int], codes: Iterable[str], unit_name: str,
                 names: Iterable[str] | None = None) -> dict[int, dict]:
    """The placeholder values of many businesses, read in two queries, by contractor id.

    `names` limits the placeholders worked out to those a text uses (all when None).
    """
    ids = list(contractor_ids)
    codes = sorted(set(codes))
    contexts: dict[int, dict] = {}
    if not ids:
        return contexts
    wanted = list(PLACEHOLDERS.items()) if names is None else [
        (name, PLACEHOLDERS[name]) for name in sorted(set(names)) if name in PLACEHOLDERS]
    table = Contractor.__table__
    for row in db.session.execute(select(table).where(among(table.c.id, ids))).all():
        contractor = _Business(row._mapping)
        context = {name: p.value(contractor) or "" for name, p in wanted}
        context["jednostka"] = unit_name
        context[ATTRIBUTES] = dict.fromkeys(codes, "")
        contexts[contractor.id] = context
    if codes:
        rows = db.session.execute(
            select(ContractorAttribute.contractor_id, ContractorAttribute.code, ContractorAttribute.value)
            .where(among(ContractorAttribute.contractor_id, ids), ContractorAttribute.code.in_(codes))
        )
        for contractor_id, code, value in rows:
            if contractor_id in contexts:
                contexts[contractor_id][ATTRIBUTES][code] = value
    return contexts


def sentinel(number: int) -> str:
    """What stands for the value of slot `number` while a text's shared form is worked out."""
    return f"\x1e{number}\x1f"


class SharedForm:
    """A text's form shared by all recipients, with `[%N%]` where per-recipient values go.

    Providers send one request for many recipients of one shared form (SMSAPI `param1..4`,
    SendGrid substitutions). Each recipient's text is still rendered in full, and the shared
    form is used only when filling it in gives exactly that text (filters, conditions, values
    with `|` fall back to the full text).
    """

    def __init__(self, renderers: list[Callable[[dict], str] | None], slots: list[str], *,
                 base: dict | None = None, max_slots: int | None = None) -> None:
        self.slots = slots
        self.usable = max_slots is None or len(slots) <= max_slots
        context = self.values_context([sentinel(i) for i in range(len(slots))], base)
        self.shapes: list[str | None] = []
        for render in renderers:
            if render is None:
                self.shapes.append(None)
                continue
            shape = render(context)
            for number in range(len(slots)):
                shape = shape.replace(sentinel(number), f"[%{number + 1}%]")
            if "\x1e" in shape or "\x1f" in shape:
                self.usable = False
            self.shapes.append(shape)

    def values_context(self, values: list[str], base: dict | None = None) -> dict:
        """A render context with each slot set to its value (others from `base`)."""
        context = dict(base or {})
        attributes = dict(context.get(ATTRIBUTES, {}))
        for slot, value in zip(self.slots, values, strict=True):
            if slot.startswith(ATTRIBUTES + "."):
                attributes[slot.split(".", 1)[1]] = value
            else:
                context[slot] = value
        context[ATTRIBUTES] = attributes
        return context

    def params(self, context: dict) -> list[str]:
        """The slot values of one recipient."""
        values = []
        for slot in self.slots:
            if slot.startswith(ATTRIBUTES + "."):
                values.append(str(context[ATTRIBUTES].get(slot.split(".", 1)[1], "")))
            else:
                values.append(str(context.get(slot, "")))
        return values

    def split(self, params: list[str], rendered: list[str | None]) -> bool:
        """True when filling the shared forms with `params` gives exactly the rendered texts."""
        if not self.usable:
            return False
        for value in params:
            if "|" in value or "[%" in value or "\x1e" in value or "\x1f" in value:
                return False
        for shape, text in zip(self.shapes, rendered, strict=True):
            if shape is None:
                continue
            if fill_markers(shape, params) != text:
                return False
        return True


def slots_of(*usages: Usage, first: Iterable[str] = ()) -> list[str]:
    """The per-recipient values texts need (`first` leading), in a stable order."""
    leading = list(first)
    names: set[str] = set()
    for found in usages:
        names |= found.names - set(CAMPAIGN_PLACEHOLDERS)
        names |= {f"{ATTRIBUTES}.{code}" for code in found.codes}
    return leading + sorted(names - set(leading))
