"""People who sign in: office staff and business (portal) users."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models.contractors import Contractor
from app.accounts.passwords import hash_password, verify_password
from app.core.clock import utcnow
from app.core.db import Base
from app.core.roles import Role


class _PasswordMixin:
    password_hash: Mapped[str] = mapped_column(String(255))

    def set_password(self, password: str) -> None:
        """Store an argon2 hash of the password."""
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return verify_password(self.password_hash, password)


class StaffUser(_PasswordMixin, UserMixin, Base):
    """An office employee who signs in to the admin."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    # Space-separated role names (see app.core.roles.Role).
    roles: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    def get_id(self) -> str:
        """Session id, prefixed so staff and portal sessions never mix."""
        return f"staff:{self.id}"

    @property
    def role_set(self) -> set[Role]:
        """The roles this user holds."""
        return {Role(r) for r in self.roles.split() if r in Role.__members__.values()}

    @role_set.setter
    def role_set(self, roles: set[Role] | list[str]) -> None:
        self.roles = " ".join(sorted({str(Role(r)) for r in roles}))

    def has_role(self, *roles: Role | str) -> bool:
        """True when the user holds any of the roles (admins hold all)."""
        held = self.role_set
        return Role.ADMIN in held or any(Role(r) in held for r in roles)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class PortalUser(_PasswordMixin, UserMixin, Base):
    """A business user of the portal; sees contractors once the office confirms the link."""

    __tablename__ = "portal_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    email_verified_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    links: Mapped[list[PortalLink]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        """Session id, prefixed so staff and portal sessions never mix."""
        return f"portal:{self.id}"

    def __str__(self) -> str:
        return self.email


class LinkStatus(StrEnum):
    """State of a portal user's request to see a contractor's account."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class PortalLink(Base):
    """A portal user's link to a contractor, requested by the user and confirmed by the office."""

    __tablename__ = "portal_links"
    __table_args__ = (UniqueConstraint("portal_user_id", "contractor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"))
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    status: Mapped[str] = mapped_column(String(12), default=LinkStatus.REQUESTED)
    method: Mapped[str] = mapped_column(String(12), default="office")  # code, office
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    user: Mapped[PortalUser] = relationship(back_populates="links")
    contractor: Mapped[Contractor] = relationship()
