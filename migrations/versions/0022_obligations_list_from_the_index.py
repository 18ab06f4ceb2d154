"""The obligations list chooses its page from an index

`ix_obligations_contractor_due` (a business's obligations by due date) now carries the unit,
status, kind, amount and paid amount: the list counts and pages a business's unpaid obligations
from the index alone (an index-only scan on PostgreSQL) and reads only the page's rows from the
table, instead of one table row per obligation the business has. The years the year filter offers
come from the same index.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 08:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_index('ix_obligations_contractor_due')
        batch_op.create_index('ix_obligations_contractor_due', ['contractor_id', 'due_on', 'id'], unique=False,
                              postgresql_include=['unit_id', 'status', 'kind', 'amount', 'paid_amount'])


def downgrade():
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_index('ix_obligations_contractor_due')
        batch_op.create_index('ix_obligations_contractor_due', ['contractor_id', 'due_on', 'id'], unique=False)
