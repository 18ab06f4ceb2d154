"""`flask users ...`: manage office staff accounts from the command line."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from app.accounts.models import StaffUser
from app.core import audit
from app.core.extensions import db
from app.core.roles import Role

users_cli = click.Group("users", help="Manage office staff accounts.")


@users_cli.command("create")
@click.option("--email", prompt=True, help="Sign-in email.")
@click.option("--name", prompt=True, help="Full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=[Role.ADMIN.value],
    show_default=True,
    help="Role (repeatable).",
)
@click.password_option(help="Password (asked twice when not given).")
def create_user(email: str, name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a staff user (the first admin, for example)."""
    email = email.strip().lower()
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--password")
    exists = db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == email))
    if exists:
        raise click.ClickException(f"a staff user with email {email} already exists")
    user = StaffUser(email=email, name=name)
    user.role_set = set(roles)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("staff.created", target=f"staff:{user.id}", roles=sorted(roles))
    db.session.commit()
    click.echo(f"created {email} with roles: {', '.join(sorted(roles))}")
