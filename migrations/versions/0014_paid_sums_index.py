"""Indexes that answer an obligation's paid sum alone

The portal's dashboard and obligations list sum, per obligation, the allocations of active
payments. The allocations index now carries the payment and the amount, and a partial index
names the active payments, so both probes are index-only.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_allocations_obligation')
        batch_op.create_index('ix_allocations_obligation', ['obligation_id'], unique=False,
                              postgresql_include=['payment_id', 'amount'])
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_active', ['id'], unique=False,
                              postgresql_where=sa.text("status = 'active'"),
                              sqlite_where=sa.text("status = 'active'"))


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_active')
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_allocations_obligation')
        batch_op.create_index('ix_allocations_obligation', ['obligation_id'], unique=False)
