"""Business portal accounts: register, verify the email, sign in and out, link businesses, the home page.

Other portal pages use `portal_login_required` (signed in, and consent to at least one office unit
given) and `current_contractors()`; pages that change a phone or an email add
`recent_sign_in_required` (the password typed within the last N minutes). Sign-in goes through the
pluggable providers of `app.accounts.portal_signin` (only the password provider exists; a
login.gov.pl provider could be added there). A disabled account's session ends on its next request
(`load_user` and `is_portal_user` refuse inactive users). The consent and re-authentication pages
live in `app.accounts.portal_account_views` (routes on this blueprint).
"""

from __future__ import annotations

import functools
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
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.accounts.models import Contractor, LinkStatus, PortalLink, PortalUser, Unit
from app.accounts.portal_consents import active_units, consented_units
from app.accounts.portal_links import LinkResult, clean_nip, link_business
from app.accounts.portal_signin import (
    find_portal_user,
    mark_signed_in,
    provider,
    signed_in_recently,
)
from app.core import audit
from app.core.clock import utcnow
from app.core.db import reads_outside_a_transaction, transactional
from app.core.extensions import db, limiter
from app.core.signals import portal_email_verification

bp = Blueprint("portal_auth", __name__, url_prefix="/portal")

MIN_PASSWORD_LENGTH = 12
VERIFY_MAX_AGE = 48 * 3600  # seconds a verification link stays valid
_SALT = "portal-email-verification"


# --- who is signed in --------------------------------------------------------------------------

def is_portal_user() -> bool:
    """True when the signed-in user is an active, verified business user (not staff)."""
    user = current_user._get_current_object()  # the proxy resolved once, not per attribute
    return bool(user.is_authenticated and user.get_id().startswith("portal:")
                and user.is_active and user.email_verified_at is not None)


def _here() -> str:
    return request.full_path.rstrip("?")


def portal_signed_in_required(view):
    """Let only a signed-in business user through (consent not needed: the consent page itself)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not is_portal_user():
            return redirect(url_for("portal_auth.login", next=_here()))
        return view(*args, **kwargs)

    return wrapper


def current_units() -> list[Unit]:
    """The active units the signed-in user consented to, by name; one query per request."""
    if not is_portal_user():
        return []
    if "portal_units" not in g:
        g.portal_units = consented_units(current_user.id)
    return g.portal_units


def current_unit_ids() -> set[int]:
    """Ids of the active units the signed-in user consented to."""
    return {unit.id for unit in current_units()}


def needs_unit_consent() -> bool:
    """True when the user has consented to no unit while the office has units to consent to."""
    return not current_unit_ids() and bool(active_units())


def portal_login_required(view):
    """Let through a signed-in business user who consented to at least one office unit.

    Others go to the sign-in page; a user without consent goes to the consent page first.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not is_portal_user():
            return redirect(url_for("portal_auth.login", next=_here()))
        if needs_unit_consent():
            flash(_("Before we show your account, choose the office units that may process your data."),
                  "info")
            return redirect(url_for("portal_auth.consents", next=_here()))
        return view(*args, **kwargs)

    return wrapper


def recent_sign_in_required(view):
    """Before changing contacts: the password must have been entered within the last N minutes.

    Otherwise the user confirms it on the re-authentication page and comes back (for a POST,
    to the page the form was on).
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if is_portal_user() and not signed_in_recently():
            back = _here() if request.method == "GET" else _referrer_path()
            flash(_("For your security, enter your password again before changing a phone or an email."),
                  "info")
            return redirect(url_for("portal_auth.reauthenticate", next=safe_portal_next(back)))
        return view(*args, **kwargs)

    return wrapper


def _referrer_path() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def current_links() -> list[PortalLink]:
    """Every link of the signed-in portal user with its business, oldest request first; one query
    per request."""
    if not is_portal_user():
        return []
    if "portal_links" not in g:
        g.portal_links = list(db.session.scalars(_links_statement(), {"portal_user_id": current_user.id}))
    return g.portal_links


@functools.cache
def _links_statement() -> Select:
    """Built once (every portal page asks): :portal_user_id's links with their businesses."""
    return (select(PortalLink).options(joinedload(PortalLink.contractor))
            .where(PortalLink.portal_user_id == bindparam("portal_user_id"))
            .order_by(PortalLink.requested_at, PortalLink.id))


def current_contractors() -> list[Contractor]:
    """The businesses the signed-in portal user may see (confirmed links), by name."""
    confirmed = [link.contractor for link in current_links() if link.status == LinkStatus.CONFIRMED]
    return sorted(confirmed, key=lambda c: (c.name, c.id))


def link_status(contractor_id: int) -> str | None:
    """The status of the signed-in user's link to a business (None: no link)."""
    if not is_portal_user():
        return None
    return db.session.scalar(select(PortalLink.status).where(
        PortalLink.portal_user_id == current_user.id, PortalLink.contractor_id == contractor_id))


# --- forms -------------------------------------------------------------------------------------

class RegisterForm(FlaskForm):
    """A new business user's email and password."""

    email = EmailField(_l("Email"), validators=[
        DataRequired(message=_l("Enter your email address.")),
        Email(message=_l("Enter a valid email address, like name@firma.pl.")), Length(max=255)])
    password = PasswordField(_l("Password"), description=_l("At least 12 characters."), validators=[
        DataRequired(message=_l("Enter a password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=1024,
               message=_l("The password must have at least 12 characters."))])
    password_again = PasswordField(_l("Password again"), validators=[
        DataRequired(message=_l("Enter the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same."))])


class SignInForm(FlaskForm):
    """Email and password of a business user."""

    email = EmailField(_l("Email"), validators=[
        DataRequired(message=_l("Enter your email address.")),
        Email(message=_l("Enter a valid email address, like name@firma.pl.")), Length(max=255)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Enter your password.")), Length(max=1024)])


class LinkForm(FlaskForm):
    """NIP of a business and, if the user has it, the code from the office's letter."""

    nip = StringField(_l("NIP"), description=_l("10 digits, for example 790-071-28-40."),
                      validators=[DataRequired(message=_l("Enter the NIP of the business."))])
    code = StringField(_l("Code from the office (optional)"), validators=[Optional(), Length(max=20)],
                       description=_l("8 characters from the office's letter. Without it, "
                                      "the office checks your request first."))


# --- services ----------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _send_verification(user: PortalUser) -> None:
    token = _serializer().dumps({"user": user.id, "email": user.email})
    # The configured public address, never the request's Host header (which a visitor controls).
    link = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("portal_auth.verify", token=token)
    portal_email_verification.send(None, email=user.email, link=link, user_id=user.id)


@transactional
def register_user(email: str, password: str) -> PortalUser | None:
    """Create an unverified account and send the verification link; None when the email is taken.

    An unverified account that registers again gets a new link (the password is not changed).
    """
    user = find_portal_user(email)
    if user is not None:
        if user.email_verified_at is None and user.is_active:
            _send_verification(user)
        audit.record("portal.register_repeated", actor_type="portal", actor_id=user.id, actor_label=email)
        return None
    user = PortalUser(email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    _send_verification(user)
    audit.record("portal.registered", actor_type="portal", actor_id=user.id, actor_label=email,
                 target=f"portal_user:{user.id}")
    return user


@transactional
def verify_email(token: str) -> PortalUser | None:
    """Mark the address of the token verified; None when the token is bad, expired or stale."""
    try:
        data = _serializer().loads(token, max_age=VERIFY_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(PortalUser, data.get("user")) if isinstance(data, dict) else None
    if user is None or user.email.lower() != str(data.get("email", "")).lower():
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record("portal.email_verified", actor_type="portal", actor_id=user.id, actor_label=user.email,
                     target=f"portal_user:{user.id}")
    return user


@transactional
def record_portal_sign_in(user: PortalUser | None, email: str, failure: str | None) -> None:
    """Stamp and audit a sign-in, or audit a refused one with its reason (never shown)."""
    if failure is None:
        user.last_login_at = utcnow()
        audit.record("portal.login", actor_type="portal", actor_id=user.id, actor_label=user.email,
                     target=f"portal_user:{user.id}")
        return
    if failure == "unverified":
        _send_verification(user)
    audit.record("portal.login_failed", actor_type="portal", actor_id=user.id if user else None,
                 actor_label=email[:255], reason=failure)


@transactional
def record_portal_sign_out(user: PortalUser) -> None:
    """Audit a sign-out."""
    audit.record("portal.logout", actor_type="portal", actor_id=user.id, actor_label=user.email,
                 target=f"portal_user:{user.id}")


def _fresh_session(user: PortalUser | None = None) -> None:
    """A new session (against fixation) keeping the chosen language; signs `user` in."""
    lang = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)
    if lang:
        session["lang"] = lang
    if user is not None:
        login_user(user)


def safe_portal_next(target: str | None) -> str:
    """`target` when it is a portal path on this site, otherwise the portal home."""
    if target and target.startswith("/portal") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("portal_auth.home")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _link_limit() -> str:
    return current_app.config.get("PORTAL_LINK_RATE_LIMIT", "10 per hour")


def _user_key() -> str:
    return f"portal-user:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


# --- views -------------------------------------------------------------------------------------

@bp.route("/rejestracja", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    """Create a business account; the sign-in works once the emailed link is opened."""
    form = RegisterForm()
    if form.validate_on_submit():
        register_user(form.email.data.strip().lower(), form.password.data)
        # The same answer whether the email was new or not: the page does not reveal accounts.
        return render_template("portal/check_email.html", email=form.email.data.strip())
    status = 400 if request.method == "POST" else 200
    return render_template("portal/register.html", form=form), status


@bp.get("/potwierdz-email/<token>")
def verify(token: str):
    """The landing page of the emailed link: confirms the address or says the link is bad."""
    user = verify_email(token)
    return render_template("portal/verified.html", ok=user is not None), (200 if user else 400)


@bp.route("/logowanie", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign a business user in; failures are audited without saying which part was wrong."""
    next_url = request.args.get("next")
    if is_portal_user():
        return redirect(safe_portal_next(next_url))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        password_provider = provider()
        user, failure = password_provider.authenticate(email=email, password=form.password.data)
        record_portal_sign_in(user, email, failure)
        if failure is None:
            _fresh_session(user)
            mark_signed_in(password_provider.name)
            return redirect(safe_portal_next(next_url))
        if failure == "unverified":  # only someone who knows the password learns this
            flash(_("Your email address is not confirmed yet. We have sent you a new link: open it "
                    "and sign in again."), "error")
        else:
            flash(_("Wrong email or password, or the account is disabled."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("portal/login.html", form=form, next_url=next_url), status


@bp.post("/wyloguj")
def logout():
    """Sign out and end the session (a POST form with a CSRF token)."""
    if is_portal_user():
        record_portal_sign_out(current_user._get_current_object())
    logout_user()
    _fresh_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("portal_auth.login"))


@bp.get("/")
@reads_outside_a_transaction
@portal_login_required
def home():
    """The portal's home: the billing feature's dashboard (looked up by name: accounts imports no feature)."""
    return current_app.view_functions["billing.dashboard"]()


def _counts_against_limit(response) -> bool:
    return response.status_code >= 400


@bp.route("/dodaj-firme", methods=["GET", "POST"])
@portal_signed_in_required  # linking shows no unit's data: it may come before the consent
@limiter.limit(_link_limit, methods=["POST"], key_func=_user_key, deduct_when=_counts_against_limit)
def link():
    """Link a business by NIP, at once with the office's code or by a request the office confirms."""
    form = LinkForm()
    status = 200
    if form.validate_on_submit():
        nip = clean_nip(form.nip.data)
        if nip is None:
            form.nip.errors.append(_("This is not a valid NIP: check the 10 digits."))
        else:
            outcome = link_business(current_user._get_current_object(), nip, form.code.data)
            message = _LINK_MESSAGES[outcome.result]
            if outcome.result == LinkResult.NOT_FOUND:
                form.nip.errors.append(str(message))
            elif outcome.result == LinkResult.WRONG_CODE:
                form.code.errors.append(str(message))
            else:
                flash(str(message), "success" if outcome.result == LinkResult.CONFIRMED else "info")
                return redirect(url_for("portal_auth.home"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("portal/link.html", form=form), status


_LINK_MESSAGES = {
    LinkResult.CONFIRMED: _l("The business is linked to your account."),
    LinkResult.REQUESTED: _l("Your request was sent to the office. You will see the business's "
                             "data once the office confirms it."),
    LinkResult.ALREADY_LINKED: _l("This business is already linked to your account."),
    LinkResult.ALREADY_REQUESTED: _l("Your request for this business already waits for the office."),
    LinkResult.REFUSED_BEFORE: _l("The office did not confirm your earlier request for this business. "
                                  "Enter the code from the office's letter, or contact the office."),
    LinkResult.NOT_FOUND: _l("No business with this NIP is registered with the office. Check the number."),
    LinkResult.WRONG_CODE: _l("This code does not match this NIP. Check the code in the office's "
                              "letter; nothing was linked."),
}


from app.accounts import portal_account_views  # noqa: E402,F401  (the consent and re-auth routes on bp)
