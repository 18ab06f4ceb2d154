"""Demo staff accounts (one per role) and the file listing their logins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from app.accounts.models import StaffUser
from app.core import audit
from app.core.extensions import db
from app.core.roles import Role

LOGINS_FILE = "demo-logins.txt"


@dataclass(frozen=True)
class DemoUser:
    """A demo staff account with a known password."""

    email: str
    name: str
    role: Role
    label: str  # the role in Polish, for the logins list
    password: str
    phone: str | None = None  # where campaign test sends go


DEMO_USERS = (
    DemoUser("admin@demo.elk.pl", "Anna Administratorska", Role.ADMIN, "administrator",
             "demo-admin-2026"),
    DemoUser("komunikacja@demo.elk.pl", "Katarzyna Nowicka", Role.COMMUNICATOR,
             "komunikator (kampanie i odbiorcy)", "demo-komunikacja-2026", "+48500100201"),
    DemoUser("zatwierdzanie@demo.elk.pl", "Tomasz Wiśniewski", Role.APPROVER,
             "zatwierdzający (kierownik)", "demo-zatwierdzanie-2026", "+48500100202"),
    DemoUser("finanse@demo.elk.pl", "Małgorzata Zielińska", Role.FINANCE,
             "finanse (wpłaty i uzgodnienia)", "demo-finanse-2026"),
    DemoUser("skrzynka@demo.elk.pl", "Łukasz Dąbrowski", Role.INBOX,
             "skrzynka odpowiedzi SMS", "demo-skrzynka-2026"),
)  # fmt: skip


def ensure_demo_users() -> tuple[int, int]:
    """Create missing demo users, restore roles and passwords of existing ones; (created, kept)."""
    created = kept = 0
    for demo in DEMO_USERS:
        user = db.session.scalar(
            select(StaffUser).where(func.lower(StaffUser.email) == demo.email)
        )
        if user is None:
            user = StaffUser(email=demo.email, name=demo.name)
            user.set_password(demo.password)
            db.session.add(user)
            created += 1
        else:
            kept += 1
            if not user.check_password(demo.password):
                user.set_password(demo.password)
        user.role_set = {demo.role}
        user.is_active = True
        if demo.phone and not user.phone:
            user.phone = demo.phone
    db.session.flush()
    audit.record("demo.users", actor_label="flask demo seed", created=created, kept=kept)
    return created, kept


def logins_text() -> str:
    """The demo logins as readable Polish lines."""
    from app.demo.portal_user import EMAIL, PASSWORD

    lines = ["Konta demonstracyjne (panel urzędu: /admin):"]
    for demo in DEMO_USERS:
        lines.append(f"  {demo.label}: {demo.email} / hasło: {demo.password}")
    lines.append("Portal dla firm (/portal):")
    lines.append(f"  firma z dwoma podmiotami: {EMAIL} / hasło: {PASSWORD}")
    return "\n".join(lines) + "\n"


def write_logins(instance_path: str | Path) -> Path:
    """Write the demo logins to `<instance>/demo-logins.txt` and return its path."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOGINS_FILE
    path.write_text(logins_text(), encoding="utf-8")
    return path
