"""Segments in the admin: the list, the rule builder with its live count, and the segment page."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Forbidden

from app.audiences.admin_builder import builder_data, reason_labels
from app.audiences.admin_changes import Actor, delete_segment, save_segment
from app.audiences.admin_explain import (
    explain_contractor,
    find_contractors,
    list_names,
    rule_outline,
)
from app.audiences.admin_segment_form import AudienceInputError, SegmentForm, read_audience
from app.audiences.audience import Audience, preview
from app.audiences.models import ListMode, Segment
from app.audiences.rules import RuleError, rule_to_json
from app.core.admin import SecureModelView, staff_id, staff_label
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

MAX_PREVIEW_BYTES = 256 * 1024
SAMPLE_SIZE = 10


def current_actor() -> Actor:
    """The signed-in staff member, for services that audit."""
    return Actor(staff_id(), staff_label())


def json_error(errors: dict[str, str], status: int = 400):
    """An error answer of a JSON endpoint: `{"errors": {path: message}}`."""
    return jsonify({"errors": errors}), status


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _count(view, context, model, name):
    if model.last_count is None:
        return Markup('<span class="text-muted">{}</span>').format(_("not counted"))
    return Markup('<span data-count="{}">{}</span> <small class="text-muted d-block">{}</small>').format(
        model.last_count, f"{model.last_count:,}".replace(",", "\u00a0"),
        _("counted %(when)s", when=format_instant(model.last_counted_at)))


def _name(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(view.get_url(".details_view", id=model.id), model.name)


def _description(view, context, model, name):
    text = model.description or ""
    return text if len(text) <= 120 else text[:119] + "…"


def sample_with_links(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sample members with the address of their contractor page."""
    return [{**row, "url": url_for("contractors.details_view", id=row["id"])} for row in rows]


class SegmentView(SecureModelView):
    """Saved audiences: a rule over the account model plus included and excluded static lists."""

    required_roles = (Role.ADMIN, Role.COMMUNICATOR)
    can_view_details = True
    column_list = ("name", "description", "last_count", "updated_at")
    column_sortable_list = ("name", "last_count", "updated_at")
    column_searchable_list = ("name", "description")
    column_default_sort = "name"
    column_labels = {
        "name": _l("Name"),
        "description": _l("Description"),
        "last_count": _l("Members (last count)"),
        "updated_at": _l("Updated"),
    }
    column_formatters = {
        "name": _name,
        "description": _description,
        "last_count": _count,
        "updated_at": lambda v, c, m, n: format_instant(m.updated_at),
    }
    edit_template = "audiences/segment_edit.html"
    create_template = "audiences/segment_edit.html"
    details_template = "audiences/segment_details.html"

    def create_blueprint(self, admin: Any):
        """JSON endpoints answer a refused CSRF token or role in JSON, not with an HTML page."""
        blueprint = super().create_blueprint(admin)

        def csrf_refused(error: CSRFError):
            if _wants_json():
                return json_error({"request": error.description})
            return render_template("errors/400.html", reason=error.description), 400

        def forbidden(error: Forbidden):
            if _wants_json():
                return json_error({"request": _("You may not use segments.")}, 403)
            return render_template("errors/403.html"), 403

        blueprint.register_error_handler(CSRFError, csrf_refused)
        blueprint.register_error_handler(Forbidden, forbidden)
        return blueprint

    def _segment_or_404(self, segment_id: int | None) -> Segment:
        segment = db.session.get(Segment, segment_id or 0)
        if segment is None:
            abort(404)
        return segment

    # -- the editor ------------------------------------------------------------------------------

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """A new segment, built by clicking conditions, with the live count beside it."""
        return self._editor(None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """Change a segment's name, description, rule and lists."""
        return self._editor(self._segment_or_404(request.args.get("id", type=int)))

    def _editor(self, segment: Segment | None):
        return_url = get_redirect_target() or self.get_url(".index_view")
        initial = None
        if request.method == "GET" and segment is not None:
            initial = {"name": segment.name, "description": segment.description,
                       "rule": json.dumps(segment.rule),
                       "include_lists": segment.list_ids(ListMode.INCLUDE),
                       "exclude_lists": segment.list_ids(ListMode.EXCLUDE)}
        form = SegmentForm(segment_id=segment.id if segment else None, data=initial)
        if form.validate_on_submit():
            try:
                saved = save_segment(segment.id if segment else None, name=form.name.data,
                                     description=form.description_value(), audience=form.audience,
                                     actor=current_actor())
            except IntegrityError:
                form.name.errors = [_("A segment named “%(name)s” already exists.", name=form.name.data)]
            else:
                flash(ngettext("Segment “%(name)s” saved: %(num)d member.",
                               "Segment “%(name)s” saved: %(num)d members.",
                               saved.last_count, name=saved.name), "success")
                return redirect(self.get_url(".index_view"))
        if request.method == "POST":
            rule = form.rule_json()
            flash(_("The segment was not saved: correct the marked fields."), "danger")
        else:
            rule = segment.rule if segment else None
        name = (segment.name if segment else "") or "segment"
        data = builder_data(rule=rule, errors=form.rule_errors, preview_url=self.get_url(".preview_view"),
                            download_name=f"{_slug(name)}.json")
        return self.render(self.edit_template, form=form, segment=segment, builder=data,
                           return_url=return_url)

    @expose("/preview/", methods=("POST",))
    def preview_view(self):
        """The live count: members, reach per channel, reasons and a sample (JSON in, JSON out)."""
        if request.content_length is None or request.content_length > MAX_PREVIEW_BYTES:
            return json_error({"request": _("Expected a JSON body of at most 256 kB, with its length.")})
        data = request.get_json(silent=True)
        if data is None:
            return json_error({"request": _("Expected a JSON body.")})
        try:
            audience = read_audience(data)
        except AudienceInputError as exc:
            return json_error(exc.errors)
        figures = preview(audience, sample=SAMPLE_SIZE).as_json()
        figures["sample"] = sample_with_links(figures["sample"])
        figures["rule"] = rule_to_json(audience.rule) if audience.rule is not None else None
        return jsonify(figures)

    # -- the segment page ------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        """The segment's figures, its rule in words and why a given contractor is (not) in it."""
        segment = self._segment_or_404(request.args.get("id", type=int))
        return_url = get_redirect_target() or self.get_url(".index_view")
        context: dict[str, Any] = {"segment": segment, "return_url": return_url,
                                   "reason_labels": reason_labels(), "rule_error": None,
                                   "who": (request.args.get("who") or "").strip()[:40]}
        names = list_names(segment.list_ids(ListMode.INCLUDE) + segment.list_ids(ListMode.EXCLUDE))
        context["included"] = [(i, names.get(i, f"#{i}")) for i in segment.list_ids(ListMode.INCLUDE)]
        context["excluded"] = [(i, names.get(i, f"#{i}")) for i in segment.list_ids(ListMode.EXCLUDE)]
        try:
            audience = Audience.of_segment(segment)
        except RuleError as exc:
            context["rule_error"] = exc.errors
            return self.render(self.details_template, **context)
        figures = preview(audience, sample=SAMPLE_SIZE).as_json()
        figures["sample"] = sample_with_links(figures["sample"])
        context.update(figures=figures, outline=rule_outline(audience.rule))
        if context["who"]:
            found = find_contractors(context["who"], include_cancelled=True)
            context["explanations"] = [explain_contractor(audience, c) for c in found]
        return self.render(self.details_template, **context)

    def delete_model(self, model: Segment) -> bool:
        """Delete through the service, which audits it."""
        delete_segment(model.id, actor=current_actor())
        return True


def _slug(name: str) -> str:
    kept = "".join(ch if ch.isalnum() else "-" for ch in name.lower())
    return "-".join(part for part in kept.split("-") if part)[:60] or "segment"
