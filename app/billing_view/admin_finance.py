"""Finance staff's admin: incoming payments, FK export batches, bank statement import and allocation."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_admin import Admin, expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, DateBetweenFilter, FilterEqual
from flask_admin.model.filters import BaseBooleanFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy import exists, func, select
from stdnum.pl import nip as nip_number
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts.models import Contractor, Payment, PaymentMethod, RecordStatus, Unit
from app.billing_view import fk_export, statement_import
from app.billing_view.finance_models import (
    BankStatement,
    FkExportBatch,
    FkExportedPayment,
    LineStatus,
    StatementLine,
)
from app.core.admin import DashboardPanel, SecureModelView, label_options, live_options, staff_label
from app.core.extensions import db
from app.core.money import format_pln
from app.core.roles import Role
from app.core.templating import format_day, format_instant

FINANCE_ROLES = (Role.ADMIN, Role.FINANCE)
SOURCE_LABELS = {"legacy": _l("Legacy system"), "online": _l("Online payment"), "statement": _l("Bank statement")}
METHOD_LABELS = {PaymentMethod.TRANSFER: _l("Transfer"), PaymentMethod.CASH: _l("Cash"),
                 PaymentMethod.ONLINE: _l("Online")}
LINE_LABELS = {
    LineStatus.UNMATCHED: _l("Waiting for allocation"), LineStatus.BOOKED: _l("Booked"),
    LineStatus.DUPLICATE: _l("Already imported"), LineStatus.DEBIT: _l("Outgoing (not a payment)"),
    LineStatus.IGNORED: _l("Set aside"),
}
MATCHED_BY_LABELS = {"virtual_account": _l("virtual account"), "document": _l("document number in the title"),
                     "nip": _l("NIP in the title"), "legacy_id": _l("business id in the title"),
                     "staff": _l("allocated by a person")}
NOTE_LABELS = {
    statement_import.NOTE_UNIDENTIFIED: _l("No business could be identified from the account or the title."),
    statement_import.NOTE_DUPLICATE: _l("The same entry was imported with an earlier statement."),
    statement_import.NOTE_CURRENCY: _l("Not in złoty: only a person books it."),
}
IMPORT_ERRORS = {
    "already_imported": _l("%(file)s was already imported on %(day)s as statement %(earlier)s; nothing was "
                           "booked again."),
    "in_progress": _l("%(file)s is being imported by someone else at this moment; nothing was booked twice."),
    "too_large": _l("%(file)s is too large for a bank statement."),
    "binary": _l("%(file)s is not a text file; export the statement from the bank as MT940."),
    "no_tags": _l("%(file)s is not an MT940 statement: it has no :25: account nor :61: entries."),
}


def _label(labels: dict[Any, Any], value: Any) -> str:
    label = labels.get(value)
    return str(label) if label is not None else (value or "")


def _amount(view, context, model, name) -> str:
    return format_pln(getattr(model, name))


def _instant(view, context, model, name) -> str:
    return format_instant(getattr(model, name))


def _day(view, context, model, name) -> str:
    return format_day(getattr(model, name))


def _note(view, context, model, name) -> str:
    return _label(NOTE_LABELS, model.note)


# --- payments ---------------------------------------------------------------------------------------


class ExportedFilter(BaseSQLAFilter, BaseBooleanFilter):
    """Payments already handed to FK (yes) or still waiting (no)."""

    def apply(self, query, value, alias=None):
        handed = exists().where(FkExportedPayment.payment_id == Payment.id)
        return query.filter(handed if value == "1" else ~handed)

    def operation(self):
        return _l("equals")


def batches_of(payment_ids: list[int]) -> dict[int, FkExportBatch]:
    """The FK batch of each of these payments that has been exported."""
    rows = db.session.execute(select(FkExportedPayment.payment_id, FkExportBatch)
                              .join(FkExportBatch, FkExportBatch.id == FkExportedPayment.batch_id)
                              .where(FkExportedPayment.payment_id.in_(payment_ids))).all()
    return {payment_id: batch for payment_id, batch in rows}


def _exported(view, context, model, name) -> Markup | str:
    known = g.get("fk_batches")
    batch = known.get(model.id) if known is not None else batches_of([model.id]).get(model.id)
    if batch is None:
        return "—" if model.source == fk_export.LEGACY_SOURCE else _("waiting")
    return Markup('<a href="{}">{}</a>').format(url_for("fk_export.details_view", id=batch.id), batch.number)


def _allocations(view, context, model, name) -> Markup:
    items = [Markup("<li>{} — {}</li>").format(a.obligation, format_pln(a.amount)) for a in model.allocations]
    free = model.amount - sum((a.amount for a in model.allocations), 0)
    if free > 0:
        items.append(Markup("<li>{}: {}</li>").format(_("not allocated (overpayment)"), format_pln(free)))
    return Markup("<ul class='mb-0'>{}</ul>").format(Markup("").join(items))


def _unit_options() -> list[tuple[str, str]]:
    return [(str(u.id), str(u)) for u in db.session.scalars(select(Unit).order_by(Unit.code))]


class PaymentView(SecureModelView):
    """Every payment received, whatever brought it, with its allocations and FK export."""

    required_roles = FINANCE_ROLES
    can_create = can_edit = can_delete = False
    can_view_details = True
    can_export = True
    column_list = ("paid_on", "contractor", "unit", "amount", "method", "source", "description", "status", "exported")
    column_details_list = ("paid_on", "contractor", "unit", "amount", "method", "source", "description", "status",
                           "legacy_id", "created_at", "allocations", "exported")
    column_export_list = ("id", "paid_on", "contractor", "unit", "amount", "method", "source", "description",
                          "status")
    column_default_sort = [("paid_on", True), ("id", True)]
    column_searchable_list = ("description", "legacy_id", Contractor.name, Contractor.nip, Contractor.legacy_id)
    column_filters = (
        DateBetweenFilter(Payment.paid_on, _l("Paid on")),
        FilterEqual(Payment.unit_id, _l("Office unit"), options=live_options(_unit_options)),
        FilterEqual(Payment.source, _l("Source"), options=label_options(SOURCE_LABELS)),
        FilterEqual(Payment.method, _l("Method"), options=label_options(METHOD_LABELS)),
        FilterEqual(Payment.status, _l("Status"), options=label_options(
            {RecordStatus.ACTIVE: _l("active"), RecordStatus.CANCELLED: _l("cancelled")})),
        ExportedFilter(Payment.id, _l("Exported to FK")),
    )
    column_labels = {
        "paid_on": _l("Paid on"), "contractor": _l("Business"), "unit": _l("Office unit"), "amount": _l("Amount"),
        "method": _l("Method"), "source": _l("Source"), "description": _l("Title"), "status": _l("Status"),
        "exported": _l("FK export"), "legacy_id": _l("Legacy id"), "created_at": _l("Received"),
        "allocations": _l("Allocated to"), "Contractor.name": _l("Business name"), "Contractor.nip": _l("NIP"),
        "Contractor.legacy_id": _l("Business id"),
    }
    column_formatters = {
        "paid_on": _day, "amount": _amount, "exported": _exported, "created_at": _instant,
        "method": lambda v, c, m, n: _label(METHOD_LABELS, m.method),
        "source": lambda v, c, m, n: _label(SOURCE_LABELS, m.source),
        "allocations": _allocations,
    }
    column_formatters_export = {"amount": lambda v, c, m, n: f"{m.amount:.2f}".replace(".", ",")}

    def get_list(self, *args: Any, **kwargs: Any):
        """The page's payments, with the FK batches of all of them found in one query."""
        count, data = super().get_list(*args, **kwargs)
        g.fk_batches = batches_of([payment.id for payment in data])
        return count, data

    def get_query(self):
        """Payments joined to their business (searchable by name, NIP and id)."""
        return super().get_query().join(Contractor, Contractor.id == Payment.contractor_id)

    def get_count_query(self):
        """Counted over the same join as the list."""
        return super().get_count_query().join(Contractor, Contractor.id == Payment.contractor_id)


# --- FK export -------------------------------------------------------------------------------------


class FkExportBatchView(SecureModelView):
    """FK export batches: export what waits, download (again) any batch as CSV or XML."""

    required_roles = FINANCE_ROLES
    can_create = can_edit = can_delete = False
    can_view_details = True
    list_template = "admin/finance/fk_batch_list.html"
    details_template = "admin/finance/fk_batch_details.html"
    column_list = ("id", "created_at", "created_by", "payment_count", "total_amount", "first_paid_on",
                   "last_paid_on", "download_count", "files")
    column_default_sort = ("id", True)
    column_labels = {
        "id": _l("Batch"), "created_at": _l("Created"), "created_by": _l("Created by"),
        "payment_count": _l("Payments"), "total_amount": _l("Total"), "first_paid_on": _l("Paid from"),
        "last_paid_on": _l("Paid until"), "download_count": _l("Downloads"), "files": _l("Files"),
    }
    column_formatters = {
        "id": lambda v, c, m, n: m.number, "created_at": _instant, "total_amount": _amount,
        "first_paid_on": _day, "last_paid_on": _day,
        "files": lambda v, c, m, n: Markup('<a href="{}">CSV</a> · <a href="{}">XML</a>').format(
            url_for(".download_view", id=m.id, file_format="csv"), url_for(".download_view", id=m.id, file_format="xml")),
    }

    def render(self, template: str, **kwargs: Any) -> str:
        """The list shows what waits for export and the button to export it."""
        if template == self.list_template:
            kwargs["pending_count"], kwargs["pending_total"] = fk_export.pending_summary()
            kwargs["export_form"] = FlaskForm()
        return super().render(template, **kwargs)

    @expose("/export/", methods=["POST"])
    def export_view(self):
        """Put every payment not yet exported in a new batch."""
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            batch = fk_export.export_pending(created_by=staff_label(), via="admin")
        except fk_export.ExportConflict:
            flash(_("Another export was running at the same moment; nothing was lost. Try again."), "error")
            return redirect(self.get_url(".index_view"))
        if batch is None:
            flash(_("No payments wait for export."), "info")
            return redirect(self.get_url(".index_view"))
        flash(_("Batch %(number)s: %(count)s payments, %(total)s. Download its file for the accounting system.",
                number=batch.number, count=batch.payment_count, total=format_pln(batch.total_amount)), "success")
        return redirect(self.get_url(".details_view", id=batch.id))

    @expose("/details/")
    def details_view(self):
        """A batch with its payments."""
        batch = db.session.get(FkExportBatch, request.args.get("id", type=int) or 0)
        if batch is None:
            abort(404)
        payments = fk_export.batch_payments(batch.id)
        return self.render(self.details_template, batch=batch, payments=payments,
                           return_url=self.get_url(".index_view"), method_label=lambda m: _label(METHOD_LABELS, m),
                           source_label=lambda s: _label(SOURCE_LABELS, s))

    @expose("/download/<int:id>.<file_format>")
    def download_view(self, id: int, file_format: str):
        """The batch's file (the same each time it is downloaded)."""
        batch = db.session.get(FkExportBatch, id)
        if batch is None or file_format not in ("csv", "xml"):
            abort(404)
        fk_export.record_download(batch.id, file_format, by=staff_label())
        name = batch.number.replace("/", "-")
        disposition = {"Content-Disposition": f'attachment; filename="{name}.{file_format}"'}
        if file_format == "xml":
            return Response(fk_export.batch_xml(batch), mimetype="application/xml", headers=disposition)
        return Response("".join(fk_export.batch_csv(batch)), mimetype="text/csv; charset=utf-8",
                        headers=disposition)


# --- bank statements --------------------------------------------------------------------------------


class StatementUploadForm(FlaskForm):
    """An MT940 statement exported from the bank."""

    statement = FileField(_l("Statement (MT940)"), validators=[FileRequired(message=_l("Choose a statement file."))])


class BankStatementView(SecureModelView):
    """Imported bank statements; finance staff upload new ones here."""

    required_roles = FINANCE_ROLES
    can_create = can_edit = can_delete = False
    can_view_details = True
    list_template = "admin/finance/statement_list.html"
    details_template = "admin/finance/statement_details.html"
    column_list = ("imported_at", "filename", "statement_no", "account", "unit", "line_count", "booked_count",
                   "unmatched_count", "error_count", "imported_by")
    column_default_sort = ("imported_at", True)
    column_labels = {
        "imported_at": _l("Imported"), "filename": _l("File"), "statement_no": _l("Statement"),
        "account": _l("Account"), "unit": _l("Office unit"), "line_count": _l("Entries"),
        "booked_count": _l("Booked"), "unmatched_count": _l("To allocate"), "error_count": _l("Unreadable lines"),
        "imported_by": _l("Imported by"),
    }
    column_formatters = {
        "imported_at": _instant,
        "error_count": lambda v, c, m, n: len(m.errors or []),
        "unmatched_count": lambda v, c, m, n: Markup("<strong class='text-danger'>{}</strong>").format(
            m.unmatched_count) if m.unmatched_count else 0,
    }

    def render(self, template: str, **kwargs: Any) -> str:
        """The list carries the upload form."""
        kwargs.setdefault("upload_form", StatementUploadForm())
        return super().render(template, **kwargs)

    @expose("/upload/", methods=["POST"])
    def upload_view(self):
        """Import an uploaded statement at once and show what became of each entry."""
        form = StatementUploadForm()
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for error in errors:
                    flash(error, "error")
            return redirect(self.get_url(".index_view"))
        storage = form.statement.data
        name = (storage.filename or "statement.sta")[:255]
        try:
            statement = statement_import.import_statement(storage.read(statement_import.MAX_UPLOAD_BYTES + 1),
                                                          name, imported_by=staff_label())
        except statement_import.StatementImportError as exc:
            message = IMPORT_ERRORS.get(exc.code)
            earlier = exc.params.get("statement_id")
            flash(str(message) % {"file": name, "earlier": f"#{earlier}",
                                  "day": format_instant(exc.params.get("imported_at"))} if message else str(exc),
                  "error")
            return redirect(self.get_url(".index_view"))
        flash(_("%(file)s: %(lines)s entries, %(booked)s booked, %(unmatched)s to allocate, %(errors)s unreadable.",
                file=name, lines=statement.line_count, booked=statement.booked_count,
                unmatched=statement.unmatched_count, errors=len(statement.errors or [])),
              "success" if not statement.errors else "warning")
        return redirect(self.get_url(".details_view", id=statement.id))

    @expose("/details/")
    def details_view(self):
        """A statement: unreadable lines (line, field, value, reason) and what became of each entry."""
        statement = db.session.get(BankStatement, request.args.get("id", type=int) or 0)
        if statement is None:
            abort(404)
        return self.render(self.details_template, statement=statement, lines=statement.lines,
                           return_url=self.get_url(".index_view"), line_label=lambda s: _label(LINE_LABELS, s),
                           matched_label=lambda s: _label(MATCHED_BY_LABELS, s),
                           note_label=lambda s: _label(NOTE_LABELS, s))


class AssignForm(FlaskForm):
    """The business an unmatched credit came from."""

    business = StringField(_l("Business (id or NIP)"), validators=[DataRequired(), Length(max=40)])
    unit = SelectField(_l("Office unit"), choices=[], validate_choice=False)
    allocate = BooleanField(_l("Allocate to its obligations, oldest first"), default=True)


class IgnoreForm(FlaskForm):
    """Why a credit is not a business's payment."""

    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)])


def find_business(text: str) -> tuple[Contractor | None, str | None]:
    """The business a person named by its id or NIP, or why none could be chosen."""
    value = text.strip()
    contractor = db.session.scalar(select(Contractor).where(Contractor.legacy_id == value.upper()))
    if contractor is not None:
        return contractor, None
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 10 and nip_number.is_valid(digits):
        found = list(db.session.scalars(select(Contractor).where(Contractor.nip == digits).limit(3)))
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return None, _("Several businesses have NIP %(nip)s; give the business id.", nip=digits)
    return None, _("No business with id or NIP %(value)s.", value=value)


def waiting_lines_url() -> str:
    """The statement entries list showing only those waiting for allocation (the status filter is first)."""
    return url_for("statement_lines.index_view", flt0_0=LineStatus.UNMATCHED.value)


class StatementLineView(SecureModelView):
    """Statement entries; those nobody could match wait here for a person to allocate or set aside."""

    required_roles = FINANCE_ROLES
    can_create = can_edit = can_delete = False
    can_view_details = False
    resolve_template = "admin/finance/line_resolve.html"
    column_list = ("booked_on", "amount", "counterparty_name", "title", "status", "matched_by", "contractor",
                   "note", "resolve")
    column_default_sort = [("booked_on", True), ("id", True)]
    column_searchable_list = ("title", "counterparty_name", "counterparty_account")
    column_filters = (
        FilterEqual(StatementLine.status, _l("Status"), options=label_options(LINE_LABELS)),
        FilterEqual(StatementLine.statement_id, _l("Statement")),
    )
    column_labels = {
        "booked_on": _l("Booked on"), "amount": _l("Amount"), "counterparty_name": _l("Sender"),
        "title": _l("Title"), "status": _l("Status"), "matched_by": _l("Matched by"), "contractor": _l("Business"),
        "note": _l("Note"), "resolve": "", "counterparty_account": _l("Sender's account"),
    }
    column_formatters = {
        "booked_on": _day, "amount": _amount, "note": _note,
        "status": lambda v, c, m, n: _label(LINE_LABELS, m.status),
        "matched_by": lambda v, c, m, n: _label(MATCHED_BY_LABELS, m.matched_by),
        "resolve": lambda v, c, m, n: Markup('<a class="btn btn-sm btn-primary" href="{}">{}</a>').format(
            url_for(".resolve_view", id=m.id), _("Allocate")) if m.status == LineStatus.UNMATCHED else "",
    }

    @expose("/resolve/<int:id>", methods=["GET", "POST"])
    def resolve_view(self, id: int):
        """Allocate an unmatched credit to a business (suggestions from its title), or set it aside."""
        line = db.session.get(StatementLine, id)
        if line is None:
            abort(404)
        assign, ignore = AssignForm(prefix="assign"), IgnoreForm(prefix="ignore")
        units = _unit_options()
        assign.unit.choices = [("", _("as the obligations say"))] + units
        if line.status == LineStatus.UNMATCHED and request.method == "POST":
            done = self._resolve(line, assign, ignore)
            if done:
                return redirect(waiting_lines_url())
        suggestions = statement_import.candidates_for(line.title or "")
        return self.render(self.resolve_template, line=line, assign=assign, ignore=ignore, suggestions=suggestions,
                           line_label=_label(LINE_LABELS, line.status), note_label=_label(NOTE_LABELS, line.note),
                           return_url=self.get_url(".index_view"))

    def _resolve(self, line: StatementLine, assign: AssignForm, ignore: IgnoreForm) -> bool:
        """Carry out the submitted form; False (with messages) when it cannot be."""
        try:
            if "assign-business" in request.form and assign.validate_on_submit():
                contractor, problem = find_business(assign.business.data)
                if contractor is None:
                    flash(problem, "error")
                    return False
                unit_id = int(assign.unit.data) if (assign.unit.data or "").isdigit() else None
                statement_import.assign_line(line.id, contractor.id, unit_id=unit_id, resolved_by=staff_label(),
                                             allocate=assign.allocate.data)
                flash(_("%(amount)s booked as a payment of %(business)s.", amount=format_pln(line.amount),
                        business=contractor.name), "success")
                return True
            if "ignore-reason" in request.form and ignore.validate_on_submit():
                statement_import.ignore_line(line.id, ignore.reason.data, resolved_by=staff_label())
                flash(_("The entry was set aside."), "success")
                return True
        except statement_import.ResolveError:
            flash(_("Someone else has just resolved this entry."), "error")
            return True
        except statement_import.BookingError as exc:
            flash(str(exc), "error")
            return False
        for form in (assign, ignore):
            for errors in form.errors.values():
                for error in errors:
                    flash(error, "error")
        return False


# --- start page -------------------------------------------------------------------------------------


def finance_panel() -> dict[str, Any]:
    """What waits for finance staff: entries to allocate and payments to export."""
    waiting = db.session.scalar(select(func.count()).select_from(StatementLine)
                                .where(StatementLine.status == LineStatus.UNMATCHED)) or 0
    count, total = fk_export.pending_summary()
    return {"lines_waiting": waiting, "export_count": count, "export_total": total,
            "waiting_url": waiting_lines_url()}


def register(admin: Admin) -> None:
    """Add the finance views and their start-page panel to the admin."""
    category = _l("Finance")
    admin.add_view(PaymentView(Payment, db, name=_l("Payments"), endpoint="finance_payments", category=category))
    admin.add_view(StatementLineView(StatementLine, db, name=_l("Statement entries"), endpoint="statement_lines",
                                     category=category))
    admin.add_view(BankStatementView(BankStatement, db, name=_l("Bank statements"), endpoint="bank_statements",
                                     category=category))
    admin.add_view(FkExportBatchView(FkExportBatch, db, name=_l("FK export"), endpoint="fk_export",
                                     category=category))
    admin.index_view.add_panel(DashboardPanel(template="admin/panels/finance.html", context=finance_panel,
                                              roles=FINANCE_ROLES, order=40))
