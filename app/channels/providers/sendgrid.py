"""Email through SendGrid's v3 mail send with its own client library (`sendgrid`).

Emails with the same subject and content share one request of up to 1000 personalizations;
each carries our message id in `custom_args`, so events come back to the right message.
SendGrid has no idempotency key: after a timeout the outcome is unknown and the message stays
`sending` until an event (`processed`, `delivered`, ...) tells, or reconciliation decides.
"""

from __future__ import annotations

import socket
import time
import urllib.error
from collections import defaultdict
from collections.abc import Sequence

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from app.channels.providers import (
    Outcome,
    OutcomeUnknown,
    Outgoing,
    ProviderUnavailable,
    Request,
    chunked,
)

#: SendGrid's limit of personalizations (and recipients) in one request.
MAX_PERSONALIZATIONS = 1000
ACCOUNT_RETRY_SECONDS = 300.0
MESSAGE_ID_ARG = "message_id"


class SendgridProvider:
    """Sends email through SendGrid."""

    name = "sendgrid"
    channel = "email"
    deduplicates = False

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        from_email: str,
        from_name: str | None = None,
        batch_size: int = MAX_PERSONALIZATIONS,
        timeout: float = 30.0,
    ) -> None:
        self.client = SendGridAPIClient(api_key, host=base_url.rstrip("/"))
        self.sender = {"email": from_email, **({"name": from_name} if from_name else {})}
        self.batch_size = min(batch_size, MAX_PERSONALIZATIONS)
        self.timeout = timeout

    def plan(self, messages: Sequence[Outgoing]) -> list[Request]:
        """Group emails with the same content; chunk each group to 1000.

        The subject and headers travel in each personalization, so they need not be shared.
        """
        groups: dict[tuple, list[Outgoing]] = defaultdict(list)
        for message in messages:
            if message.template and message.params:
                key = ("template", message.template, message.html, len(message.params))
            else:
                key = ("text", message.body, message.html, 0)
            groups[key].append(message)
        return [Request(chunk) for group in groups.values() for chunk in chunked(group, self.batch_size)]

    def body_of(self, messages: list[Outgoing]) -> dict:
        """The JSON body of a mail send request for messages that share their content."""
        first = messages[0]
        personalizations = []
        for message in messages:
            item: dict = {
                "to": [{"email": message.recipient}],
                "custom_args": {MESSAGE_ID_ARG: str(message.id)},
            }
            if message.subject:
                item["subject"] = message.subject
            if message.headers:
                item["headers"] = dict(message.headers)
            if message.template and message.params:
                item["substitutions"] = {f"[%{n + 1}%]": v for n, v in enumerate(message.params)}
            personalizations.append(item)
        text = first.template if first.template and first.params else first.body
        content = [{"type": "text/plain", "value": text}]
        if first.html:
            content.append({"type": "text/html", "value": first.html})
        return {"personalizations": personalizations, "from": self.sender, "content": content}

    def send(self, request: Request) -> list[Outcome]:
        """Send one request; a 400 for a group is narrowed down to the message at fault."""
        messages = request.messages
        try:
            response = self.client.client.mail.send.post(
                request_body=self.body_of(messages), timeout=self.timeout
            )
        except HTTPError as error:
            return self._after_error(messages, error)
        except TimeoutError as error:
            raise OutcomeUnknown(f"SendGrid did not answer in {self.timeout:g} s") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise OutcomeUnknown(f"SendGrid did not answer in {self.timeout:g} s") from error
            raise ProviderUnavailable(f"SendGrid unreachable: {error.reason}") from error
        except (ConnectionError, OSError) as error:
            raise OutcomeUnknown(f"SendGrid connection broke: {error}") from error
        reference = _header(response.headers, "X-Message-Id")
        return [Outcome(m.id, "sent", reference) for m in messages]

    def _after_error(self, messages: list[Outgoing], error: HTTPError) -> list[Outcome]:
        status = error.status_code
        if status == 429 or status >= 500:
            raise ProviderUnavailable(f"SendGrid HTTP {status}", _retry_after(error.headers))
        if status in (401, 403):
            raise ProviderUnavailable(f"SendGrid refused our key (HTTP {status})", ACCOUNT_RETRY_SECONDS)
        if len(messages) > 1 and status in (400, 413):
            middle = len(messages) // 2
            return self.send(Request(messages[:middle])) + self.send(Request(messages[middle:]))
        reason = _error_message(error)
        return [Outcome(m.id, "failed", error=f"SendGrid HTTP {status}: {reason}") for m in messages]


def _header(headers, name: str) -> str | None:
    if headers is None:
        return None
    getter = getattr(headers, "get", None)
    return getter(name) if getter else None


def _retry_after(headers) -> float | None:
    """Seconds to wait, from `Retry-After` or the epoch in `X-RateLimit-Reset`."""
    retry_after = _number(_header(headers, "Retry-After"))
    if retry_after is not None:
        return max(retry_after, 0.0)
    reset = _number(_header(headers, "X-RateLimit-Reset"))
    if reset is not None:
        return max(reset - time.time(), 0.0)
    return None


def _number(text: str | None) -> float | None:
    """A header's number, or None when it is missing or malformed (a provider's word, not trusted)."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _error_message(error: HTTPError) -> str:
    import json

    body = error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else str(error.body)
    try:
        errors = json.loads(body).get("errors") or []
        return "; ".join(
            f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
            for e in errors
        )[:400]
    except (ValueError, AttributeError):
        return body[:400]
