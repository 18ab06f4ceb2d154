"""Contractors (businesses), their legacy attributes, contact points and consents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.contacts import number_class
from app.core.clock import utcnow
from app.core.db import Base


class ContractorKind(StrEnum):
    """Legal kind of a contractor, as the legacy system codes it."""

    LEGAL_PERSON = "OP"
    ORGANISATIONAL_UNIT = "JO"
    SOLE_TRADER = "OF"


class RecordStatus(StrEnum):
    """Life of a record that comes from the legacy system."""

    ACTIVE = "active"
    CLOSED = "closed"  # the legacy system says the business is closed (STATUS=Z)
    CANCELLED = "cancelled"  # cancelled in the legacy system, or missing from a snapshot


class Channel(StrEnum):
    """A way to reach a contractor."""

    SMS = "sms"
    EMAIL = "email"


class AttributeType(StrEnum):
    """Value type of a legacy attribute, inferred from the values seen."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    FLAG = "flag"
    LIST = "list"


class Contractor(Base):
    """A business registered with the office, keyed by its legacy id."""

    __tablename__ = "contractors"
    __table_args__ = (
        Index("ix_contractors_nip", "nip"),
        Index("ix_contractors_district", "district"),
        Index("ix_contractors_pkd", "pkd"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legacy_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(255))
    nip: Mapped[str | None] = mapped_column(String(10))
    regon: Mapped[str | None] = mapped_column(String(14))
    pesel: Mapped[str | None] = mapped_column(String(11))
    street: Mapped[str | None] = mapped_column(String(120))
    house_no: Mapped[str | None] = mapped_column(String(20))
    flat_no: Mapped[str | None] = mapped_column(String(20))
    postal_code: Mapped[str | None] = mapped_column(String(6))
    city: Mapped[str | None] = mapped_column(String(80))
    district: Mapped[str | None] = mapped_column(String(80))
    pkd: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.ACTIVE)
    # The channel the business prefers when a campaign asks for one (sms, email); NULL = SMS.
    preferred_channel: Mapped[str | None] = mapped_column(String(10))
    legacy_modified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    attributes: Mapped[list[ContractorAttribute]] = relationship(
        back_populates="contractor", cascade="all, delete-orphan", order_by="ContractorAttribute.code"
    )
    contact_points: Mapped[list[ContactPoint]] = relationship(
        back_populates="contractor", cascade="all, delete-orphan"
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="contractor", cascade="all, delete-orphan"
    )

    @property
    def address(self) -> str:
        """Street address on one line, Polish style."""
        number = self.house_no or ""
        if self.flat_no:
            number = f"{number}/{self.flat_no}"
        street = " ".join(p for p in ("ul.", self.street, number) if p) if self.street else number
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (street, town) if p)

    @property
    def pkd_section(self) -> str | None:
        """The PKD division (first two digits), e.g. `56` for `56.10.A`."""
        return self.pkd[:2] if self.pkd else None

    def __str__(self) -> str:
        return f"{self.name} ({self.legacy_id})"


class AttributeDefinition(Base):
    """A legacy attribute code (cecha) seen in a snapshot, with its inferred type."""

    __tablename__ = "attribute_definitions"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str | None] = mapped_column(String(120))
    value_type: Mapped[str] = mapped_column(String(10), default=AttributeType.TEXT)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return self.label or self.code


class ContractorAttribute(Base):
    """One legacy attribute of a contractor; typed copies make it filterable in SQL."""

    __tablename__ = "contractor_attributes"
    __table_args__ = (
        Index("ix_contractor_attributes_code_value", "code", "value"),
        Index("ix_contractor_attributes_code_number", "code", "value_number"),
    )

    contractor_id: Mapped[int] = mapped_column(
        ForeignKey("contractors.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    value_date: Mapped[date | None] = mapped_column(Date)

    contractor: Mapped[Contractor] = relationship(back_populates="attributes")

    def __str__(self) -> str:
        return f"{self.code}={self.value}"


class ContactPoint(Base):
    """A phone (E.164) or email address at which a contractor can be reached."""

    __tablename__ = "contact_points"
    __table_args__ = (
        UniqueConstraint("contractor_id", "channel", "value"),
        Index("ix_contact_points_value", "channel", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20), default="legacy")  # legacy, portal, staff, api
    is_active: Mapped[bool] = mapped_column(default=True)
    verified_at: Mapped[datetime | None]
    # Of a phone: `mobile` or why an SMS could be refused (see accounts.contacts.number_class).
    number_class: Mapped[str | None] = mapped_column(String(12))
    # Why the address may not be used: invalid, bounced, spam-report (set by the channels).
    unusable_reason: Mapped[str | None] = mapped_column(String(40))
    failure_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    contractor: Mapped[Contractor] = relationship(back_populates="contact_points")

    def __str__(self) -> str:
        return f"{self.channel}: {self.value}"


@event.listens_for(ContactPoint, "before_insert")
@event.listens_for(ContactPoint, "before_update")
def _classify_phone(_mapper, _connection, point: ContactPoint) -> None:
    """Keep `number_class` in step with the value of a phone saved through the ORM."""
    state = inspect(point)
    if state.persistent and not (state.attrs.value.history.has_changes()
                                 or state.attrs.channel.history.has_changes()):
        return
    if point.channel == Channel.SMS:
        point.number_class = number_class(point.value)
    else:
        point.number_class = None


class Consent(Base):
    """Consent of a contractor to be contacted by a channel, per unit (NULL = whole office)."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_lookup", "contractor_id", "channel", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    channel: Mapped[str] = mapped_column(String(10))
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(20))  # legacy (paper), portal, staff, sms
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    contractor: Mapped[Contractor] = relationship(back_populates="consents")
