"""Set-based checks that need other rows: keys repeated in a file, unknown references.

A failing row moves from its staging table to `stg_rejects`, with file, line and reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    Connection,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from app.legacy import staging


def _reject(conn: Connection, table: Table, condition, *, file: str, field: str, value_col: str,
            reason: str, severity: str = "error") -> int:
    r = staging.rejects
    found = conn.execute(
        insert(r).from_select(
            ["severity", "file", "line", "key", "field", "value", "reason"],
            select(
                literal(severity), literal(file), table.c.line, table.c[_key_column(table)],
                literal(field), table.c[value_col], literal(reason),
            ).where(condition),
        )
    ).rowcount
    if severity == "error" and found:
        # Lines are unique within a file: remove exactly the rows just reported.
        reported = select(r.c.line).where(r.c.file == file, r.c.reason == reason)
        conn.execute(delete(table).where(table.c.line.in_(reported)))
    return found


def reject_where(conn: Connection, table: Table, condition, *, file: str, field: str, value_col: str,
                 reason: str) -> int:
    """Reject the rows of a staging table that meet `condition`, naming file, line, field and reason."""
    return _reject(conn, table, condition, file=file, field=field, value_col=value_col, reason=reason)


def _key_column(table: Table) -> str:
    return "legacy_id" if "legacy_id" in table.c else table.columns[1].name


def reject_duplicates(conn: Connection, table: Table, key: Sequence[str], *, file: str,
                      field: str) -> int:
    """Reject every later row whose key an earlier line of the same file already used."""
    columns = [table.c[k] for k in key]
    if conn.execute(select(*columns).group_by(*columns).having(func.count() > 1).limit(1)).first() is None:
        return 0
    earlier = table.alias("earlier")
    repeated = exists(
        select(literal(1)).select_from(earlier).where(
            and_(*(earlier.c[k] == table.c[k] for k in key)), earlier.c.line < table.c.line
        )
    )
    return _reject(conn, table, repeated, file=file, field=field, value_col=key[-1],
                   reason="duplicate id")


def reject_unknown(conn: Connection, table: Table, column: str, target: Table, target_column: str,
                   *, file: str, field: str, reason: str) -> int:
    """Reject rows whose reference is not among the snapshot's (valid) rows of another file."""
    unknown = ~exists(select(literal(1)).where(target.c[target_column] == table.c[column]))
    return _reject(conn, table, unknown, file=file, field=field, value_col=column, reason=reason)


def detach_unknown_obligations(conn: Connection, *, file: str) -> int:
    """Keep payments whose obligation is unknown or another contractor's, but unallocated."""
    p, o = staging.payments, staging.obligations
    matching = exists(
        select(literal(1)).where(
            o.c.legacy_id == p.c.obligation_legacy_id,
            o.c.contractor_legacy_id == p.c.contractor_legacy_id,
        )
    )
    condition = and_(p.c.obligation_legacy_id.is_not(None), ~matching)
    reason = "obligation not in snapshot or of another contractor; payment kept unallocated"
    count = _reject(conn, p, condition, file=file, field="ID_NALEZNOSCI",
                    value_col="obligation_legacy_id", severity="warning", reason=reason)
    if count:
        reported = select(staging.rejects.c.line).where(staging.rejects.c.file == file,
                                                         staging.rejects.c.reason == reason)
        conn.execute(update(p).where(p.c.line.in_(reported)).values(obligation_legacy_id=None))
    return count
