"""SMS through SMSAPI.pl with its own client library (`smsapi-client`).

Messages with the same text (or the same template with per-recipient `param1..4`) and sender
travel in one request with many numbers. Our message id goes as `idx` with `check_idx=1`, so
SMSAPI itself refuses a message it already accepted: reconciliation may send again safely.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import requests
from smsapi.client import Client
from smsapi.exception import EndpointException, SendException

from app.channels.providers import (
    Outcome,
    Outgoing,
    ProviderUnavailable,
    Request,
    chunked,
)

log = logging.getLogger(__name__)

#: Error codes (in the body of an HTTP 200) after which the request may succeed later.
TRANSIENT_CODES = {201, 202, 203}
#: Codes that mean our account or configuration is wrong: nothing is sent, staff must act.
ACCOUNT_CODES = {101, 102, 103, 105}
DUPLICATE_IDX = 53
NO_VALID_NUMBERS = 13
ACCOUNT_RETRY_SECONDS = 300.0


def provider_number(e164: str) -> str:
    """SMSAPI's form of a number: digits with the country code, no plus."""
    return e164.lstrip("+")


class SmsapiProvider:
    """Sends SMS through SMSAPI's `sms.do`."""

    name = "smsapi"
    channel = "sms"
    deduplicates = True

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        notify_url: str | None = None,
        batch_size: int = 500,
        timeout: float = 30.0,
    ) -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        self.client = Client(base_url, access_token=token)
        self.notify_url = notify_url
        self.batch_size = batch_size
        self.timeout = timeout

    def plan(self, messages: Sequence[Outgoing]) -> list[Request]:
        """Group messages that share a text (or template) and sender; chunk each group."""
        groups: dict[tuple, list[Outgoing]] = defaultdict(list)
        for message in messages:
            if message.template and message.params:
                key = ("template", message.template, len(message.params), message.sender, message.max_parts)
            else:
                key = ("text", message.body, 0, message.sender, message.max_parts)
            groups[key].append(message)
        return [Request(chunk) for group in groups.values() for chunk in chunked(group, self.batch_size)]

    def send(self, request: Request) -> list[Outcome]:
        """Send one grouped request and tell each message's outcome."""
        try:
            return self._send(request.messages)
        except SendException as error:
            return self._after_error(request.messages, error)

    def _send(self, messages: list[Outgoing]) -> list[Outcome]:
        first = messages[0]
        params: dict = {
            "to": [provider_number(m.recipient) for m in messages],
            "idx": [str(m.id) for m in messages],
            "check_idx": 1,
            "encoding": "utf-8",
            "timeout": self.timeout,
        }
        if first.template and first.params:
            params["message"] = first.template
            for position in range(len(first.params)):
                params[f"param{position + 1}"] = [m.params[position] for m in messages]
        else:
            params["message"] = first.body
        if first.sender:
            params["from_"] = first.sender
        if first.max_parts:
            params["max_parts"] = first.max_parts
        if self.notify_url:
            params["notify_url"] = self.notify_url
        try:
            result = self.client.sms.send(**params)
        except SendException:
            raise
        except EndpointException as error:  # a non-2xx answer: nothing was accepted
            raise ProviderUnavailable(f"SMSAPI HTTP {error.code}") from error
        except requests.exceptions.RequestException as error:
            # Even when the request may have arrived (a read timeout), trying again is safe:
            # SMSAPI refuses an `idx` it already accepted and we then count it as sent.
            raise ProviderUnavailable(f"SMSAPI did not answer: {error.__class__.__name__}") from error
        return self._outcomes(messages, result.results, [])

    def _outcomes(self, messages: list[Outgoing], accepted, invalid) -> list[Outcome]:
        by_idx = {str(r.idx): r for r in accepted if getattr(r, "idx", None) is not None}
        by_number = {str(r.number): r for r in accepted}
        refused = {provider_number(str(n.submitted_number or n.number)): n for n in invalid}
        outcomes = []
        for message in messages:
            number = provider_number(message.recipient)
            sent = by_idx.get(str(message.id)) or by_number.get(number)
            if sent is not None:
                points = Decimal(str(sent.points)) if sent.points is not None else None
                parts = getattr(sent, "parts", None)
                outcomes.append(Outcome(message.id, "sent", str(sent.id), parts, points))
            elif number in refused:
                reason = getattr(refused[number], "message", None) or "invalid number"
                outcomes.append(Outcome(message.id, "failed", error=f"SMSAPI: {reason}"))
            else:
                outcomes.append(Outcome(message.id, "failed", error="SMSAPI did not accept the number"))
        return outcomes

    def _after_error(self, messages: list[Outgoing], error: SendException) -> list[Outcome]:
        code = error.code
        if code in TRANSIENT_CODES:
            raise ProviderUnavailable(f"SMSAPI error {code}: {error.message}")
        if code in ACCOUNT_CODES:
            log.error("SMSAPI refused our account (error %s: %s)", code, error.message)
            raise ProviderUnavailable(f"SMSAPI error {code}: {error.message}", ACCOUNT_RETRY_SECONDS)
        if code == DUPLICATE_IDX:
            return self._one_by_one(messages)
        if code == NO_VALID_NUMBERS:
            return self._outcomes(messages, [], error.invalid_numbers)
        return [Outcome(m.id, "failed", error=f"SMSAPI error {code}: {error.message}") for m in messages]

    def _one_by_one(self, messages: list[Outgoing]) -> list[Outcome]:
        """After a duplicate `idx`, find which messages SMSAPI already has: send each alone."""
        if len(messages) == 1:
            return [Outcome(messages[0].id, "sent", error="already accepted by SMSAPI (duplicate idx)")]
        outcomes = []
        for message in messages:
            outcomes.extend(self.send(Request([message])))
        return outcomes
