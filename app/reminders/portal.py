"""The business portal's notification settings: reminders per obligation kind, account-change notices,
office news by category, and phones and email addresses confirmed with a one-time code.

Only a business linked to the signed-in user (confirmed by code or by the office) is shown; any
other id is a 404, so the page never tells whether another business exists.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.accounts.consents import consent_given
from app.accounts.contacts import ContactError, format_phone, normalise_email, normalise_phone
from app.accounts.contractor_admin import CHANNEL_LABELS, OBLIGATION_KIND_LABELS
from app.accounts.models import (
    OPTIONAL_CATEGORIES,
    CampaignCategory,
    ContactPoint,
    Contractor,
    LinkStatus,
)
from app.accounts.portal_auth import (
    current_contractors,
    link_status,
    portal_login_required,
    recent_sign_in_required,
)
from app.accounts.preferences import category_choice, choose_category
from app.channels.models import Purpose
from app.channels.numbers import refusal_reason
from app.channels.outbox import NewMessage, create_messages
from app.channels.registry import number_policy
from app.core import audit
from app.core.audit import AuditEntry
from app.core.clock import today_warsaw, utcnow
from app.core.db import transactional
from app.core.extensions import db, limiter
from app.reminders.admin import TOPIC_LABELS
from app.reminders.models import ACCOUNT_CHANGES
from app.reminders.preferences import (
    CHANNELS,
    REMINDED_KINDS,
    Schedule,
    ScheduleError,
    check,
    has_own,
    plan_for,
    preferences_of,
    reset_preference,
    save_preference,
)
from app.reminders.upcoming import upcoming_of

bp = Blueprint("reminders_portal", __name__, url_prefix="/portal/powiadomienia",
               template_folder=str(Path(__file__).parent / "templates"))

#: Days before a deadline offered as checkboxes; others go in the free field.
COMMON_DAYS = (0, 1, 2, 3, 5, 7, 14, 30)
MODES = ("plan", "own", "off")
CATEGORY_LABELS = {
    CampaignCategory.REGIONAL_EVENT: _l("Events in the region"),
    CampaignCategory.CULTURAL_EVENT: _l("Cultural events"),
    CampaignCategory.ECONOMIC: _l("Economic news and tenders"),
    CampaignCategory.OBLIGATIONS: _l("Newly assessed obligations"),
    CampaignCategory.DISASTER: _l("Natural disaster alerts"),
    CampaignCategory.OTHER: _l("Other messages from the office"),
}
#: A one-time code: how long it is valid, how many tries it allows, where it waits.
CODE_SECONDS, CODE_ATTEMPTS, CODE_KEY = 600, 5, "portal_contact_code"

T = TypeVar("T")


@transactional
def as_portal_user(run: Callable[[], T]) -> T:
    """Run services in one transaction; the audit entries they write name the portal user."""
    before = set(db.session.new)
    result = run()
    for entry in set(db.session.new) - before:
        if isinstance(entry, AuditEntry) and entry.actor_type in ("system", "recipient"):
            entry.actor_type, entry.actor_id, entry.actor_label = "portal", current_user.id, current_user.email
    return result


def _business_or_404(contractor_id: int) -> Contractor:
    """The business if the user's link to it is confirmed; a page saying it waits, or a 404."""
    if link_status(contractor_id) == LinkStatus.REQUESTED:
        abort(make_response(render_template("reminders/portal/awaiting.html"), 403))
    business = next((c for c in current_contractors() if c.id == contractor_id), None)
    if business is None:
        abort(404)
    return business


# -- reminder schedules ---------------------------------------------------------------------------

def form_state(topic: str, schedule: Schedule, own: bool) -> dict[str, Any]:
    """The values a topic's form shows for a schedule."""
    return {"mode": ("own" if schedule.enabled else "off") if own else "plan",
            "days": {str(d) for d in schedule.days_before if d in COMMON_DAYS},
            "days_other": ", ".join(str(d) for d in schedule.days_before if d not in COMMON_DAYS),
            "days_after": ", ".join(map(str, schedule.days_after)), "channels": set(schedule.channels),
            "hour": str(schedule.hour), "errors": {}}


def _tokens(raw: str | None) -> list[str]:
    return [t for t in re.split(r"[,;\s]+", raw or "") if t]


def posted_state() -> dict[str, Any]:
    """The values of a posted topic form, as typed."""
    form = request.form
    return {"mode": form.get("mode", ""), "days": set(form.getlist("days_before")),
            "days_other": form.get("days_other", ""), "days_after": form.get("days_after", ""),
            "channels": set(form.getlist("channels")), "hour": form.get("hour", ""), "errors": {}}


def schedule_from(topic: str, state: dict[str, Any], enabled: bool) -> Schedule:
    """The schedule a form's values ask for (account changes have channels only)."""
    if topic == ACCOUNT_CHANGES:
        return Schedule([], [], sorted(state["channels"]), plan_for(topic).hour, enabled)
    raw = state["hour"].strip()
    hour: Any = int(raw) if raw.isdigit() else raw
    return Schedule([*sorted(state["days"]), *_tokens(state["days_other"])], _tokens(state["days_after"]),
                    sorted(state["channels"]), hour, enabled)


def save_topic(contractor_id: int, topic: str, state: dict[str, Any]) -> None:
    """Apply a topic form: back to the office's plan, own reminders, or off; ScheduleError if wrong."""
    if state["mode"] == "plan":
        if has_own(contractor_id, topic):
            as_portal_user(lambda: reset_preference(contractor_id, topic, source="portal"))
        return
    if state["mode"] == "own":
        schedule = schedule_from(topic, state, True)
    else:  # off: keep the typed values for later if they are sound
        schedule = schedule_from(topic, state, False)
        try:
            check(topic, schedule)
        except ScheduleError:
            schedule = Schedule([], [], [], plan_for(topic).hour, False)
    as_portal_user(lambda: save_preference(contractor_id, topic, schedule, source="portal"))


# -- contact points and one-time codes ------------------------------------------------------------

def _code_hash(contractor_id: int, channel: str, value: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{contractor_id}:{channel}:{value}:{code}".encode(), hashlib.sha256).hexdigest()


def normalised_contact(channel: str, raw: str) -> str:
    """The address in its stored form; ContactError with a message for the person if unusable."""
    if channel == "sms":
        try:
            value = normalise_phone(raw, region=current_app.config["DEFAULT_PHONE_REGION"])
        except ContactError:
            raise ContactError(_("Enter a valid phone number, like 600 100 200.")) from None
        if refusal_reason(value, number_policy()):
            raise ContactError(_("Text messages can go only to a Polish mobile number."))
        return value
    if channel == "email":
        try:
            return normalise_email(raw)
        except ContactError:
            raise ContactError(_("Enter a valid email address, like name@firma.pl.")) from None
    raise ContactError(_("Choose a phone number or an email address."))


@transactional
def send_code(business: Contractor, channel: str, value: str) -> None:
    """Write a 6-digit code to the address (now, even in quiet hours) and keep its hash in the session."""
    code = f"{secrets.randbelow(10**6):06d}"
    body = _("Your code to confirm this address for messages from the city office: %(code)s. "
             "It is valid for 10 minutes.", code=code)
    create_messages([NewMessage(
        channel=channel, recipient=value, body=body, purpose=Purpose.VERIFICATION,
        subject=_("Your confirmation code") if channel == "email" else None,
        idempotency_key=f"portal-code:{current_user.id}:{secrets.token_hex(8)}", origin="portal",
        contractor_id=business.id, urgent=True)])
    audit.record("portal.contact_code_sent", actor_type="portal", actor_id=current_user.id,
                 actor_label=current_user.email, target=f"contractor:{business.id}", channel=channel)
    session[CODE_KEY] = {"contractor_id": business.id, "channel": channel, "value": value,
                         "hash": _code_hash(business.id, channel, value, code),
                         "expires": time.time() + CODE_SECONDS, "attempts": 0}


@transactional
def confirm_contact(business: Contractor, channel: str, value: str) -> ContactPoint:
    """Add the confirmed address (or mark an existing one confirmed): it received our code."""
    point = db.session.scalar(select(ContactPoint).where(
        ContactPoint.contractor_id == business.id, ContactPoint.channel == channel, ContactPoint.value == value))
    if point is None:
        point = ContactPoint(contractor_id=business.id, channel=channel, value=value, source="portal")
        db.session.add(point)
    point.verified_at = point.updated_at = utcnow()
    point.is_active, point.unusable_reason, point.failure_count = True, None, 0
    db.session.flush()
    audit.record("portal.contact_verified", actor_type="portal", actor_id=current_user.id,
                 actor_label=current_user.email, target=f"contractor:{business.id}", channel=channel,
                 contact_point_id=point.id)
    return point


def pending_code(contractor_id: int) -> dict | None:
    """The code waiting to be entered for this business, if any and still valid."""
    pending = session.get(CODE_KEY)
    if not pending or pending.get("contractor_id") != contractor_id:
        return None
    return pending


def check_code(contractor_id: int, typed: str) -> tuple[dict | None, str | None]:
    """(the confirmed address, None) for the right code, else (None, what is wrong)."""
    pending = pending_code(contractor_id)
    if pending is None:
        return None, _("There is no code waiting. Ask for a new code.")
    if time.time() > pending["expires"] or pending["attempts"] >= CODE_ATTEMPTS:
        session.pop(CODE_KEY, None)
        return None, _("The code has expired or was entered wrongly too many times. Ask for a new code.")
    typed = "".join(ch for ch in typed if ch.isdigit())
    if len(typed) == 6 and hmac.compare_digest(
            _code_hash(contractor_id, pending["channel"], pending["value"], typed), pending["hash"]):
        session.pop(CODE_KEY, None)
        return pending, None
    pending["attempts"] += 1
    session[CODE_KEY] = pending
    left = CODE_ATTEMPTS - pending["attempts"]
    if left <= 0:
        session.pop(CODE_KEY, None)
        return None, _("The code is wrong and no attempts are left. Ask for a new code.")
    return None, _("The code is wrong. Attempts left: %(left)d.", left=left)


# -- views ----------------------------------------------------------------------------------------

def _page(business: Contractor, *, posted: tuple[str, dict] | None = None, contact: dict | None = None,
          status: int = 200):
    schedules = preferences_of(business.id)
    topics = []
    for topic in (*map(str, REMINDED_KINDS), ACCOUNT_CHANGES):
        own = has_own(business.id, topic)
        state = posted[1] if posted and posted[0] == topic else form_state(topic, schedules[topic], own)
        topics.append({"topic": topic, "label": TOPIC_LABELS[topic], "schedule": schedules[topic],
                       "plan": plan_for(topic), "own": own, "state": state})
    categories = []
    for category in CampaignCategory:
        choice = category_choice(business.id, category) if category in OPTIONAL_CATEGORIES else None
        categories.append({"category": str(category), "label": CATEGORY_LABELS[category],
                           "optional": category in OPTIONAL_CATEGORIES,
                           "wants": {c: choice.wants(c) if choice else True for c in CHANNELS}})
    points = db.session.scalars(select(ContactPoint).where(ContactPoint.contractor_id == business.id)
                                .order_by(ContactPoint.channel, ContactPoint.id)).all()
    consents = {c: bool(db.session.scalar(select(consent_given(c, business.id)))) for c in CHANNELS}
    return render_template(
        "reminders/portal/preferences.html", business=business, topics=topics, changes=ACCOUNT_CHANGES,
        upcoming=upcoming_of(business.id, today_warsaw()), kind_labels=OBLIGATION_KIND_LABELS,
        common_days=COMMON_DAYS, categories=categories, points=points, consents=consents,
        channel_labels=CHANNEL_LABELS, format_phone=format_phone, pending=pending_code(business.id),
        contact=contact or {"channel": "sms", "value": "", "errors": {}}, errors=_all_errors(posted, contact),
    ), status


def _all_errors(posted: tuple[str, dict] | None, contact: dict | None) -> list[tuple[str, str]]:
    """(field id, message) of every error on the page, for the summary at its top."""
    found = []
    if posted:
        topic, state = posted
        found += [(f"{topic}-{name}", message) for name, message in state["errors"].items()]
    if contact:
        found += [(f"contact-{name}", message) for name, message in contact["errors"].items()]
    return found


@bp.get("/<int:contractor_id>")
@portal_login_required
def preferences(contractor_id: int):
    """What reaches the business and how it changes it."""
    return _page(_business_or_404(contractor_id))


@bp.post("/<int:contractor_id>/przypomnienia/<topic>")
@portal_login_required
def save(contractor_id: int, topic: str):
    """Save one topic's choice; a wrong value comes back marked next to its field, and nothing is saved."""
    business = _business_or_404(contractor_id)
    if topic not in TOPIC_LABELS:
        abort(404)
    state = posted_state()
    if state["mode"] not in MODES:
        state["errors"]["mode"] = _("Choose what you want to receive.")
        return _page(business, posted=(topic, state), status=400)
    try:
        save_topic(business.id, topic, state)
    except ScheduleError as error:
        state["errors"] = {name if name != "topic" else "mode": message for name, message in error.errors.items()}
        return _page(business, posted=(topic, state), status=400)
    flash(_("Your choice for %(topic)s was saved.", topic=TOPIC_LABELS[topic]), f"success@topic-{topic}")
    return redirect(url_for(".preferences", contractor_id=business.id) + f"#topic-{topic}")


@bp.post("/<int:contractor_id>/kategorie")
@portal_login_required
def save_categories(contractor_id: int):
    """Save which office news the business wants by which channel (disaster alerts always reach it)."""
    business = _business_or_404(contractor_id)
    wanted = set(request.form.getlist("wanted"))
    as_portal_user(lambda: [choose_category(business.id, category, channel, f"{category}:{channel}" in wanted,
                                            source="portal", actor_label=current_user.email)
                            for category in OPTIONAL_CATEGORIES for channel in CHANNELS])
    flash(_("Your choice of office news was saved."), "success@news")
    return redirect(url_for(".preferences", contractor_id=business.id) + "#news")


def _user_key() -> str:
    return f"portal-code:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


def _code_limit() -> str:
    return current_app.config.get("PORTAL_CODE_RATE_LIMIT", "5 per hour")


@bp.post("/<int:contractor_id>/kontakt")
@portal_login_required
@recent_sign_in_required
@limiter.limit(_code_limit, key_func=_user_key)
def request_code(contractor_id: int):
    """Send a one-time code to a phone or email address the business wants to add or confirm."""
    business = _business_or_404(contractor_id)
    channel, raw = request.form.get("channel", ""), request.form.get("value", "")
    contact = {"channel": channel, "value": raw, "errors": {}}
    try:
        value = normalised_contact(channel, raw)
    except ContactError as error:
        contact["errors"]["channel" if channel not in CHANNELS else "value"] = str(error)
        return _page(business, contact=contact, status=400)
    send_code(business, channel, value)
    shown = format_phone(value) if channel == "sms" else value
    flash(_("We have sent a 6-digit code to %(address)s. Enter it below within 10 minutes.", address=shown),
          "info@contacts")
    return redirect(url_for(".preferences", contractor_id=business.id) + "#contacts")


def _entry_limit() -> str:
    return current_app.config.get("PORTAL_CODE_ENTRY_RATE_LIMIT", "20 per hour")


def _refused(response) -> bool:
    return response.status_code >= 400


@bp.post("/<int:contractor_id>/kontakt/kod")
@portal_login_required
@recent_sign_in_required
# The attempt count lives in the (signed, client-side) session, which an old cookie could reset:
# this server-side limit bounds wrong codes whatever the cookie says.
@limiter.limit(_entry_limit, key_func=_user_key, deduct_when=_refused)
def enter_code(contractor_id: int):
    """Check the code: only the right one adds (or confirms) the address; `cancel` drops the code."""
    business = _business_or_404(contractor_id)
    if request.form.get("cancel"):
        session.pop(CODE_KEY, None)
        return redirect(url_for(".preferences", contractor_id=business.id) + "#contacts")
    confirmed, problem = check_code(business.id, request.form.get("code", ""))
    if confirmed is None:
        return _page(business, contact={"channel": "sms", "value": "", "errors": {"code": problem}}, status=400)
    confirm_contact(business, confirmed["channel"], confirmed["value"])
    shown = format_phone(confirmed["value"]) if confirmed["channel"] == "sms" else confirmed["value"]
    flash(_("%(address)s is confirmed and added to your contacts.", address=shown), "success@contacts")
    return redirect(url_for(".preferences", contractor_id=business.id) + "#contacts")
