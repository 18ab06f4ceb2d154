"""Staff sign-in and sign-out (Flask-Login), rate-limited and audited."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from app.accounts.models import PortalUser, StaffUser
from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db, limiter

bp = Blueprint("staff_auth", __name__, url_prefix="/admin")


def load_user(session_id: str):
    """Flask-Login loader: `staff:ID` or `portal:ID`; disabled accounts are signed out."""
    kind, _sep, raw_id = session_id.partition(":")
    if not raw_id.isdigit():
        return None
    model = {"staff": StaffUser, "portal": PortalUser}.get(kind)
    if model is None:
        return None
    user = db.session.get(model, int(raw_id))
    return user if user is not None and user.is_active else None


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign a staff member in; failures are audited without saying which part was wrong."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
        if user is not None and user.is_active and user.check_password(form.password.data):
            login_user(user)
            user.last_login_at = utcnow()
            audit.record("staff.login", actor_type="staff", actor_id=user.id, actor_label=user.email)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit.record("staff.login_failed", actor_type="staff", actor_label=email)
        db.session.commit()
        flash(_("Wrong email or password."), "error")
    return render_template("auth/staff_login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out and end the session."""
    if current_user.is_authenticated:
        audit.record("staff.logout", actor_type="staff", actor_label=str(current_user))
        db.session.commit()
    logout_user()
    return redirect(url_for("staff_auth.login"))
