"""Office units (jednostki): the parts of the office a business owes money to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base


class Unit(Base):
    """An office unit with the NRB account it is paid to."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    nip: Mapped[str | None] = mapped_column(String(10))
    account_nrb: Mapped[str | None] = mapped_column(String(26))
    # Bank settlement number + client code of mass identification: the start of every
    # contractor's individual virtual account (see accounts.virtual_accounts); NULL = none.
    virtual_account_prefix: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The portal shows late interest (odsetki za zwłokę) on this unit's overdue obligations.
    late_interest_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def account_display(self) -> str:
        """The NRB grouped as printed on forms: `59 1020 5903 ...`."""
        nrb = self.account_nrb or ""
        if len(nrb) != 26:
            return nrb
        return nrb[:2] + " " + " ".join(nrb[i : i + 4] for i in range(2, 26, 4))

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"
