"""The admin page "Payment notices": staff lists told when payments arrive, per unit and obligation kind.

Admins and finance staff create and edit the lists; members are chosen among active staff.
Every change is audited as the signed-in staff member.
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin import Admin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import SelectField, SelectMultipleField, widgets
from wtforms.validators import InputRequired, Length

from app.accounts.contractor_admin import CHANNEL_LABELS, OBLIGATION_KIND_LABELS
from app.accounts.models import ObligationKind, StaffUser, Unit
from app.core import audit
from app.core.admin import SecureModelView, staff_id, staff_label
from app.core.extensions import db
from app.core.roles import Role
from app.reminders.staff_models import (
    NoticeChannel,
    NoticeMode,
    PaymentNoticeList,
    payment_notice_members,
)

MODE_LABELS = {NoticeMode.IMMEDIATE: _l("as payments arrive"), NoticeMode.DIGEST: _l("daily digest")}


def _units():
    return select(Unit).order_by(Unit.name)


def _active_staff():
    return db.session.scalars(select(StaffUser).where(StaffUser.is_active.is_(True)).order_by(StaffUser.name))


def _staff_for(list_id: int):
    """Active staff, and whoever already is on the list (so saving it never fails on them)."""
    on_list = select(payment_notice_members.c.staff_user_id).where(payment_notice_members.c.list_id == list_id)
    return db.session.scalars(select(StaffUser).where(or_(StaffUser.is_active.is_(True), StaffUser.id.in_(on_list)))
                              .order_by(StaffUser.name))


def _kinds(view, context, model, name) -> str:
    return ", ".join(str(OBLIGATION_KIND_LABELS.get(k, k)) for k in model.kinds or []) or _("all kinds")


def _unit(view, context, model, name) -> str:
    return model.unit.name if model.unit else _("all units")


def _members(view, context, model, name) -> str:
    return ", ".join(u.name for u in model.members) or _("nobody")


def _when(view, context, model, name) -> str:
    if model.mode == NoticeMode.DIGEST:
        return _("daily digest at %(hour)02d:00", hour=model.digest_hour)
    return str(MODE_LABELS.get(model.mode, model.mode))


class PaymentNoticeListView(SecureModelView):
    """Lists of staff told about payments to a unit (or any) for some kinds (or any), by email or SMS."""

    required_roles = (Role.ADMIN, Role.FINANCE)
    column_list = ("name", "unit", "kinds", "channel", "mode", "members", "is_active")
    column_default_sort = "name"
    column_searchable_list = ("name",)
    form_columns = ("name", "unit", "kinds", "channel", "mode", "digest_hour", "members", "is_active")
    column_labels = {
        "name": _l("Name"),
        "unit": _l("Unit"),
        "kinds": _l("Obligation kinds"),
        "channel": _l("Channel"),
        "mode": _l("When"),
        "digest_hour": _l("Digest hour (Warsaw time)"),
        "members": _l("Members"),
        "is_active": _l("Active"),
    }
    column_formatters = {
        "unit": _unit,
        "kinds": _kinds,
        "channel": lambda v, c, m, n: str(CHANNEL_LABELS.get(m.channel, m.channel)),
        "mode": _when,
        "members": _members,
    }
    form_overrides = {"kinds": SelectMultipleField, "channel": SelectField, "mode": SelectField,
                      "digest_hour": SelectField}
    form_args = {
        "name": {"validators": [InputRequired(), Length(min=2, max=120)]},
        "unit": {"query_factory": lambda: db.session.scalars(_units()), "allow_blank": True,
                 "blank_text": _l("all units"),
                 "description": _l("Payments to this unit only; empty: payments to any unit.")},
        "kinds": {"choices": [(k.value, OBLIGATION_KIND_LABELS[k]) for k in ObligationKind],
                  "widget": widgets.ListWidget(prefix_label=False), "option_widget": widgets.CheckboxInput(),
                  "description": _l("Payments for these kinds only; none ticked: any kind. A payment not yet "
                                    "allocated to an obligation has no kind.")},
        "channel": {"choices": [(c.value, CHANNEL_LABELS[c.value]) for c in NoticeChannel]},
        "mode": {"choices": [(m.value, MODE_LABELS[m]) for m in NoticeMode]},
        "digest_hour": {"coerce": int, "choices": [(h, f"{h:02d}:00") for h in range(24)],
                        "description": _l("Only for a daily digest: the hour it is sent, listing the payments "
                                          "that arrived since the previous one.")},
        "members": {"query_factory": _active_staff,
                    "description": _l("Active staff members; an SMS goes only to those with a phone number.")},
    }

    def edit_form(self, obj: Any = None):
        """On edit, members who have since left stay choosable, so the list can be saved."""
        form = super().edit_form(obj)
        if obj is not None and obj.id is not None:
            form.members.query_factory = lambda: _staff_for(obj.id)
        return form

    def on_model_change(self, form: Any, model: PaymentNoticeList, is_created: bool) -> None:
        """Tidy the name, warn about members the channel cannot reach, audit what was set."""
        model.name = model.name.strip()
        model.kinds = sorted(set(model.kinds or []))
        if model.channel == NoticeChannel.SMS:
            no_phone = [u.name for u in model.members if not u.phone]
            if no_phone:
                flash(_("Without a phone number, these members get no SMS: %(names)s.",
                        names=", ".join(no_phone)), "warning")
        db.session.flush()
        audit.record(
            "payment_notices.created" if is_created else "payment_notices.updated",
            actor_type="staff", actor_id=staff_id(), actor_label=staff_label(),
            target=f"payment_notice_list:{model.id}", name=model.name, unit_id=model.unit_id,
            kinds=model.kinds, channel=model.channel, mode=model.mode, digest_hour=model.digest_hour,
            members=sorted(u.id for u in model.members), is_active=model.is_active,
        )

    def on_model_delete(self, model: PaymentNoticeList) -> None:
        """Audit the removal of a list."""
        audit.record("payment_notices.deleted", actor_type="staff", actor_id=staff_id(),
                     actor_label=staff_label(), target=f"payment_notice_list:{model.id}", name=model.name)


def register_admin(admin: Admin) -> None:
    """Add "Payment notices" under "Reminders"."""
    admin.add_view(PaymentNoticeListView(PaymentNoticeList, db, name=_l("Payment notices"),
                                         endpoint="payment_notices", category=_l("Reminders")))
