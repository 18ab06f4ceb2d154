"""Admin views of the account model: units, contractors, staff users and portal links."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin import Admin
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from wtforms import PasswordField, SelectMultipleField, ValidationError, widgets
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.accounts.contractor_admin import ContractorView, dashboard_counts
from app.accounts.models import (
    Contractor,
    LateInterestRate,
    LinkStatus,
    PortalLink,
    StaffUser,
    Unit,
)
from app.core import audit
from app.core.admin import DashboardPanel, SecureModelView, label_options, staff_id, staff_label
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db
from app.core.roles import Role
from app.core.templating import format_instant

MIN_PASSWORD_LENGTH = 10
ROLE_LABELS = {
    Role.ADMIN: _l("administrator"),
    Role.COMMUNICATOR: _l("communicator"),
    Role.APPROVER: _l("approver"),
    Role.FINANCE: _l("finance"),
    Role.INBOX: _l("inbox"),
}
LINK_STATUS_LABELS = {
    LinkStatus.REQUESTED: _l("requested"),
    LinkStatus.CONFIRMED: _l("confirmed"),
    LinkStatus.REJECTED: _l("rejected"),
}


def _instant(view, context, model, name):
    return format_instant(getattr(model, name))


def validate_nrb(form: Any, field: Any) -> None:
    """WTForms validator: a Polish 26-digit account number with a correct checksum."""
    nrb = "".join((field.data or "").split())
    if not nrb:
        field.data = None
        return
    if not (nrb.isdigit() and len(nrb) == 26):
        raise ValidationError(_("Account number (NRB): enter exactly 26 digits."))
    try:
        IBAN("PL" + nrb)
    except SchwiftyException as exc:
        raise ValidationError(
            _("Account number (NRB) %(nrb)s is not valid: check the digits.", nrb=nrb)
        ) from exc
    field.data = nrb


class UnitView(SecureModelView):
    """Office units and the account each is paid to."""

    required_roles = (Role.ADMIN, Role.FINANCE)
    can_create = False
    can_delete = False
    column_list = ("code", "name", "nip", "account_nrb", "address", "is_active", "late_interest_enabled")
    column_default_sort = "code"
    form_columns = ("name", "address", "account_nrb", "virtual_account_prefix", "late_interest_enabled")
    column_labels = {
        "code": _l("Code"),
        "name": _l("Name"),
        "nip": _l("NIP"),
        "account_nrb": _l("Account number (NRB)"),
        "virtual_account_prefix": _l("Virtual accounts prefix"),
        "address": _l("Address"),
        "is_active": _l("Active"),
        "late_interest_enabled": _l("Late interest in the portal"),
    }
    column_formatters = {"account_nrb": lambda v, c, m, n: m.account_display}
    form_args = {
        "name": {"validators": [Length(min=2, max=255)]},
        "account_nrb": {
            "validators": [Optional(), validate_nrb],
            "description": _l("26 digits; spaces are allowed."),
        },
        "virtual_account_prefix": {
            "validators": [Optional(), Regexp(r"^\d{8,16}$", message=_l("8 to 16 digits."))],
            "description": _l("For individual virtual accounts: the bank's 8-digit settlement number "
                              "and the office's client code (8 to 16 digits). Empty: every business "
                              "pays to the unit's account."),
        },
        "late_interest_enabled": {
            "description": _l("The business portal shows late interest on this unit's overdue obligations, "
                              "at the rates of 'Late interest rates'."),
        },
    }

    def on_model_change(self, form: Any, model: Unit, is_created: bool) -> None:
        """Audit the change of a unit's name, address or account."""
        audit.record(
            "unit.updated", actor_type="staff", actor_id=staff_id(), actor_label=staff_label(),
            target=f"unit:{model.id}", account_nrb=model.account_nrb, name=model.name,
            late_interest_enabled=model.late_interest_enabled,
        )


class LateInterestRateView(SecureModelView):
    """Annual late-interest rates, each in force from its date until the next one."""

    required_roles = (Role.ADMIN, Role.FINANCE)
    can_delete = False
    column_list = ("valid_from", "annual_rate", "note")
    column_default_sort = ("valid_from", True)
    form_columns = ("valid_from", "annual_rate", "note")
    column_labels = {
        "valid_from": _l("Valid from"),
        "annual_rate": _l("Annual rate (%)"),
        "note": _l("Note"),
    }
    form_args = {
        "valid_from": {"validators": [DataRequired()]},
        "annual_rate": {
            "validators": [DataRequired(), NumberRange(min=0, max=100, message=_l("From 0 to 100 percent."))],
            "description": _l("Percent a year, e.g. 14,50. It applies from 'Valid from' until the next rate."),
        },
        "note": {"validators": [Optional(), Length(max=255)]},
    }

    def on_model_change(self, form: Any, model: LateInterestRate, is_created: bool) -> None:
        """Audit a new or changed rate."""
        audit.record(
            "late_interest_rate.saved", actor_type="staff", actor_id=staff_id(), actor_label=staff_label(),
            target=f"late_interest_rate:{model.id}", valid_from=model.valid_from.isoformat(),
            annual_rate=str(model.annual_rate), created=is_created,
        )


class StaffUserView(SecureModelView):
    """Office staff accounts (admins only); passwords are set, never shown."""

    required_roles = (Role.ADMIN,)
    can_delete = False
    column_list = ("email", "name", "roles", "is_active", "last_login_at")
    column_searchable_list = ("email", "name")
    column_default_sort = "email"
    column_exclude_list = ("password_hash",)
    form_columns = ("email", "name", "phone", "new_password", "role_choices", "is_active")
    column_labels = {
        "email": _l("Email"),
        "name": _l("Full name"),
        "phone": _l("Phone"),
        "roles": _l("Roles"),
        "is_active": _l("Active"),
        "last_login_at": _l("Last sign-in"),
        "new_password": _l("Password"),
        "role_choices": _l("Roles"),
    }
    column_formatters = {
        "roles": lambda v, c, m, n: ", ".join(str(ROLE_LABELS[r]) for r in sorted(m.role_set)),
        "last_login_at": _instant,
    }
    form_extra_fields = {
        "new_password": PasswordField(
            _l("Password"),
            validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)],
            description=_l("At least 10 characters. Leave empty to keep the current password."),
        ),
        "role_choices": SelectMultipleField(
            _l("Roles"),
            choices=[(r.value, ROLE_LABELS[r]) for r in Role],
            widget=widgets.ListWidget(prefix_label=False),
            option_widget=widgets.CheckboxInput(),
        ),
    }

    def on_form_prefill(self, form: Any, id: Any) -> None:
        """Tick the roles the user holds."""
        user = db.session.get(StaffUser, int(id))
        if user is not None:
            form.role_choices.data = sorted(user.role_set)

    def on_model_change(self, form: Any, model: StaffUser, is_created: bool) -> None:
        """Apply roles and password; refuse to lock yourself out; audit without the hash."""
        password = form.new_password.data
        model.__dict__.pop("new_password", None)
        model.__dict__.pop("role_choices", None)
        if is_created and not password:
            raise ValidationError(_("Set a password of at least 10 characters."))
        roles = set(form.role_choices.data or [])
        # Compared by session id: `model` may be the signed-in user already changed by the form.
        if model.id is not None and current_user.get_id() == f"staff:{model.id}":
            if Role.ADMIN not in roles:
                raise ValidationError(_("You cannot remove your own administrator role."))
            if not form.is_active.data:
                raise ValidationError(_("You cannot deactivate your own account."))
        model.email = model.email.strip().lower()
        model.role_set = roles
        if password:
            model.set_password(password)
        db.session.flush()
        audit.record(
            "staff.created" if is_created else "staff.updated",
            actor_type="staff", actor_id=staff_id(), actor_label=staff_label(),
            target=f"staff:{model.id}", roles=sorted(roles), is_active=model.is_active,
            password_changed=bool(password),
        )


@transactional
def decide_links(link_ids: list[int], status: LinkStatus) -> int:
    """Confirm or reject requested portal links; returns how many were decided."""
    links = db.session.scalars(
        select(PortalLink).where(
            PortalLink.id.in_(link_ids), PortalLink.status == LinkStatus.REQUESTED
        )
    ).all()
    for link in links:
        link.status = status
        link.decided_at = utcnow()
        link.decided_by_id = staff_id()
        audit.record(
            f"portal_link.{status.value}", actor_type="staff", actor_id=staff_id(),
            actor_label=staff_label(), target=f"portal_link:{link.id}",
            portal_user_id=link.portal_user_id, contractor_id=link.contractor_id,
        )
    return len(links)


class PortalLinkView(SecureModelView):
    """Requests of portal users to see a contractor's account, decided by an admin."""

    required_roles = (Role.ADMIN,)
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("user", "contractor", "method", "status", "requested_at", "decided_at")
    column_default_sort = ("requested_at", True)
    column_searchable_list = ("user.email", "contractor.name", "contractor.nip")
    column_filters = (
        FilterEqual(
            PortalLink.status, _l("Status"),
            options=label_options(LINK_STATUS_LABELS),
        ),
    )
    column_labels = {
        "user": _l("Portal user"),
        "contractor": _l("Contractor"),
        "method": _l("Method"),
        "status": _l("Status"),
        "requested_at": _l("Requested"),
        "decided_at": _l("Decided"),
        "user.email": _l("Email"),
        "contractor.name": _l("Name"),
        "contractor.nip": _l("NIP"),
    }
    column_formatters = {
        "status": lambda v, c, m, n: str(LINK_STATUS_LABELS.get(m.status, m.status)),
        "requested_at": _instant,
        "decided_at": _instant,
    }

    def _decide(self, ids: list[str], status: LinkStatus) -> None:
        count = decide_links([int(i) for i in ids], status)
        flash(ngettext("%(num)d request decided.", "%(num)d requests decided.", count), "success")

    @action("confirm", _l("Confirm"), _l("Confirm the selected requests?"))
    def action_confirm(self, ids: list[str]) -> None:
        """Let the portal users see the contractors' accounts."""
        self._decide(ids, LinkStatus.CONFIRMED)

    @action("reject", _l("Reject"), _l("Reject the selected requests?"))
    def action_reject(self, ids: list[str]) -> None:
        """Refuse the requests."""
        self._decide(ids, LinkStatus.REJECTED)


def register(admin: Admin) -> None:
    """Add the account views and the start-page panel to the admin."""
    accounts = _l("Accounts")
    admin.add_view(ContractorView(Contractor, db, name=_l("Contractors"), endpoint="contractors"))
    admin.add_view(UnitView(Unit, db, name=_l("Units"), endpoint="units", category=accounts))
    admin.add_view(LateInterestRateView(LateInterestRate, db, name=_l("Late interest rates"),
                                        endpoint="late_interest_rates", category=accounts))
    admin.add_view(PortalLinkView(PortalLink, db, name=_l("Portal link requests"), endpoint="portal_links", category=accounts))
    admin.add_view(StaffUserView(StaffUser, db, name=_l("Staff users"), endpoint="staff_users", category=accounts))
    admin.index_view.add_panel(
        DashboardPanel(template="admin/panels/accounts.html", context=dashboard_counts, order=10)
    )
