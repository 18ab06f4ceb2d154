"""A business's obligations in the order the dashboard reads them; balances from indexes alone

The dashboard's nearest unpaid items are a business's undated obligations and its dated ones by
due date: walking this index PostgreSQL stops after the first unpaid ones, instead of summing
what is paid for every obligation the business ever had and sorting them. A balance (the sums
of a business's obligations and payments in a unit) is read from the (business, unit) indexes
alone, which now carry the amount and status.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 04:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_obligations_contractor_due', 'obligations', ['contractor_id', 'due_on', 'id'], unique=False)
    for table in ('obligations', 'payments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_contractor_unit')
            batch_op.create_index(f'ix_{table}_contractor_unit', ['contractor_id', 'unit_id'], unique=False,
                                  postgresql_include=['amount', 'status'])


def downgrade():
    for table in ('obligations', 'payments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_contractor_unit')
            batch_op.create_index(f'ix_{table}_contractor_unit', ['contractor_id', 'unit_id'], unique=False)
    op.drop_index('ix_obligations_contractor_due', table_name='obligations')
