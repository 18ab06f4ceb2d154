"""How a demo contractor paid (wplaty.csv), with the reminders and interest that followed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from app.demo.charges import Charge
from app.demo.contractors import Profile
from app.demo.formats import fmt_date, fmt_grosze, next_working_day
from app.demo.names import ascii_slug

REMINDER_COST_GROSZE = 1600
INTEREST_RATE = 0.12  # yearly rate of late-payment interest
INTEREST_MINIMUM_GROSZE = 870  # interest below 8,70 zł is not charged
TAXES = ("PON", "PST", "ALK")


@dataclass(slots=True)
class Payment:
    """One payment row before it is numbered."""

    oid: str  # "" = not yet allocated to an obligation
    day: date
    grosze: int
    method: str
    title: str

    def row(self, wid: str, cid: str) -> list[str]:
        """The wplaty.csv row."""
        return [wid, cid, self.oid, fmt_date(self.day), fmt_grosze(self.grosze), self.method,
                self.title]  # fmt: skip


def _title(rng: random.Random, c: Charge, nip: str) -> str:
    """A transfer title as payers write them."""
    form = rng.random()
    if form < 0.5:
        return c.opis
    if form < 0.7:
        return f"{c.kind} {c.okres}"
    if form < 0.85:
        return f"NIP {nip} {c.nr} {c.okres}"
    return ascii_slug_upper(c.opis)


@lru_cache(maxsize=4096)
def ascii_slug_upper(text: str) -> str:
    """Bank-style title: Polish letters dropped to ASCII, upper case, words kept."""
    return " ".join(ascii_slug(word) for word in text.split()).upper()


class Settlement:
    """Decides, for one contractor, which charges were paid, when, and what followed."""

    def __init__(
        self, rng: random.Random, p: Profile, today: date, number: Callable[[Charge], None]
    ) -> None:
        self.rng, self.p, self.today, self.number = rng, p, today, number
        self.extra: list[Charge] = []
        self.payments: list[Payment] = []
        self.reminders = 0
        # Debtors stop paying at some point of the year.
        self.stop_on = today - timedelta(days=rng.randint(20, 240))

    def pay(self, c: Charge, day: date, grosze: int, oid: str | None = None) -> None:
        """Book a payment unless its day is still ahead of the snapshot."""
        draw = self.rng.random()
        method = "P" if draw < 0.6 else "O" if draw < 0.9 else "K"
        if method != "O":
            day = next_working_day(day)  # transfers and the cash desk book on working days
        if day >= self.today:
            return
        if oid is None:
            oid = c.oid if self.rng.random() > 0.012 else ""
        title = _title(self.rng, c, self.p.nip) if oid or self.rng.random() < 0.5 else "wpłata"
        self.payments.append(Payment(oid, day, grosze, method, title))

    def settle(self, charges: list[Charge]) -> None:
        """Pay the charges according to the contractor's behaviour."""
        rng, p = self.rng, self.p
        prepaid = p.behaviour == "prepayer" and rng.random() < 0.8
        late = {"late": 0.4, "debtor": 0.3, "partial": 0.2}.get(p.behaviour, 0.03)
        for c in charges:
            if c.status != "A" or c.due is None:
                continue
            if prepaid and c.kind in ("PON", "ALK"):
                self.pay(c, c.assessed + timedelta(days=rng.randint(1, 10)), c.grosze)
                continue
            day = c.due - timedelta(days=rng.randint(0, 12))
            day = max(day, c.assessed)
            if rng.random() < late:
                day = c.due + timedelta(days=rng.randint(1, 45))
            if p.behaviour == "debtor" and c.due >= self.stop_on:
                self.remind(c, paid_on=None)
                continue
            if day >= self.today:
                if c.due < self.today - timedelta(days=21):
                    self.remind(c, paid_on=None)
                continue
            amount = c.grosze
            if p.behaviour == "partial" and rng.random() < 0.4:
                amount = c.grosze * rng.randint(40, 90) // 100
            elif p.behaviour == "overpayer" and rng.random() < 0.35:
                if rng.random() < 0.3:
                    self.pay(c, day + timedelta(days=rng.randint(0, 3)), c.grosze)  # paid twice
                else:
                    amount = c.grosze + rng.choice((5000, 10000, 20000))
            if day > c.due:
                self.remind(c, paid_on=day)
                self.interest(c, day)
            self.pay(c, day, amount)

    def remind(self, c: Charge, paid_on: date | None) -> None:
        """Issue a formal reminder (16,00 zł, no due date) for an overdue tax, sometimes."""
        if c.kind not in TAXES or self.reminders >= 3 or c.due is None:
            return
        issued = next_working_day(c.due + timedelta(days=self.rng.randint(14, 35)))
        if issued >= self.today or (paid_on and paid_on <= issued):
            return
        if self.rng.random() > (0.9 if paid_on is None else 0.6):
            return
        self.reminders += 1
        doc = f"UP/{self.p.index}/{self.reminders}/{issued.year}"
        ku = Charge("UM", "KU", "Koszty upomnienia", f"Upomnienie {doc} z {fmt_date(issued)}; "
                    f"dotyczy: {c.opis}", doc, c.okres, None, REMINDER_COST_GROSZE, issued)
        if self.rng.random() < 0.04:
            ku.status = "U"  # the reminder was withdrawn
        self.add(ku)
        if paid_on and ku.status == "A" and self.rng.random() < 0.8:
            self.pay(ku, paid_on, ku.grosze)

    def interest(self, c: Charge, paid_on: date) -> None:
        """Charge late-payment interest on a tax paid late, when above the minimum."""
        if c.kind not in ("PON", "PST") or c.due is None:
            return
        days = (paid_on - c.due).days
        grosze = round(c.grosze * INTEREST_RATE * days / 365 / 100) * 100
        if grosze < INTEREST_MINIMUM_GROSZE:
            return
        ods = Charge("UM", "ODS", f"Odsetki za zwłokę – {c.opis}",
                     f"Od zaległości {fmt_grosze(c.grosze)} zł za {days} dni; stawka 12,00%",
                     f"ODS/{c.nr}", c.okres, next_working_day(paid_on + timedelta(days=14)),
                     grosze, paid_on)  # fmt: skip
        if self.rng.random() < 0.1:
            ods.status = "U"  # interest remitted
        self.add(ods)
        if ods.status == "A" and self.rng.random() < 0.7:
            self.pay(ods, paid_on + timedelta(days=self.rng.randint(0, 20)), ods.grosze)

    def add(self, c: Charge) -> None:
        """Number an extra charge and keep it for writing."""
        self.number(c)
        self.extra.append(c)
