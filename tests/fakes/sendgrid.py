"""A fake SendGrid v3 server: `POST /v3/mail/send` with SendGrid's validation, and signed events.

Rate-limit headers are informative only (never enforced): use `fail_next("http429")` to make
the client meet a 429. For the `duplicates`/`distinct` counters a personalization is identified
by its recipients plus its `custom_args` (one without custom_args always counts as distinct).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import time
import urllib.request
from dataclasses import dataclass, field
from itertools import count

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.http import (
    Failure,
    FakeRequest,
    FakeResponse,
    FakeServer,
    callback,
    seconds_header,
)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
MAX_CUSTOM_ARGS_BYTES = 10_000
HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
UNAUTHORIZED = "The provided authorization grant is invalid, expired, or revoked"
EVENT_EXTRAS = {
    "bounce": {"reason": "550 5.1.1 The email account that you tried to reach does not exist.",
               "type": "bounce", "status": "5.1.1"},
    "dropped": {"reason": "Bounced Address", "type": "blocked", "status": "5.0.0"},
    "deferred": {"response": "400 try again later", "attempt": "1"},
    "open": {"useragent": "Mozilla/5.0", "ip": "192.0.2.1"},
    "click": {"useragent": "Mozilla/5.0", "ip": "192.0.2.1", "url": "https://example.org/"},
    "group_unsubscribe": {"asm_group_id": 1},
}


@dataclass
class SentEmail:
    """One personalization the fake accepted."""

    message_id: str
    to: list[str]
    subject: str | None
    custom_args: dict[str, str]
    headers: dict[str, str]
    # The request's content blocks and this personalization's substitutions: what the recipient
    # got (`content`) is worked out when asked, not for each of a campaign's emails.
    shared_content: list[dict]
    substitutions: dict[str, str]
    from_email: str
    received_at: float
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    template_id: str | None = None
    dynamic_template_data: dict | None = None

    @property
    def content(self) -> list[dict]:
        """The content blocks as the recipient got them, substitutions made."""
        return [{**item, "value": _substituted(item.get("value"), self.substitutions)} for item in self.shared_content]

    @property
    def recipients(self) -> list[str]:
        """Every address of the personalization: to, cc and bcc."""
        return self.to + self.cc + self.bcc


class FakeSendgrid(FakeServer):
    """A fake SendGrid: Bearer auth, validation, 202 with X-Message-Id, signed event posts."""

    def __init__(self, api_key: str = "SG.test", latency: float = 0.0, *, port: int = 0,
                 timeout_seconds: float = 5.0, rate_limit: int = 600):
        super().__init__(latency=latency, port=port, timeout_seconds=timeout_seconds)
        self.api_key = api_key
        self.rate_limit = rate_limit
        self.bounce_addresses: set[str] = set()
        self.sent: list[SentEmail] = []
        self.duplicates = 0
        self._identities: set[tuple] = set()
        self._window = (0, 0)
        self._event_ids = count(1)
        self._private_key = ec.generate_private_key(ec.SECP256R1())
        der = self._private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.public_key = base64.b64encode(der).decode("ascii")

    def reset(self) -> None:
        """Forget every email and counter (key pair, latency and bounce addresses stay)."""
        with self.lock:
            super().reset()
            self.sent.clear()
            self._identities.clear()
            self.duplicates = 0

    def stats(self) -> dict:
        """Counters: requests, accepted personalizations, duplicates, distinct."""
        with self.lock:
            anonymous = sum(1 for email in self.sent if not email.custom_args)
            return {**super().stats(), "accepted": len(self.sent), "duplicates": self.duplicates,
                    "distinct": len(self._identities) + anonymous}

    def configure(self, settings: dict) -> None:
        """Apply settings; besides the common ones, `bounce_addresses` (a list)."""
        super().configure(settings)
        if "bounce_addresses" in settings:
            self.bounce_addresses = set(settings["bounce_addresses"])

    def is_provider_path(self, path: str) -> bool:
        """Only `/v3/mail/send`."""
        return path == "/v3/mail/send"

    def failure_response(self, failure: Failure) -> FakeResponse:
        """Injected HTTP errors in SendGrid's error shape; a 429 also announces the limits."""
        status = int(failure.kind.removeprefix("http"))
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = seconds_header(failure.retry_after)
        if status == 429:
            reset = int(time.time() + (failure.retry_after or 1))
            headers.update({"X-RateLimit-Limit": str(self.rate_limit),
                            "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
        message = "too many requests" if status == 429 else "internal error"
        return _errors([(message, None)], status, headers)

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Accept a mail send (202) or answer SendGrid's 400/401 errors."""
        if request.method != "POST":
            return _errors([("Method not allowed", None)], 405)
        if request.header("authorization") != f"Bearer {self.api_key}":
            return _errors([(UNAUTHORIZED, None)], 401)
        try:
            mail = request.json()
        except ValueError:
            return _errors([("Bad Request", None)], 400)
        problems = validate_mail(mail) if isinstance(mail, dict) else [("Bad Request", None)]
        if problems:
            return _errors(problems, 400)
        message_id = secrets.token_urlsafe(16)[:22]
        emails = [_sent_email(message_id, mail, p) for p in mail["personalizations"]]
        with self.lock:
            for email in emails:
                if email.custom_args:
                    identity = (tuple(email.recipients), json.dumps(email.custom_args, sort_keys=True))
                    self.duplicates += identity in self._identities
                    self._identities.add(identity)
            self.sent.extend(emails)
            remaining = self._count_in_window()
        return FakeResponse(202, {
            "X-Message-Id": message_id,
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(time.time()) + 1),
        })

    def events_for(self, kind: str = "delivered", emails: list[str] | None = None,
                   **fields) -> list[dict]:
        """Build one event per recorded recipient (all, or those in `emails`).

        A `delivered` event for an address in `bounce_addresses` becomes a `bounce`; `fields`
        override or add keys in every event.
        """
        with self.lock:
            sent = list(self.sent)
        now = int(time.time())
        events = []
        for email in sent:
            for address in email.recipients:
                if emails is not None and address not in emails:
                    continue
                event = "bounce" if kind == "delivered" and address in self.bounce_addresses else kind
                number = next(self._event_ids)
                events.append({
                    **email.custom_args,
                    "email": address, "timestamp": now, "event": event,
                    "sg_event_id": f"{secrets.token_urlsafe(12)}{number}",
                    "sg_message_id": f"{email.message_id}.filterdrecv-fake-{number}-{secrets.token_hex(4).upper()}-0.0",
                    "smtp-id": f"<{email.message_id}@ismtpd0001p1fake.sendgrid.net>",
                    **EVENT_EXTRAS.get(event, {}), **fields,
                })
        return events

    def post_events(self, url: str, events: list[dict], timestamp: int | None = None,
                    tamper: bool = False) -> int:
        """POST events signed as SendGrid signs them; `tamper` alters the body after signing."""
        body = json.dumps(events, separators=(",", ":"))
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self._private_key.sign((stamp + body).encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        if tamper:
            body = json.dumps(_forged(events), separators=(",", ":"))
        request = urllib.request.Request(url, data=body.encode("utf-8"), method="POST", headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii"),
            TIMESTAMP_HEADER: stamp,
        })
        return callback(request)[0]

    def control(self, name: str, payload: dict) -> FakeResponse | None:
        """`POST /_fake/post_events` with `{"url", "kind", "emails"}` posts signed events."""
        if name != "post_events":
            return None
        events = self.events_for(payload.get("kind", "delivered"), payload.get("emails"))
        return FakeResponse.json({"status": self.post_events(payload["url"], events),
                                  "events": len(events)})

    def _count_in_window(self) -> int:
        second = int(time.time())
        used = self._window[1] + 1 if self._window[0] == second else 1
        self._window = (second, used)
        return max(0, self.rate_limit - used)


def validate_mail(mail: dict) -> list[tuple[str, str | None]]:
    """Return SendGrid-like (message, field) problems of a mail send body; empty when valid."""
    problems: list[tuple[str, str | None]] = []
    personalizations = mail.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return [("The personalizations field is required and must have at least one "
                 "personalization.", "personalizations")]
    if len(personalizations) > MAX_PERSONALIZATIONS:
        return [(f"You may not have more than {MAX_PERSONALIZATIONS} personalizations per API "
                 "request.", "personalizations")]
    if not isinstance(mail.get("from"), dict) or not _valid_email(mail["from"].get("email")):
        problems.append(("The from object must be provided for every email send. It is an object "
                         "that requires the email parameter, but may also contain a name "
                         "parameter.", "from.email"))
    templated = bool(mail.get("template_id"))
    recipients = 0
    for number, personalization in enumerate(personalizations):
        found, count_here = _personalization_problems(number, personalization, mail)
        problems += found
        recipients += count_here
    if recipients > MAX_RECIPIENTS:
        problems.append((f"The total number of recipients must be no more than {MAX_RECIPIENTS}.",
                         "personalizations"))
    subjects = [isinstance(p, dict) and p.get("subject") for p in personalizations]
    if not templated and not mail.get("subject") and not all(subjects):
        problems.append(("The subject is required. You can get around this requirement if you "
                         "use a template with a subject defined or if every personalization has a "
                         "subject defined.", "subject"))
    if not templated:
        problems += _content_problems(mail.get("content"))
    return problems


def _personalization_problems(number: int, personalization, mail: dict):
    where = f"personalizations.{number}"
    if not isinstance(personalization, dict):
        return [("The personalization must be an object.", where)], 0
    problems = []
    to = personalization.get("to")
    if not isinstance(to, list) or not to:
        problems.append(("The to array is required for all personalization objects, and must "
                         "have at least one email object with a valid email address.", f"{where}.to"))
    seen: set[str] = set()
    addresses = 0
    for kind in ("to", "cc", "bcc"):
        for position, recipient in enumerate(personalization.get(kind) or []):
            addresses += 1
            email = recipient.get("email") if isinstance(recipient, dict) else None
            if not _valid_email(email):
                problems.append(("Does not contain a valid address.", f"{where}.{kind}.{position}.email"))
            elif email.lower() in seen:
                problems.append(("Each email address in the personalization block should be unique "
                                 f"between to, cc, and bcc. We found the first duplicate instance "
                                 f"of [{email}] in the {where}.{kind} field.", where))
            else:
                seen.add(email.lower())
    args = {**(mail.get("custom_args") or {}), **(personalization.get("custom_args") or {})}
    if any(not isinstance(value, str) for value in args.values()):
        problems.append(("Custom args values must be strings.", f"{where}.custom_args"))
    elif len(json.dumps(args, separators=(",", ":")).encode("utf-8")) > MAX_CUSTOM_ARGS_BYTES:
        problems.append((f"The custom_args must be less than {MAX_CUSTOM_ARGS_BYTES} bytes.",
                         f"{where}.custom_args"))
    return problems, addresses


def _content_problems(content) -> list[tuple[str, str | None]]:
    if not isinstance(content, list) or not content:
        return [("Unless a valid template_id is provided, the content parameter is required. "
                 "There must be at least one defined content block.", "content")]
    problems = []
    for position, item in enumerate(content):
        item = item if isinstance(item, dict) else {}
        if not item.get("type"):
            problems.append(("The content type must be provided.", f"content.{position}.type"))
        if not isinstance(item.get("value"), str) or not item["value"]:
            problems.append(("The content value must be a string at least one character in "
                             "length.", f"content.{position}.value"))
    return problems


def _valid_email(value) -> bool:
    return isinstance(value, str) and EMAIL.fullmatch(value) is not None


def _substituted(text, substitutions: dict[str, str]):
    """Legacy substitutions: each key is replaced in the subject and every content block."""
    if not isinstance(text, str):
        return text
    for key, value in substitutions.items():
        text = text.replace(key, str(value))
    return text


def _sent_email(message_id: str, mail: dict, personalization: dict) -> SentEmail:
    def emails(kind: str) -> list[str]:
        return [r["email"] for r in personalization.get(kind) or []]

    substitutions = personalization.get("substitutions") or {}
    return SentEmail(
        message_id=message_id, to=emails("to"),
        subject=_substituted(personalization.get("subject") or mail.get("subject"), substitutions),
        custom_args={**(mail.get("custom_args") or {}), **(personalization.get("custom_args") or {})},
        headers={**(mail.get("headers") or {}), **(personalization.get("headers") or {})},
        shared_content=mail.get("content") or [], substitutions=substitutions, from_email=mail["from"]["email"],
        received_at=time.time(), cc=emails("cc"), bcc=emails("bcc"),
        template_id=mail.get("template_id"),
        dynamic_template_data=personalization.get("dynamic_template_data"),
    )


def _forged(events: list[dict]) -> list[dict]:
    """A forgery of the events: the first one's outcome flipped (or one made up)."""
    forged = copy.deepcopy(events) or [{"event": "bounce"}]
    forged[0]["event"] = "delivered" if forged[0].get("event") != "delivered" else "bounce"
    return forged


def _errors(problems, status: int, headers: dict[str, str] | None = None) -> FakeResponse:
    errors = [{"message": message, "field": where, "help": f"{HELP}#message.{where}" if where else None}
              for message, where in problems]
    return FakeResponse.json({"errors": errors}, status, headers)
