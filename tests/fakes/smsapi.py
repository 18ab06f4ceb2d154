"""A fake SMSAPI.pl server speaking the `sms.do` wire format that `smsapi-client` uses.

Errors come in the body with HTTP 200, as SMSAPI does. Choices where the provider's behaviour
is unconfirmed (see /work/shared/PROVIDERS.md):

- with `check_idx=1`, if any idx of a request was accepted before (or repeats within the
  request), the whole request is refused with error 53 and nothing of it is sent; the provider's
  exact behaviour for a partly duplicate batch is unconfirmed;
- a request whose text exceeds `max_parts` (10 when not given) is refused with error 11;
- `test=1` answers as a success but records nothing as sent.

The success body keeps to the keys `smsapi.models.SendResult` reads (it takes `**kwargs`, so
extra keys would be tolerated, but there are none).
"""

from __future__ import annotations

import re
import secrets
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from itertools import count

from tests.fakes.http import FakeRequest, FakeResponse, FakeServer, callback

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
POINTS_PER_PART = 0.16
DEFAULT_MAX_PARTS = 10
NUMBER = re.compile(r"\+?(?:48)?(\d{9})")
PARAM_NAMES = ("param1", "param2", "param3", "param4")
REPORT_STATUSES = {
    "NOT_FOUND": 401, "EXPIRED": 402, "SENT": 403, "DELIVERED": 404, "UNDELIVERED": 405,
    "FAILED": 406, "REJECTED": 407, "UNKNOWN": 408, "QUEUED": 409, "ACCEPTED": 410,
}
ERROR_MESSAGES = {
    8: "Error in request", 11: "Message too long", 13: "No correct phone numbers",
    14: "Invalid sender field", 53: "Message with this idx already exists",
    101: "Authorization failed", 102: "Invalid username or password",
    103: "Insufficient credits on Your account", 105: "IP address not allowed",
    201: "Internal system error", 202: "Too many simultaneous request",
    203: "Too many requests", 301: "ID of messages doesn't exist",
}
SMS_PATHS = ("/sms.do", "/api/sms.do")


def sms_parts(text: str) -> int:
    """Count the SMS parts of a text: GSM-7 160/153 septets, otherwise UCS-2 70/67 units."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        single, per_part = 160, 153
        if len(text) <= single // 2 or not any(ch in GSM7_EXTENSION for ch in text):
            return max(1, -(-len(text) // (single if len(text) <= single else per_part)))
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    else:
        single, per_part = 70, 67
        if not any(ord(ch) > 0xFFFF for ch in text):
            return max(1, -(-len(text) // (single if len(text) <= single else per_part)))
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for size in units:  # an escape pair or a surrogate pair is never split across parts
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


@dataclass
class SentSms:
    """One SMS the fake accepted for one recipient."""

    id: str
    number: str
    text: str
    sender: str | None
    idx: str | None
    parts: int
    notify_url: str | None
    received_at: float


class FakeSmsapi(FakeServer):
    """A fake SMSAPI: `POST /sms.do` with Bearer auth; see the module docstring for choices."""

    trailing_slash = True

    def __init__(self, token: str = "test-token", latency: float = 0.0, *, port: int = 0,
                 timeout_seconds: float = 5.0, username: str = "fake-user"):
        super().__init__(latency=latency, port=port, timeout_seconds=timeout_seconds)
        self.token = token
        self.username = username
        self.invalid_numbers: set[str] = set()
        self.sent: list[SentSms] = []
        self.by_idx: dict[str, SentSms] = {}
        self.reported: set[str] = set()
        self.duplicates = 0
        self.refused_duplicates = 0
        self._ids = count(1)

    def reset(self) -> None:
        """Forget every SMS, report and counter (token, latency and invalid numbers stay)."""
        with self.lock:
            super().reset()
            self.sent.clear()
            self.by_idx.clear()
            self.reported.clear()
            self.duplicates = self.refused_duplicates = 0

    def stats(self) -> dict:
        """Counters: requests, accepted SMS, duplicate idx accepted, distinct idx or ids."""
        with self.lock:
            distinct = len(self.by_idx) + sum(1 for sms in self.sent if sms.idx is None)
            return {**super().stats(), "accepted": len(self.sent), "duplicates": self.duplicates,
                    "distinct": distinct, "refused_duplicates": self.refused_duplicates}

    def configure(self, settings: dict) -> None:
        """Apply settings; besides the common ones, `invalid_numbers` (a list)."""
        super().configure(settings)
        if "invalid_numbers" in settings:
            self.invalid_numbers = set(settings["invalid_numbers"])

    def is_provider_path(self, path: str) -> bool:
        """`/sms.do` and `/api/sms.do`."""
        return path in SMS_PATHS

    def _is_extra_failure(self, kind: str) -> bool:
        return kind.startswith("error:") and kind[6:].isdigit()

    def failure_response(self, failure) -> FakeResponse:
        """An `error:<code>` failure is an error body with HTTP 200; others are HTTP errors."""
        if failure.kind.startswith("error:"):
            return _error(int(failure.kind[6:]))
        return super().failure_response(failure)

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Send SMS as `sms.do` does, answering success or an error in the body."""
        if request.header("authorization") != f"Bearer {self.token}":
            return _error(101)
        params = _form(request)
        numbers = [n.strip() for n in params.get("to", "").split(",") if n.strip()]
        valid, invalid = self._split_numbers(numbers)
        if not valid:
            return _error(13, invalid_numbers=invalid)
        message = params.get("message", "")
        values = {name: _split(params[name], len(numbers)) for name in PARAM_NAMES if name in params}
        texts = [_personalise(message, values, position) for position, _ in valid]
        parts = [sms_parts(text) for text in texts]
        max_parts = int(params.get("max_parts") or DEFAULT_MAX_PARTS)
        if not message or max(parts) > max_parts:
            return _error(11)
        idxs = _split(params.get("idx"), len(numbers))
        wanted = [idxs[position] for position, _ in valid]
        with self.lock:
            repeated = [i for i in wanted if i is not None and i in self.by_idx]
            within = len({i for i in wanted if i}) < len([i for i in wanted if i])
            if params.get("check_idx") == "1" and (repeated or within):
                self.refused_duplicates += 1
                return _error(53)
            now = time.time()
            accepted = [
                SentSms(self._new_id(), number, text, params.get("from"), idx, part_count,
                        params.get("notify_url"), now)
                for (_, number), text, idx, part_count in zip(valid, texts, wanted, parts, strict=True)
            ]
            if params.get("test") != "1":
                for sms in accepted:
                    if sms.idx is not None:
                        self.duplicates += sms.idx in self.by_idx
                        self.by_idx[sms.idx] = sms
                    self.sent.append(sms)
        body = {"count": len(accepted), "list": [
            _result(sms, numbers[position]) for sms, (position, _) in zip(accepted, valid, strict=True)
        ]}
        if invalid:
            body["invalid_numbers"] = invalid
        if params.get("details") == "1":
            body.update(message=message, length=len(message), parts=max(parts))
        return FakeResponse.json(body)

    def control(self, name: str, payload: dict) -> FakeResponse | None:
        """`POST /_fake/send_reports` with `{"url", "status", "batch"}` sends delivery reports."""
        if name != "send_reports":
            return None
        codes = self.send_reports(payload.get("url"), status=payload.get("status", 404),
                                  batch=int(payload.get("batch", 50)))
        return FakeResponse.json({"statuses": codes})

    def send_reports(self, url: str | None, messages: list[SentSms] | None = None,
                     status: int | str = 404, batch: int = 50) -> list[int]:
        """GET delivery reports (comma-joined, `batch` per request) to `url` or each notify_url."""
        code = REPORT_STATUSES.get(status, status) if isinstance(status, str) else status
        with self.lock:
            if messages is None:
                messages = [sms for sms in self.sent if sms.id not in self.reported]
            self.reported.update(sms.id for sms in messages)
        by_url: dict[str, list[SentSms]] = {}
        for sms in messages:
            target = url or sms.notify_url
            if target:
                by_url.setdefault(target, []).append(sms)
        statuses = []
        for target, group in by_url.items():
            for start in range(0, len(group), batch):
                chunk = group[start:start + batch]
                query = urllib.parse.urlencode({
                    "MsgId": ",".join(sms.id for sms in chunk),
                    "status": ",".join(str(code) for _ in chunk),
                    "donedate": ",".join(str(int(time.time())) for _ in chunk),
                    "to": ",".join(sms.number for sms in chunk),
                    "idx": ",".join(sms.idx or "" for sms in chunk),
                    "username": ",".join(self.username for _ in chunk),
                })
                separator = "&" if "?" in target else "?"
                statuses.append(callback(urllib.request.Request(target + separator + query))[0])
        return statuses

    def send_inbound(self, url: str, sms_from: str, sms_text: str, sms_to: str = "48500000000",
                     sms_date: int | None = None, msg_id: str | None = None) -> tuple[int, str]:
        """POST an inbound SMS (a reply) to our webhook; return its status and body."""
        form = {
            "sms_from": sms_from, "sms_to": sms_to, "sms_text": sms_text,
            "sms_date": str(int(sms_date if sms_date is not None else time.time())),
            "MsgId": msg_id or self._new_id(), "username": self.username,
        }
        data = urllib.parse.urlencode(form).encode("utf-8")
        return callback(urllib.request.Request(url, data=data, headers={
            "Content-Type": "application/x-www-form-urlencoded"}))

    def _split_numbers(self, numbers: list[str]) -> tuple[list[tuple[int, str]], list[dict]]:
        valid, invalid = [], []
        for position, submitted in enumerate(numbers):
            match = NUMBER.fullmatch(submitted)
            number = f"48{match.group(1)}" if match else submitted
            if match and not {submitted, number} & self.invalid_numbers:
                valid.append((position, number))
            else:
                invalid.append({"number": number, "submitted_number": submitted,
                                "message": "Invalid phone number"})
        return valid, invalid

    def _new_id(self) -> str:
        return f"{next(self._ids):08X}{secrets.token_hex(8).upper()}"


def _form(request: FakeRequest) -> dict[str, str]:
    """Merge query and form parameters (the last value of each)."""
    fields = dict(request.query)
    fields.update(urllib.parse.parse_qs(request.body.decode("utf-8"), keep_blank_values=True))
    return {key: values[-1] for key, values in fields.items()}


def _split(value: str | None, size: int) -> list[str | None]:
    """Split a `|`-joined per-recipient value, padding with None."""
    items: list[str | None] = list(value.split("|")) if value else []
    return (items + [None] * size)[:size]


def _personalise(message: str, values: dict[str, list[str | None]], position: int) -> str:
    """Replace `[%1%]`..`[%4%]` with the recipient's param1..param4 (each split once per request)."""
    for number, name in enumerate(PARAM_NAMES, start=1):
        if name in values:
            message = message.replace(f"[%{number}%]", values[name][position] or "")
    return message


def _result(sms: SentSms, submitted: str) -> dict:
    return {"id": sms.id, "points": round(POINTS_PER_PART * sms.parts, 2), "number": sms.number,
            "date_sent": int(sms.received_at), "submitted_number": submitted,
            "status": "QUEUE", "idx": sms.idx, "parts": sms.parts}


def _error(code: int, **extra) -> FakeResponse:
    return FakeResponse.json({"error": code, "message": ERROR_MESSAGES.get(code, "Error"), **extra})

