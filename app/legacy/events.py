"""Recording change events found by the import, set-based."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, DateTime, Select, insert, literal, or_

from app.accounts.models import ChangeEvent

EVENT_COLUMNS = ["contractor_id", "kind", "subject", "old_value", "new_value", "source",
                 "import_run_id", "created_at"]


@dataclass(frozen=True)
class ImportContext:
    """What every merge step needs: the connection, the run, its instant and which contractors
    existed before it (only those hear about changes; a new contractor gets one event).

    `partial`: the staged rows are some records pushed by the legacy system's API, not a whole
    snapshot: records missing from them stay as they are, and only the keys in `stg_cancelled`
    are cancelled. `source` is what the change events record as their origin.
    """

    conn: Connection
    run_id: int
    now: datetime
    existing_contractor_max_id: int
    source: str = "legacy"
    partial: bool = False

    def stamp(self):
        """The import instant as a SQL literal."""
        return literal(self.now, DateTime(timezone=True))


def differs(target, source, names):
    """True where any of the named columns differs between a record and its snapshot row."""
    return or_(*(target.c[n].is_distinct_from(source.c[n]) for n in names))


def record(ctx: ImportContext, query: Select) -> int:
    """Insert change events from a query selecting (contractor_id, kind, subject, old, new)."""
    columns = list(query.selected_columns)
    full = query.with_only_columns(
        *columns, literal(ctx.source), literal(ctx.run_id), ctx.stamp(), maintain_column_froms=True
    )
    return ctx.conn.execute(insert(ChangeEvent.__table__).from_select(EVENT_COLUMNS, full)).rowcount



