"""Portal pages of a business's account: dashboard, obligations, payment history.

Every page with a contractor id answers 404 unless the signed-in user's link to that business is
confirmed (`context.contractor_or_404`), and shows only units the user consented to.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, session, url_for

from app.accounts.models import LinkStatus, ObligationKind
from app.accounts.portal_auth import current_links, is_portal_user, portal_login_required
from app.billing_view.context import (
    confirmed_contractors,
    contractor_or_404,
    visible_unit_ids,
    visible_units,
)
from app.billing_view.dashboard import dashboard_figures, step
from app.billing_view.kinds import kind_name, kind_namer
from app.billing_view.obligations import (
    PAGE_SIZE,
    STATUSES,
    ObligationFilter,
    obligations_page,
)
from app.core.clock import today_warsaw
from app.core.db import reads_outside_a_transaction

bp = Blueprint("billing", __name__, url_prefix="/portal")

CONTEXT_KEY = "portal_context"
SETTINGS_ENDPOINT = "reminders_portal.preferences"


def _chosen(items: list, raw: str | None, remembered: int | None):
    """The item named by the query string (404 when it is not among `items`), else the remembered one."""
    by_id = {item.id: item for item in items}
    if raw:
        if not raw.isdigit() or int(raw) not in by_id:
            abort(404)
        return by_id[int(raw)]
    return by_id.get(remembered, items[0])


def current_context():
    """(business step, unit step) of the dashboard; None for a part with nothing to choose."""
    remembered = session.get(CONTEXT_KEY) or {}
    contractors, units = confirmed_contractors(), visible_units()
    business = _chosen(contractors, request.args.get("contractor_id"), remembered.get("contractor")) \
        if contractors else None
    unit = _chosen(units, request.args.get("unit_id"), remembered.get("unit")) if units else None
    wanted = {"contractor": business.id if business else None, "unit": unit.id if unit else None}
    if wanted != remembered:
        session[CONTEXT_KEY] = wanted
    return (step(contractors, business) if business else None, step(units, unit) if unit else None)


def _settings_endpoint() -> str | None:
    return SETTINGS_ENDPOINT if SETTINGS_ENDPOINT in current_app.view_functions else None


@bp.get("/pulpit")
@reads_outside_a_transaction
@portal_login_required
def dashboard():
    """Balance of the chosen business in the chosen unit and the five nearest events and payments."""
    business, unit = current_context()
    links = current_links()
    balance, items = None, []
    if business and unit:  # no unit: nothing consented, so no balance and no items
        figures = dashboard_figures(business.current.id, unit.current.id, visible_unit_ids(), today_warsaw())
        balance, items = figures.balance, figures.items
    units_by_id = {u.id: u for u in visible_units()}
    return render_template(
        "portal/dashboard.html", business=business, unit=unit, balance=balance, items=items,
        units_by_id=units_by_id, kind_name=kind_name, businesses=confirmed_contractors(),
        settings_endpoint=_settings_endpoint(),
        waiting=[link for link in links if link.status == LinkStatus.REQUESTED],
        refused=[link for link in links if link.status == LinkStatus.REJECTED])


@bp.get("/zobowiazania/<int:contractor_id>")
@reads_outside_a_transaction
@portal_login_required
def obligations(contractor_id: int):
    """The business's obligations with filters: basis, amounts, due date, late interest; pay chosen ones."""
    business = contractor_or_404(contractor_id)
    units = visible_units()
    unit_ids = {u.id for u in units}
    chosen = ObligationFilter.from_args(request.args, unit_ids)
    today = today_warsaw()
    listed = obligations_page(business.id, unit_ids, chosen, today,
                              interest_unit_ids={u.id for u in units if u.late_interest_enabled})
    page = render_template(
        "portal/obligations.html", business=business, rows=listed.rows, total=listed.total, chosen=chosen,
        page=chosen.page, pages=max((listed.total + PAGE_SIZE - 1) // PAGE_SIZE, 1), units=units,
        units_by_id={u.id: u for u in units}, kinds=list(ObligationKind), kind_name=kind_namer(),
        statuses=STATUSES, today=today, years=listed.years, args=request.args.to_dict(),
        any_interest=any(row.interest is not None for row in listed.rows))
    return page, (400 if chosen.errors else 200)


def _navigation() -> dict | None:
    """The portal menu's links for the business the user is looking at (None when signed out)."""
    if not is_portal_user():
        return None
    contractors = confirmed_contractors()
    remembered = (session.get(CONTEXT_KEY) or {}).get("contractor")
    current = (request.view_args or {}).get("contractor_id") or remembered
    ids = [c.id for c in contractors]
    contractor_id = current if current in ids else (ids[0] if ids else None)
    settings = _settings_endpoint()
    return {
        "dashboard": url_for("portal_auth.home"),
        "obligations": url_for("billing.obligations", contractor_id=contractor_id) if contractor_id else None,
        "history": url_for("billing.history", contractor_id=contractor_id) if contractor_id else None,
        "notifications": url_for(settings, contractor_id=contractor_id) if settings and contractor_id else None,
        "consents": url_for("portal_auth.consents"),
        "link": url_for("portal_auth.link"),
    }


@bp.app_context_processor
def _portal_menu():
    return {"portal_navigation": _navigation}


from app.billing_view import history_views  # noqa: E402,F401  (history routes on bp)
