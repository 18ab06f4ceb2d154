"""Static lists in the admin: the lists with their sizes, and a page per list with its members."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms.validators import DataRequired, Length

from app.accounts.models import Contractor
from app.audiences.admin_changes import (
    ListInUse,
    add_to_list,
    delete_list,
    remove_from_list,
    save_list,
    segments_using,
)
from app.audiences.admin_explain import find_contractors
from app.audiences.admin_list_forms import (
    SOURCE_LABELS,
    AddMemberForm,
    RemoveMemberForm,
    UploadForm,
    UploadReport,
    read_file,
)
from app.audiences.admin_segments import current_actor
from app.audiences.lists import member_count
from app.audiences.models import StaticList, StaticListMember
from app.core.admin import SecureModelView
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

MEMBERS_PER_PAGE = 50


def _name(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(view.get_url(".details_view", id=model.id), model.name)


def _members(view, context, model, name):
    count = (context.get("member_counts") or {}).get(model.id, 0)
    return Markup('<span data-members="{}">{}</span>').format(count, count)


class StaticListView(SecureModelView):
    """Hand-made lists of contractors (from CSV uploads or picked one by one)."""

    required_roles = (Role.ADMIN, Role.COMMUNICATOR)
    can_view_details = True
    column_list = ("name", "description", "members", "updated_at")
    column_sortable_list = ("name", "updated_at")
    column_searchable_list = ("name", "description")
    column_default_sort = "name"
    column_labels = {
        "name": _l("Name"),
        "description": _l("Description"),
        "members": _l("Members"),
        "updated_at": _l("Updated"),
    }
    column_formatters = {
        "name": _name,
        "members": _members,
        "updated_at": lambda v, c, m, n: format_instant(m.updated_at),
    }
    form_columns = ("name", "description")
    form_args = {
        "name": {"validators": [DataRequired(message=_l("Give the list a name.")), Length(max=120)]},
        "description": {"validators": [Length(max=2000)]},
    }
    details_template = "audiences/list_details.html"

    def render(self, template: str, **kwargs: Any) -> str:
        """The list of lists shows each one's size (one query for the page)."""
        if template == self.list_template:
            ids = [row.id for row in kwargs.get("data", ())]
            table = StaticListMember.__table__
            kwargs["member_counts"] = dict(db.session.execute(
                select(table.c.list_id, func.count()).where(table.c.list_id.in_(ids))
                .group_by(table.c.list_id)).all()) if ids else {}
        return super().render(template, **kwargs)

    # -- create, rename, delete through the services (which audit) -------------------------------

    def create_model(self, form: Any):
        """A new list, audited."""
        return self._save(None, form)

    def update_model(self, form: Any, model: StaticList) -> bool:
        """A renamed or re-described list, audited."""
        return bool(self._save(model.id, form))

    def _save(self, list_id: int | None, form: Any):
        try:
            return save_list(list_id, name=form.name.data.strip(),
                             description=(form.description.data or "").strip() or None,
                             actor=current_actor())
        except IntegrityError:
            flash(_("A list named “%(name)s” already exists.", name=form.name.data), "error")
            return False

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        """A new list opens its page, where members are added."""
        if is_created:
            return self.get_url(".details_view", id=model.id)
        return super().get_save_return_url(model, is_created)

    def delete_model(self, model: StaticList) -> bool:
        """Delete the list and its members; refused while segments use it."""
        try:
            delete_list(model.id, actor=current_actor())
        except ListInUse as exc:
            flash(_("The list “%(name)s” is used by the segments %(segments)s: take it out of them first.",
                    name=model.name, segments=", ".join(exc.segments)), "error")
            return False
        return True

    # -- the list's page -------------------------------------------------------------------------

    def _list_or_404(self, list_id: int | None) -> StaticList:
        static_list = db.session.get(StaticList, list_id or 0)
        if static_list is None:
            abort(404)
        return static_list

    @expose("/details/")
    def details_view(self):
        """The list's members, page by page, with the forms to add, remove and upload."""
        return self._page(self._list_or_404(request.args.get("id", type=int)))

    def _page(self, static_list: StaticList, *, add_form: AddMemberForm | None = None,
              upload_form: UploadForm | None = None, report: UploadReport | None = None,
              status: int = 200):
        total = member_count(static_list.id)
        pages = max(1, -(-total // MEMBERS_PER_PAGE))
        page = min(max(request.args.get("page", 1, type=int), 1), pages)
        rows = db.session.execute(
            select(Contractor, StaticListMember.source, StaticListMember.added_at)
            .join(StaticListMember, StaticListMember.contractor_id == Contractor.id)
            .where(StaticListMember.list_id == static_list.id)
            .order_by(Contractor.name, Contractor.id)
            .offset((page - 1) * MEMBERS_PER_PAGE).limit(MEMBERS_PER_PAGE)).all()
        html = self.render(
            self.details_template, static_list=static_list, rows=rows, total=total, page=page,
            pages=pages, segments=segments_using(static_list.id),
            add_form=add_form or AddMemberForm(formdata=None),
            upload_form=upload_form or UploadForm(formdata=None),
            source_labels=SOURCE_LABELS, report=report,
            return_url=get_redirect_target() or self.get_url(".index_view"))
        return html, status

    @expose("/<int:list_id>/add/", methods=("POST",))
    def add_view(self, list_id: int):
        """Put one contractor (or every record sharing a NIP) on the list."""
        static_list = self._list_or_404(list_id)
        form = AddMemberForm()
        if not form.validate_on_submit():
            return self._page(static_list, add_form=form, status=400)
        found = find_contractors(form.identifier.data)
        if not found:
            form.identifier.errors = [_("No contractor with the legacy id or NIP “%(value)s”.",
                                        value=form.identifier.data.strip())]
            return self._page(static_list, add_form=form, status=400)
        added = add_to_list(static_list.id, {c.id for c in found}, actor=current_actor())
        names = ", ".join(c.name for c in found)
        if added:
            flash(ngettext("Added to the list: %(names)s.", "Added %(num)d contractors to the list: %(names)s.",
                           added, names=names), "success")
        else:
            flash(_("Already on the list: %(names)s.", names=names), "info")
        return redirect(self.get_url(".details_view", id=static_list.id))

    @expose("/<int:list_id>/remove/", methods=("POST",))
    def remove_view(self, list_id: int):
        """Take a contractor off the list."""
        static_list = self._list_or_404(list_id)
        form = RemoveMemberForm()
        if not form.validate_on_submit():
            abort(400)
        contractor = db.session.get(Contractor, form.contractor_id.data)
        if remove_from_list(static_list.id, form.contractor_id.data, actor=current_actor()):
            flash(_("%(name)s was taken off the list.", name=contractor.name if contractor else "?"),
                  "success")
        else:
            flash(_("The contractor was not on the list."), "info")
        page = form.page.data if (form.page.data or "").isdigit() else None
        return redirect(self.get_url(".details_view", id=static_list.id, page=page))

    @expose("/<int:list_id>/upload/", methods=("POST",))
    def upload_view(self, list_id: int):
        """Add the contractors a CSV names and report every line that named no one."""
        static_list = self._list_or_404(list_id)
        form = UploadForm()
        if not form.validate_on_submit():
            return self._page(static_list, upload_form=form, status=400)
        upload = read_file(form)
        filename = (form.file.data.filename or "")[:200]
        added = add_to_list(static_list.id, upload.contractor_ids, actor=current_actor(), source="csv",
                            upload=upload, filename=filename)
        report = UploadReport(filename, upload, added)
        return self._page(static_list, upload_form=UploadForm(formdata=None), report=report)
