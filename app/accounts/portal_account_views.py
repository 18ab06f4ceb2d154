"""Portal pages of the account itself: consent to data processing per office unit, re-authentication.

Routes on the `portal_auth` blueprint (imported at the end of `app.accounts.portal_auth`).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from app.accounts.portal_auth import (
    _login_limit,
    bp,
    portal_login_required,
    portal_signed_in_required,
    safe_portal_next,
)
from app.accounts.portal_consents import (
    ConsentError,
    active_units,
    consent_history,
    consented_unit_ids,
    set_consents,
)
from app.accounts.portal_signin import mark_signed_in, reauth_minutes, session_provider
from app.core import audit
from app.core.db import transactional
from app.core.extensions import limiter

_CONSENT_ERRORS = {
    "none_chosen": _l("Choose at least one office unit: without consent to at least one unit the portal "
                      "cannot show your account. To stop using the portal, contact the office."),
    "last_consent": _l("You cannot withdraw the consent to your last office unit: at least one is required."),
    "unknown_unit": _l("This office unit does not exist or is no longer active."),
}


class ReauthForm(FlaskForm):
    """The signed-in user's password, typed again."""

    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Enter your password.")), Length(max=1024)])


@bp.route("/zgody", methods=["GET", "POST"])
@portal_signed_in_required
def consents():
    """Consent to data processing per office unit: at least one unit, history kept."""
    user = current_user._get_current_object()
    units = active_units()
    error = None
    status = 200
    next_url = request.values.get("next")
    if request.method == "POST":
        chosen = {int(raw) for raw in request.form.getlist("unit_id") if raw.isdigit()}
        try:
            granted, withdrawn = set_consents(user, chosen)
        except ConsentError as refusal:
            error = str(_CONSENT_ERRORS[str(refusal)])
            status = 400
        else:
            if granted or withdrawn:
                flash(_("Your consents were saved."), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(safe_portal_next(next_url) if next_url else url_for("portal_auth.consents"))
    standing = consented_unit_ids(user.id)
    return render_template("portal/consents.html", units=units, standing=standing, error=error,
                           history=consent_history(user.id), next_url=next_url), status


@transactional
def record_reauthentication(user, ok: bool) -> None:
    """Audit a password confirmation, accepted or refused."""
    audit.record("portal.reauthenticated" if ok else "portal.reauthentication_failed", actor_type="portal",
                 actor_id=user.id, actor_label=user.email, target=f"portal_user:{user.id}")


@bp.route("/potwierdz-haslo", methods=["GET", "POST"])
@portal_login_required
@limiter.limit(_login_limit, methods=["POST"])
def reauthenticate():
    """Confirm the password before a sensitive change (phone, email), then go back."""
    user = current_user._get_current_object()
    form = ReauthForm()
    next_url = request.values.get("next")
    status = 200
    if form.validate_on_submit():
        signin = session_provider()
        ok = signin.reauthenticate(user, password=form.password.data)
        record_reauthentication(user, ok)
        if ok:
            mark_signed_in(signin.name)
            return redirect(safe_portal_next(next_url))
        form.password.errors.append(_("This is not your password."))
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("portal/reauthenticate.html", form=form, next_url=next_url,
                           minutes=reauth_minutes()), status
