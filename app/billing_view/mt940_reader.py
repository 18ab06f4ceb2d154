"""Reading MT940 bank statements as Polish banks write them, with the `~NN` fields of `:86:`.

The `mt-940` package parses the SWIFT tags; `polish_details` splits `:86:` into its `~NN`
sub-fields (`~00` operation, `~20`–`~29` title, `~30` bank, `~31` account, `~32`–`~33` name,
`~38` IBAN, `~60`–`~63` more). Each entry (`:61:` with its `:86:`) is parsed on its own, so one
damaged entry is reported with its line and the rest of the file is still read.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import mt940
from mt940.options import Options

# The package logs every tag it cannot match; the import reports those lines itself.
logging.getLogger("mt940").setLevel(logging.CRITICAL)

TAG_RE = re.compile(r"^:(?P<tag>\d{2}[A-Z]?|NS):", re.MULTILINE)
SUBFIELD_RE = re.compile(r"~(\d{2})")
ACCOUNT_RE = re.compile(r"(?<!\d)(?:PL)?(\d{26})(?!\d)")
TITLE_FIELDS = ("20", "21", "22", "23", "24", "25", "26", "27", "28", "29")
ENTRY_TAGS = ("61", "86")
TITLE_FIELD_WIDTH = 27
MAX_FILE_BYTES = 20 * 1024 * 1024


class StatementFileError(ValueError):
    """A file that is not an MT940 statement at all; the message says why, `code` for translations."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Entry:
    """One booked entry of a statement, with the details the matching needs."""

    line_no: int
    booked_on: date
    amount: Decimal  # credits positive, debits negative
    credit: bool
    currency: str
    bank_reference: str | None
    customer_reference: str | None
    title: str
    counterparty_name: str | None
    counterparty_account: str | None
    numbers: list[str]  # every 26-digit account number found anywhere in the entry
    raw: str

    def fingerprint(self, account: str | None) -> str:
        """The same bank entry gives the same fingerprint in any statement that repeats it."""
        parts = [account or "", self.booked_on.isoformat(), str(self.amount), self.bank_reference or "",
                 self.customer_reference or "", self.title, self.counterparty_account or ""]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass
class ParsedStatement:
    """What could be read from a file: the account, balances, entries and the lines that could not."""

    account: str | None = None
    statement_no: str | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    currency: str | None = None
    entries: list[Entry] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def polish_details(text: str) -> dict[str, str]:
    """The `~NN` sub-fields of a Polish `:86:` (a repeated one is joined); `{}` when there are none."""
    flat = "".join(line.rstrip("\r") for line in text.split("\n"))
    parts = SUBFIELD_RE.split(flat)
    if len(parts) < 3:
        return {}
    fields: dict[str, str] = {"": parts[0].strip()} if parts[0].strip() else {}
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        fields[code] = fields.get(code, "") + value.rstrip()
    return fields


def account_number(text: str | None) -> str | None:
    """An account as written in a statement (`/PL59 1020 ...`) reduced to its digits (NRB) or IBAN."""
    cleaned = re.sub(r"[^0-9A-Z]", "", (text or "").upper())
    if cleaned.startswith("PL") and len(cleaned) == 28:
        cleaned = cleaned[2:]
    return cleaned[:34] or None


def _joined(chunks: list[str]) -> str:
    """Title sub-fields as one text: a full 27-character chunk was cut mid-word, so no space follows it."""
    text, previous = "", ""
    for chunk in chunks:
        text += chunk if (not text or len(previous) >= TITLE_FIELD_WIDTH) else " " + chunk
        previous = chunk
    return " ".join(text.split())


def _polish_details_processor(transactions, tag, tag_dict, result):
    """mt-940 post-processor of `:86:`: the `~NN` sub-fields, the title and the counterparty."""
    details = tag_dict.get("transaction_details") or ""
    fields = polish_details(details)
    if fields:
        result["details_fields"] = fields
        result["title"] = _joined([fields[k] for k in TITLE_FIELDS if fields.get(k)])
        name = " ".join(fields[k] for k in ("32", "33") if fields.get(k)).strip()
        result["counterparty_name"] = name or None
        account = fields.get("38") or ((fields.get("30", "") + fields.get("31", "")) if fields.get("31") else "")
        result["counterparty_account"] = account_number(account)
    else:
        result["title"] = " ".join(details.split())
    return result


def _new_parser() -> mt940.models.Transactions:
    return mt940.models.Transactions(
        processors={"post_transaction_details": [_polish_details_processor]},
        options=Options(unbounded_details=True, strip_bom=True),
    )


def decode(data: bytes, filename: str) -> str:
    """The file's text: UTF-8, else Windows-1250 (what Polish banks' systems mostly write)."""
    if len(data) > MAX_FILE_BYTES:
        raise StatementFileError(f"{filename}: the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.",
                                 "too_large")
    if b"\x00" in data:
        raise StatementFileError(f"{filename}: this is a binary file, not an MT940 statement.", "binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace")


def _tags(text: str) -> list[tuple[str, int, str]]:
    """Every tag of the file: (tag, line number, its text up to the next tag)."""
    matches = list(TAG_RE.finditer(text))
    tags = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end():end]
        # A message ends with a line "-" (or "-}"); what follows is not part of the tag.
        body = re.split(r"^-\}?\s*$", body, maxsplit=1, flags=re.MULTILINE)[0]
        tags.append((match.group("tag"), text.count("\n", 0, match.start()) + 1, body.strip("\r\n")))
    return tags


def _amount(value: Any) -> Decimal | None:
    amount = getattr(value, "amount", None)
    inner = getattr(amount, "amount", amount)
    return Decimal(str(inner)) if inner is not None else None


def _header(parsed: ParsedStatement, header_tags: list[tuple[str, int, str]]) -> str:
    """Statement-level facts; returns the header text every entry is parsed with."""
    parser = _new_parser()
    text = "".join(f":{tag}:{body}\n" for tag, _line, body in header_tags)
    try:
        parser.parse(text)
    except Exception as exc:  # noqa: BLE001 - any parse failure is reported with its line
        line = header_tags[0][1] if header_tags else 1
        parsed.errors.append({"line": line, "field": "header", "value": text[:120], "reason": str(exc)[:300]})
        return ""
    data = parser.data
    parsed.account = parsed.account or account_number(data.get("account_identification"))
    parsed.statement_no = parsed.statement_no or data.get("statement_number")
    opening = data.get("final_opening_balance") or data.get("opening_balance")
    if opening is not None and parsed.opening_balance is None:
        parsed.opening_balance = _amount(opening)
    parsed.currency = parsed.currency or parser.currency
    return text


def _entry(header_text: str, tags: list[tuple[str, int, str]]) -> Entry:
    """One `:61:` and its `:86:` parsed against the statement's header."""
    text = header_text + "".join(f":{tag}:{body}\n" for tag, _line, body in tags)
    parser = _new_parser()
    transactions = parser.parse(text)
    if len(transactions) != 1:
        raise ValueError("no entry found")
    data = transactions[0].data
    amount = _amount(data.get("amount"))
    if amount is None:
        raise ValueError("no amount")
    status = str(data.get("status") or "")
    booked = data.get("entry_date") or data.get("date")
    raw = "\n".join(f":{tag}:{body}" for tag, _line, body in tags)
    return Entry(
        line_no=tags[0][1],
        booked_on=date(booked.year, booked.month, booked.day),
        amount=amount,
        credit=status == "C",
        currency=str(data.get("currency") or parser.currency or "PLN"),
        bank_reference=(data.get("bank_reference") or "").strip() or None,
        customer_reference=(data.get("customer_reference") or "").strip() or None,
        title=str(data.get("title") or "").strip(),
        counterparty_name=data.get("counterparty_name"),
        counterparty_account=data.get("counterparty_account"),
        numbers=ACCOUNT_RE.findall(raw.replace(" ", "")),
        raw=raw,
    )


def read_statement(data: bytes, filename: str) -> ParsedStatement:
    """Read an MT940 file: every entry that can be read, and each one that cannot with its line."""
    text = decode(data, filename).replace("\r\n", "\n").replace("\r", "\n")
    tags = _tags(text)
    if not any(tag == "61" for tag, _l, _b in tags) and not any(tag == "25" for tag, _l, _b in tags):
        raise StatementFileError(f"{filename}: no MT940 tags (:25: account, :61: entries) found.", "no_tags")
    parsed = ParsedStatement()
    header_tags: list[tuple[str, int, str]] = []
    header_text = ""
    current: list[tuple[str, int, str]] = []

    def flush() -> None:
        if not current:
            return
        try:
            parsed.entries.append(_entry(header_text, current))
        except Exception as exc:  # noqa: BLE001 - a damaged entry is reported; the rest is read
            tag, line, body = current[0]
            parsed.errors.append({"line": line, "field": f":{tag}:", "value": body[:120],
                                  "reason": str(exc.args[0] if exc.args else exc)[:300]})
        current.clear()

    for tag, line, body in tags:
        if tag == "20":  # a new message (one file may hold several statements)
            flush()
            header_tags, header_text = [(tag, line, body)], ""
        elif tag == "61":
            flush()
            if not header_text:
                header_text = _header(parsed, header_tags)
            current.append((tag, line, body))
        elif tag == "86" and current:
            current.append((tag, line, body))
        elif tag.startswith("62"):
            flush()
            closing = _closing(tag, body)
            if closing is not None:
                parsed.closing_balance = closing
        elif not current:
            header_tags.append((tag, line, body))
    flush()
    if not parsed.account and header_tags:
        _header(parsed, header_tags)
    return parsed


def _closing(tag: str, body: str) -> Decimal | None:
    """The closing balance of a `:62F:`/`:62M:` (C = credit, D = debit), or None when unreadable."""
    match = re.match(r"([CD])(\d{6})([A-Z]{3})([\d,]+)", body.strip())
    if not match:
        return None
    value = Decimal(match.group(4).replace(",", ".") or "0")
    return value if match.group(1) == "C" else -value
