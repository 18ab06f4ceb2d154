"""Annual rates of late interest (odsetki za zwłokę), each valid from a date until the next one."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base


class LateInterestRate(Base):
    """The annual late-interest rate in percent, in force from `valid_from` to the next row's date."""

    __tablename__ = "late_interest_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, unique=True)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(6, 2))  # percent a year, e.g. 14.50
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return f"{self.annual_rate}% od {self.valid_from:%d.%m.%Y}"
