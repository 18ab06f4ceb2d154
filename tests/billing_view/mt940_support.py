"""Building MT940 statements as Polish banks write them, for the statement import tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass
class Line:
    """One entry of a statement to write."""

    amount: str
    title: str
    mark: str = "C"
    name: str = "NADAWCA TESTOWY"
    account: str = "61114020040000987654321000"
    reference: str = "NONREF"
    bank_reference: str = ""
    currency_mark: str = ""


def statement(lines: list[Line], *, account: str = "59102059033982597919074833", number: str = "00231/001",
              day: date = date(2026, 11, 20)) -> str:
    """An MT940 statement with these entries; each title is cut into `~20`–`~25` as banks do."""
    ymd = day.strftime("%y%m%d")
    out = [":20:MT940", f":25:/PL{account}", f":28C:{number}", f":60F:C{ymd}PLN000000010000,00"]
    balance = Decimal("10000.00")
    for index, line in enumerate(lines, start=1):
        amount = Decimal(line.amount)
        balance += amount if line.mark == "C" else -amount
        bank_ref = line.bank_reference or f"{ymd}{index:07d}"
        out.append(f":61:{ymd}{day:%m%d}{line.mark}{line.currency_mark}{str(amount).replace('.', ',')}"
                   f"NTRF{line.reference}//{bank_ref}")
        chunks = [line.title[i:i + 27] for i in range(0, len(line.title), 27)][:6] or [""]
        title = "".join(f"~2{n}{chunk}" for n, chunk in enumerate(chunks))
        details = (f"020~00VE02{title}~30{line.account[2:10]}~31{line.account[10:]}~32{line.name[:27]}"
                   f"~38PL{line.account}")
        out.append(":86:" + details[:65])
        out.extend(details[i:i + 65] for i in range(65, len(details), 65))
    out.append(f":62F:C{ymd}PLN{str(balance).replace('.', ',')}")
    out.append("-")
    return "\r\n".join(out) + "\r\n"
