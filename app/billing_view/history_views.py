"""Payment history report pages: on screen, as CSV for Polish Excel, and as PDF (routes on `billing`)."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, render_template, request
from flask_babel import gettext as _

from app.accounts.models import ObligationKind
from app.accounts.portal_auth import portal_login_required
from app.billing_view.context import contractor_or_404, visible_unit_ids, visible_units
from app.billing_view.history import HistoryFilter, payments_in, yearly_summary
from app.billing_view.kinds import kind_name, method_name
from app.billing_view.portal import bp
from app.core.clock import today_warsaw
from app.core.csv_cells import safe_cell
from app.core.db import reads_outside_a_transaction
from app.core.money import format_pln
from app.core.pdf import new_document, render


def _day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _amount(value) -> str:
    return format_pln(value, currency=False)


def _report(contractor_id: int):
    business = contractor_or_404(contractor_id)
    chosen = HistoryFilter.from_args(request.args, today_warsaw())
    unit_ids = visible_unit_ids()
    payments, cut = payments_in(business.id, unit_ids, chosen)
    summary = yearly_summary(business.id, unit_ids, chosen)
    return business, chosen, payments, cut, summary


@bp.get("/historia/<int:contractor_id>")
@reads_outside_a_transaction
@portal_login_required
def history(contractor_id: int):
    """Payments and what each paid, in a period and of a kind, with the yearly summary."""
    business, chosen, payments, cut, summary = _report(contractor_id)
    return render_template("portal/history.html", business=business, chosen=chosen, payments=payments, cut=cut,
                           summary=summary, kind_name=kind_name, method_name=method_name,
                           units_by_id={u.id: u for u in visible_units()}, args=request.args.to_dict(),
                           kinds=_kinds()), (400 if chosen.errors else 200)


def _kinds() -> list[str]:
    return list(ObligationKind)


def _filename(business, chosen: HistoryFilter, extension: str) -> str:
    return f"historia-wplat-{business.id}-{chosen.date_from:%Y%m%d}-{chosen.date_to:%Y%m%d}.{extension}"


def csv_rows(payments, summary, units_by_id) -> list[list[str]]:
    """The report as rows: one per allocation (or per unallocated payment), then the yearly summary."""
    rows = [[_("Paid on"), _("Payment amount"), _("Method"), _("Office unit"), _("Kind"), _("Obligation"),
             _("Document"), _("Period"), _("Due date"), _("Amount settled")]]
    for payment in payments:
        unit = units_by_id.get(payment.unit_id)
        head = [_day(payment.paid_on), _amount(payment.amount), method_name(payment.method),
                unit.name if unit else ""]
        for part in payment.allocations:
            rows.append(head + [kind_name(part.kind), part.description, part.document_no or "", part.period or "",
                                _day(part.due_on), _amount(part.amount)])
        if payment.unallocated > 0:
            rows.append(head + ["", _("Not yet settled against an obligation"), "", "", "",
                                _amount(payment.unallocated)])
    rows += [[], [_("Year"), _("Kind"), _("Assessed"), _("Paid"), _("Remaining")]]
    for line in summary:
        rows.append([str(line.year or ""), kind_name(line.kind), _amount(line.assessed), _amount(line.paid),
                     _amount(line.remaining)])
    return rows


@bp.get("/historia/<int:contractor_id>.csv")
@reads_outside_a_transaction
@portal_login_required
def history_csv(contractor_id: int):
    """The report as CSV: UTF-8 with BOM, `;` between cells, as Polish Excel opens it."""
    business, chosen, payments, _cut, summary = _report(contractor_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in csv_rows(payments, summary, {u.id: u for u in visible_units()}):
        writer.writerow([safe_cell(cell) for cell in row])
    body = "\ufeff" + out.getvalue()
    return Response(body.encode("utf-8"), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_filename(business, chosen, "csv")}"',
        "Cache-Control": "no-store"})


@bp.get("/historia/<int:contractor_id>.pdf")
@reads_outside_a_transaction
@portal_login_required
def history_pdf(contractor_id: int):
    """The report as a PDF document."""
    business, chosen, payments, cut, summary = _report(contractor_id)
    title = _("Payment history")
    pdf = new_document(title=f"{title} – {business.name}", orientation="L", author=_("Ełk City Office"))
    pdf.set_font(size=14, style="B")
    pdf.cell(text=f"{title}: {business.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=9, style="")
    pdf.cell(text=_("NIP %(nip)s · paid from %(start)s to %(end)s", nip=business.nip or "—",
                    start=_day(chosen.date_from), end=_day(chosen.date_to)) +
             (f" · {kind_name(chosen.kind)}" if chosen.kind else ""), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    rows = csv_rows(payments, summary, {u.id: u for u in visible_units()})
    split = rows.index([])
    with pdf.table(col_widths=(18, 18, 18, 30, 28, 50, 28, 16, 18, 20), text_align="LEFT") as table:
        for row in rows[:split]:
            table.row(row)
    if cut:
        pdf.ln(2)
        pdf.cell(text=_("Only the newest payments are listed: choose a shorter period."), new_x="LMARGIN",
                 new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(size=11, style="B")
    pdf.cell(text=_("Yearly summary"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=9, style="")
    with pdf.table(col_widths=(15, 40, 25, 25, 25), width=130, align="LEFT") as table:
        for row in rows[split + 1:]:
            table.row(row)
    return Response(render(pdf), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{_filename(business, chosen, "pdf")}"',
        "Cache-Control": "no-store"})
