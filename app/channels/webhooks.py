"""Provider webhooks: SMSAPI delivery reports and inbound SMS, SendGrid's signed email events.

They answer fast: check the caller and the input, store the raw events (a repeat is dropped by
its key), commit, and leave the work to the worker (`channels.process_events`). Input is
hostile until checked: a malformed request gets a 400 naming the field and stores nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, request
from sendgrid.helpers.eventwebhook import EventWebhook

from app.channels.events import store_events
from app.channels.registry import webhook_secret
from app.core.extensions import csrf

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)

MAX_BODY = 5 * 1024 * 1024  # bytes
MAX_REPORTS = 1000  # SMSAPI reports in one callback
MAX_EVENTS = 10_000  # SendGrid events in one post
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

_LINE = r"[^\x00-\x1f\x7f]"
_MSG_ID = r"[A-Za-z0-9._-]{1,100}"
#: SMSAPI report parameters: (pattern of one value, required).
REPORT_FIELDS = {
    "MsgId": (_MSG_ID, True),
    "status": (r"\d{3}", True),
    "idx": (rf"{_LINE}{{0,100}}", False),
    "donedate": (r"\d{0,12}", False),
    "to": (r"\+?\d{0,20}", False),
    "username": (rf"{_LINE}{{0,100}}", False),
}
#: SMSAPI inbound SMS form fields: (pattern, required).
INBOUND_FIELDS = {
    "sms_from": (rf"{_LINE}{{1,20}}", True),
    "sms_to": (rf"{_LINE}{{0,20}}", False),
    "sms_text": (r"[^\x00]{0,5000}", False),
    "sms_date": (r"\d{0,12}", False),
    "MsgId": (_MSG_ID, True),
    "username": (rf"{_LINE}{{0,100}}", False),
}
_SG_EVENT_ID = re.compile(rf"{_LINE}{{1,150}}")


class Refused(Exception):
    """A webhook request we do not take, with the status and the reason given to the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY


@bp.errorhandler(Refused)
def _refused(error: Refused) -> Response:
    return _text(error.reason, error.status)


@bp.errorhandler(413)
def _too_large(_error) -> Response:
    return _text(f"request body larger than {MAX_BODY} bytes", 413)


@bp.get("/smsapi/<secret>/reports")
def smsapi_reports(secret: str) -> Response:
    """SMSAPI delivery reports, several comma-separated in each parameter; answers `OK`."""
    _check_secret(secret)
    reports = _split_reports(request.args)
    items = [(f"smsapi-report:{r['MsgId']}:{r['status']}", r) for r in reports]
    store_events("smsapi", "report", items)
    return _text("OK")


@bp.post("/smsapi/<secret>/inbound")
def smsapi_inbound(secret: str) -> Response:
    """An SMS sent to the office number, as SMSAPI forwards it; answers `OK`."""
    _check_secret(secret)
    form = request.form
    payload = {name: _checked(name, form.get(name, ""), *rule) for name, rule in INBOUND_FIELDS.items()}
    store_events("smsapi", "inbound", [(f"smsapi-inbound:{payload['MsgId']}", payload)])
    return _text("OK")


@bp.post("/sendgrid/events")
def sendgrid_events() -> Response:
    """SendGrid's signed Event Webhook: a JSON array of events, each stored once by sg_event_id."""
    raw = request.get_data(cache=False)
    problem = _signature_problem(raw)
    if problem:
        log.warning("SendGrid event webhook refused from %s: %s", request.remote_addr, problem)
        raise Refused(403, "signature not accepted")
    events = _json_events(raw)
    items, rejected = {}, 0
    for event in events:
        if not isinstance(event, dict):
            rejected += 1
            continue
        event_id, kind = event.get("sg_event_id"), event.get("event")
        if not isinstance(event_id, str) or not _SG_EVENT_ID.fullmatch(event_id):
            rejected += 1
            continue
        if not isinstance(kind, str) or not 0 < len(kind) <= 40:
            rejected += 1
            continue
        items[f"sendgrid:{event_id}"] = event
    if rejected:
        log.warning("SendGrid event webhook: %s of %s events without a valid sg_event_id or event",
                    rejected, len(events))
    store_events("sendgrid", "email-event", list(items.items()))
    return jsonify(accepted=len(items), rejected=rejected)


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _check_secret(secret: str) -> None:
    """A wrong secret looks like a page that does not exist."""
    if not hmac.compare_digest(secret.encode(), webhook_secret().encode()):
        raise Refused(404, "Not Found")


def _checked(name: str, value: str, pattern: str, required: bool) -> str:
    if required and not value:
        raise Refused(400, f"{name}: missing")
    if not re.fullmatch(pattern, value):
        raise Refused(400, f"{name}: invalid value {value[:40]!r}")
    return value


def _split_reports(args) -> list[dict[str, str]]:
    """One dict per report; every parameter has one value per report (username may be shared)."""
    ids = args.get("MsgId", "")
    if not ids:
        raise Refused(400, "MsgId: missing")
    count = len(ids.split(","))
    if count > MAX_REPORTS:
        raise Refused(400, f"MsgId: more than {MAX_REPORTS} reports in one request")
    columns = {}
    for name, (pattern, required) in REPORT_FIELDS.items():
        raw = args.get(name, "")
        values = raw.split(",") if raw else [""] * count
        if name == "username" and len(values) == 1:
            values = values * count
        if len(values) != count:
            raise Refused(400, f"{name}: {len(values)} values for {count} reports")
        columns[name] = [_checked(name, value, pattern, required) for value in values]
    return [{name: columns[name][i] for name in REPORT_FIELDS} for i in range(count)]


def _signature_problem(raw: bytes) -> str | None:
    """Why the body is not an authentic, fresh SendGrid post; None when it is."""
    config = current_app.config
    key = config["SENDGRID_WEBHOOK_PUBLIC_KEY"]
    if not key:
        return "SENDGRID_WEBHOOK_PUBLIC_KEY is not configured"
    signature = request.headers.get(SIGNATURE_HEADER, "")
    stamp = request.headers.get(TIMESTAMP_HEADER, "")
    if not signature or not stamp:
        return "signature or timestamp header missing"
    if not stamp.isdigit() or len(stamp) > 12:
        return f"malformed timestamp {stamp[:20]!r}"
    age = time.time() - int(stamp)
    if abs(age) > config["SENDGRID_EVENT_MAX_AGE"]:
        return f"timestamp {stamp} is {age:.0f} s away from now"
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    verifier = _verifier(key)
    if verifier is None:
        return "SENDGRID_WEBHOOK_PUBLIC_KEY is not a valid public key"
    try:
        valid = verifier.verify_signature(body, signature, stamp)
    except (ValueError, TypeError):
        valid = False
    return None if valid else "bad signature"


@lru_cache(maxsize=4)
def _verifier(key: str) -> EventWebhook | None:
    try:
        return EventWebhook(key)
    except (ValueError, TypeError):
        log.error("SENDGRID_WEBHOOK_PUBLIC_KEY cannot be read as a base64 DER public key")
        return None


def _json_events(raw: bytes) -> list:
    try:
        events = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Refused(400, "body: not valid JSON") from None
    if not isinstance(events, list):
        raise Refused(400, "body: not a JSON array of events")
    if len(events) > MAX_EVENTS:
        raise Refused(400, f"body: more than {MAX_EVENTS} events")
    return events


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed")
