"""Message texts compressed with lz4 where the server has it

A campaign writes a hundred thousand email rows whose texts PostgreSQL compresses (the default
pglz) and reads back when they are sent; lz4 does both in a fraction of the time. Values already
stored keep their compression. Other databases, and servers built without lz4, are left as they are.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 02:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

COLUMNS = ("body", "html", "template", "headers", "params")


def _lz4_available(bind) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")).scalar())


def _compress(method: str) -> None:
    bind = op.get_bind()
    if _lz4_available(bind):
        op.execute("ALTER TABLE messages " + ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in COLUMNS))


def upgrade():
    _compress("lz4")


def downgrade():
    _compress("pglz")
