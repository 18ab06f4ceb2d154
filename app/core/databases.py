"""Throw-away PostgreSQL databases, for test runs and benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, make_url, text


def create_scratch_database(base_url: str, *, prefix: str) -> tuple[str, Callable[[], None]]:
    """Create an empty database on the server of `base_url`; return its URL and a drop function."""
    url = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop
