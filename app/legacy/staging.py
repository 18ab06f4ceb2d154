"""Temporary staging tables that a snapshot is streamed into, and their bulk loader.

Rows are validated one by one in Python, then copied in bulk (COPY on PostgreSQL) into
temporary tables; checks that need other rows (duplicates, references) and the merge into
the account model run as set-based SQL on these tables. Memory stays flat whatever the size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    insert,
)

staging_metadata = MetaData()


def _table(name: str, *columns: Column, key: Sequence[str]) -> Table:
    table = Table(
        name,
        staging_metadata,
        Column("line", Integer, nullable=False),
        *columns,
        prefixes=["TEMPORARY"],
    )
    Index(f"ix_{name}_key", *(table.c[k] for k in key), table.c.line)
    return table


units = _table(
    "stg_units",
    Column("code", String(20)),
    Column("name", String(255)),
    Column("nip", String(10)),
    Column("account_nrb", String(26)),
    Column("address", String(255)),
    key=["code"],
)

contractors = _table(
    "stg_contractors",
    Column("legacy_id", String(40)),
    Column("kind", String(2)),
    Column("name", String(255)),
    Column("nip", String(10)),
    Column("regon", String(14)),
    Column("pesel", String(11)),
    Column("street", String(120)),
    Column("house_no", String(20)),
    Column("flat_no", String(20)),
    Column("postal_code", String(6)),
    Column("city", String(80)),
    Column("district", String(80)),
    Column("pkd", String(10)),
    Column("phone", String(20)),
    Column("email", String(255)),
    Column("consent_sms", Boolean),
    Column("consent_email", Boolean),
    Column("legacy_modified_at", DateTime(timezone=True)),
    Column("status", String(12)),
    # Filled once the contractors are merged: the id of the row in `contractors`.
    Column("contractor_id", Integer, info={"derived": True}),
    key=["legacy_id"],
)
Index("ix_stg_contractors_contractor_id", contractors.c.contractor_id)

#: Contact points the snapshot gives, one row per contractor, channel and value.
contacts = Table(
    "stg_contacts",
    staging_metadata,
    Column("contractor_id", Integer),
    Column("channel", String(10)),
    Column("value", String(255)),
    Index("ix_stg_contacts_key", "contractor_id", "channel", "value"),
    prefixes=["TEMPORARY"],
)

attributes = _table(
    "stg_attributes",
    Column("contractor_legacy_id", String(40)),
    Column("code", String(40)),
    Column("value", String(255)),
    Column("value_number", Numeric(18, 4)),
    Column("value_date", Date),
    key=["contractor_legacy_id", "code"],
)

obligations = _table(
    "stg_obligations",
    Column("legacy_id", String(40)),
    Column("contractor_legacy_id", String(40)),
    Column("unit_code", String(20)),
    Column("kind", String(4)),
    Column("description", String(255)),
    Column("basis", Text),
    Column("document_no", String(80)),
    Column("period", String(40)),
    Column("due_on", Date),
    Column("amount", Numeric(14, 2)),
    Column("assessed_on", Date),
    Column("status", String(12)),
    key=["legacy_id"],
)

payments = _table(
    "stg_payments",
    Column("legacy_id", String(40)),
    Column("contractor_legacy_id", String(40)),
    Column("obligation_legacy_id", String(40)),
    Column("paid_on", Date),
    Column("amount", Numeric(14, 2)),
    Column("method", String(2)),
    Column("description", String(255)),
    key=["legacy_id"],
)

appointments = _table(
    "stg_appointments",
    Column("legacy_id", String(40)),
    Column("contractor_legacy_id", String(40)),
    Column("unit_code", String(20)),
    Column("starts_at", DateTime(timezone=True)),
    Column("description", String(255)),
    Column("place", String(120)),
    key=["legacy_id"],
)

rejects = Table(
    "stg_rejects",
    staging_metadata,
    Column("severity", String(8)),
    Column("file", String(40)),
    Column("line", Integer),
    Column("key", String(255)),
    Column("field", String(40)),
    Column("value", String(255)),
    Column("reason", String(255)),
    prefixes=["TEMPORARY"],
)

#: Legacy ids of snapshot rows that are new or differ from their record, per entity: found in
#: one pass, so the statements that write touch only these (none for an identical snapshot).
changed = Table(
    "stg_changed",
    staging_metadata,
    Column("entity", String(20)),
    Column("legacy_id", String(40)),
    Index("ix_stg_changed_key", "entity", "legacy_id"),
    prefixes=["TEMPORARY"],
)

#: Legacy ids a partial (API) import cancels, per entity (`obligation`, `payment`).
cancelled = Table(
    "stg_cancelled",
    staging_metadata,
    Column("entity", String(20)),
    Column("legacy_id", String(40)),
    Index("ix_stg_cancelled_key", "entity", "legacy_id"),
    prefixes=["TEMPORARY"],
)

#: Obligations whose allocations the merge changed (repeats allowed): their paid amounts are
#: summed again at the end of the payments' merge (`merge_paid`).
paid_touched = Table(
    "stg_paid_touched",
    staging_metadata,
    Column("obligation_id", Integer),
    prefixes=["TEMPORARY"],
)

ALL = (units, contractors, attributes, obligations, payments, appointments, rejects, contacts,
       changed, cancelled, paid_touched)
#: Tables filled in bulk: their indexes are built after the load (see index_and_analyze).
BULK_LOADED = (units, contractors, attributes, obligations, payments, appointments, contacts)


def create_tables(conn: Connection) -> None:
    """Create the staging tables (without indexes: they are built after the load)."""
    for table in ALL:
        conn.execute(_drop_sql(table))
        table.create(conn)
    for table in BULK_LOADED:
        for index in table.indexes:
            conn.execute(_drop_index_sql(index))


def index_and_analyze(conn: Connection, table: Table) -> None:
    """Build the staging table's index after the load and give the planner statistics."""
    for index in table.indexes:
        index.create(conn)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {table.name}")


def analyze_if_grown(conn: Connection, table_name: str, inserted: int, *, threshold: int = 10_000) -> None:
    """Refresh the planner's statistics of a table that just received many rows.

    Later statements of the same transaction join against it; without this PostgreSQL plans
    them for the table's old, often empty, size. ANALYZE sees the transaction's own rows.
    """
    if inserted >= threshold and conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {table_name}")


def drop_tables(conn: Connection) -> None:
    """Drop the staging tables."""
    for table in ALL:
        conn.execute(_drop_sql(table))


def _drop_sql(table: Table):
    from sqlalchemy import text

    return text(f"DROP TABLE IF EXISTS {table.name}")


def _drop_index_sql(index: Index):
    from sqlalchemy import text

    return text(f"DROP INDEX IF EXISTS {index.name}")


class BulkLoader:
    """Collects rows for one staging table and writes them in large batches."""

    def __init__(self, conn: Connection, table: Table, *, batch_size: int = 20_000) -> None:
        self.conn = conn
        self.table = table
        self.columns = [c.name for c in table.columns if not c.info.get("derived")]
        self.batch_size = batch_size
        self.pending: list[tuple] = []
        self.count = 0
        self._postgres = conn.dialect.name == "postgresql"

    def add(self, row: tuple) -> None:
        """Queue one row (values in the table's column order)."""
        self.pending.append(row)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows."""
        if not self.pending:
            return
        if self._postgres:
            self._copy(self.pending)
        else:
            self.conn.execute(
                insert(self.table), [dict(zip(self.columns, row, strict=True)) for row in self.pending]
            )
        self.count += len(self.pending)
        self.pending.clear()

    def _copy(self, rows: Iterable[tuple]) -> None:
        raw = self.conn.connection.driver_connection
        with raw.cursor() as cursor:
            sql = f"COPY {self.table.name} ({', '.join(self.columns)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
