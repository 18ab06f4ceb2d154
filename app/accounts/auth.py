"""Staff sign-in and sign-out (Flask-Login), rate-limited, CSRF-protected and audited."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from app.accounts.models import PortalUser, StaffUser
from app.accounts.passwords import hash_password, verify_password
from app.core import audit
from app.core.clock import utcnow
from app.core.db import transactional
from app.core.extensions import db, limiter

bp = Blueprint("staff_auth", __name__, url_prefix="/admin")


def load_user(session_id: str) -> StaffUser | PortalUser | None:
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
    """Email and password of an office employee."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=255),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=1024)],
    )


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, otherwise the admin start page."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith(("//", "/\\"))
            and "\\" not in target
        ):
            return target
    return url_for("admin.index")


def find_staff_user(email: str) -> StaffUser | None:
    """The staff account with this email (case-insensitive), if any."""
    return db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))


@transactional
def record_sign_in(user: StaffUser) -> None:
    """Stamp the sign-in time and audit it."""
    user.last_login_at = utcnow()
    audit.record(
        "staff.login", actor_type="staff", actor_id=user.id, actor_label=user.email,
        target=f"staff:{user.id}",
    )


@transactional
def record_failed_sign_in(email: str, reason: str, user: StaffUser | None) -> None:
    """Audit a refused sign-in with the internal reason (never shown to the visitor)."""
    audit.record(
        "staff.login_failed", actor_type="staff", actor_id=user.id if user else None,
        actor_label=email[:255], reason=reason,
    )


@transactional
def record_sign_out(user: StaffUser) -> None:
    """Audit a sign-out."""
    audit.record(
        "staff.logout", actor_type="staff", actor_id=user.id, actor_label=user.email,
        target=f"staff:{user.id}",
    )


def _start_session(user: StaffUser) -> None:
    """A fresh session (against fixation) that keeps the chosen language."""
    lang = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)  # the token of the old session is cached per request
    if lang:
        session["lang"] = lang
    login_user(user)


_DUMMY_HASH: list[str] = []


def _check_credentials(email: str, password: str) -> tuple[StaffUser | None, str | None]:
    user = find_staff_user(email)
    if user is None:
        # Spend the same time as for a real account, so timing does not reveal emails.
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_password("not-a-real-password"))
        verify_password(_DUMMY_HASH[0], password)
        return None, "unknown_email"
    if not user.check_password(password):
        return user, "wrong_password"
    if not user.is_active:
        return user, "inactive"
    return user, None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign a staff member in; failures are audited without saying which part was wrong."""
    next_url = request.args.get("next")
    if current_user.is_authenticated and current_user.get_id().startswith("staff:"):
        return redirect(safe_next(next_url))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user, failure = _check_credentials(email, form.password.data)
        if failure is None:
            _start_session(user)
            record_sign_in(user)
            return redirect(safe_next(next_url))
        record_failed_sign_in(email, failure, user)
        flash(_("Wrong email or password, or the account is disabled."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/staff_login.html", form=form, next_url=next_url), status


@bp.post("/logout")
def logout():
    """Sign out and end the session (a POST form with a CSRF token)."""
    if current_user.is_authenticated and current_user.get_id().startswith("staff:"):
        record_sign_out(current_user._get_current_object())
    lang = session.get("lang")
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("staff_auth.login"))
