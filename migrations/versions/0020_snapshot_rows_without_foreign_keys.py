"""A frozen audience's rows without foreign keys to their snapshot

Freezing a 100,000-member audience writes 100,000 members and 200,000 addresses; PostgreSQL
checked the key of each row against the one snapshot row they all belong to, 1.8 s of the 7 s
that a campaign waits before its first message. The rows are written only by the freeze, in one
statement each, in the transaction that makes their snapshot, so their snapshot id is right by
construction; snapshots are never deleted (they are the record of who a campaign was for).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 04:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

TABLES = ('snapshot_members', 'snapshot_recipients')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_snapshot_id_audience_snapshots', type_='foreignkey')


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(f'fk_{table}_snapshot_id_audience_snapshots', 'audience_snapshots',
                                        ['snapshot_id'], ['id'], ondelete='CASCADE')
