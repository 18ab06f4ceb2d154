"""`flask demo ...`: write and import demo data."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

demo_cli = click.Group("demo", help="Demo data.")


def _contractor_count() -> int:
    from app.accounts.models import Contractor
    from app.core.extensions import db

    return db.session.scalar(select(func.count(Contractor.id))) or 0


def _write_and_import(folder: Path, contractors: int, seed: int) -> None:
    from app.demo.generator import write_snapshot

    started = time.monotonic()
    counts = write_snapshot(folder, contractors=contractors, seed=seed)
    click.echo(
        f"Zapisano migawkę w {folder}: "
        + ", ".join(f"{name} {rows}" for name, rows in counts.items())
        + f" ({time.monotonic() - started:.1f} s)"
    )
    try:
        from app.legacy.service import import_snapshot
    except ImportError as exc:
        raise click.ClickException(f"importer migawek niedostępny: {exc}") from exc
    started = time.monotonic()
    run = import_snapshot(folder, started_by="demo")
    if getattr(run, "status", None) == "failed":
        raise click.ClickException(f"import migawki nie powiódł się: {getattr(run, 'error', '')}")
    click.echo(f"Zaimportowano migawkę ({time.monotonic() - started:.1f} s):")
    for name, count in (run.counts or {}).items():
        text = ", ".join(f"{k} {v}" for k, v in count.items()) if isinstance(count, dict) else count
        click.echo(f"  {name}: {text}")
    click.echo(f"Odrzucone wiersze: {run.rejected_count}")
    warnings = getattr(run, "warning_count", 0)
    if warnings:
        click.echo(f"Ostrzeżenia (pominięte pola): {warnings}")


@demo_cli.command("seed")
@click.option("--contractors", default=5000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=2026, show_default=True, type=int, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing when contractors exist already.")
@click.option(
    "--keep-snapshot",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the snapshot into this folder and keep it.",
)
def seed_command(contractors: int, seed: int, if_empty: bool, keep_snapshot: Path | None) -> None:
    """Write a demo legacy snapshot, import it, create demo staff users and list their logins."""
    from app.core.extensions import db
    from app.demo.seed import ensure_demo_users, logins_text, write_logins

    existing = _contractor_count()
    if if_empty and existing:
        click.echo(f"Baza zawiera już {existing} kontrahentów – pomijam dane demonstracyjne.")
        return
    if keep_snapshot is not None:
        _write_and_import(keep_snapshot, contractors, seed)
    else:
        with tempfile.TemporaryDirectory(prefix="demo-snapshot-") as folder:
            _write_and_import(Path(folder), contractors, seed)
    created, kept = ensure_demo_users()
    from app.demo.segments import ensure_demo_segments

    segments = ensure_demo_segments()
    db.session.commit()
    from app.demo.campaigns import ensure_demo_campaigns

    campaigns = ensure_demo_campaigns()
    db.session.commit()
    from app.demo.portal_user import ensure_demo_portal_user

    ensure_demo_portal_user()
    db.session.commit()
    from app.demo.statement import ensure_demo_statement

    statement = ensure_demo_statement()
    path = write_logins(current_app.instance_path)
    click.echo(f"Użytkownicy demonstracyjni: {created} nowych, {kept} istniejących.")
    click.echo(f"Segmenty demonstracyjne: {segments} nowych.")
    click.echo(f"Szablony i kampanie demonstracyjne: {campaigns} nowych.")
    if statement is not None:
        click.echo(f"Wyciąg bankowy {statement.filename}: zaksięgowano {statement.booked_count}, "
                   f"do przypisania {statement.unmatched_count}.")
    click.echo(f"Kontrahentów w bazie: {_contractor_count()}. Loginy zapisano w {path}:")
    click.echo(logins_text())
