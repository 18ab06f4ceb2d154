"""Index of a frozen audience's addresses by member

A campaign's fan-out reads the addresses of each chunk of members; without this index every
chunk read all of the snapshot's addresses.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('snapshot_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_snapshot_recipients_member', ['snapshot_id', 'contractor_id'], unique=False)


def downgrade():
    with op.batch_alter_table('snapshot_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_snapshot_recipients_member')
