"""FK export batches and bank statement imports

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.create_index('ix_obligations_document_no', ['document_no'], unique=False)

    op.create_table('fk_export_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('created_via', sa.String(length=10), nullable=False),
    sa.Column('payment_count', sa.Integer(), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('first_paid_on', sa.Date(), nullable=True),
    sa.Column('last_paid_on', sa.Date(), nullable=True),
    sa.Column('download_count', sa.Integer(), nullable=False),
    sa.Column('last_downloaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fk_export_batches'))
    )
    op.create_table('bank_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('account', sa.String(length=34), nullable=True),
    sa.Column('statement_no', sa.String(length=40), nullable=True),
    sa.Column('opening_balance', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('closing_balance', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=255), nullable=True),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('booked_count', sa.Integer(), nullable=False),
    sa.Column('unmatched_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_bank_statements_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statements')),
    sa.UniqueConstraint('sha256', name=op.f('uq_bank_statements_sha256'))
    )
    op.create_table('fk_exported_payments',
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['fk_export_batches.id'], name=op.f('fk_fk_exported_payments_batch_id_fk_export_batches')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_fk_exported_payments_payment_id_payments')),
    sa.PrimaryKeyConstraint('payment_id', name=op.f('pk_fk_exported_payments'))
    )
    with op.batch_alter_table('fk_exported_payments', schema=None) as batch_op:
        batch_op.create_index('ix_fk_exported_payments_batch', ['batch_id'], unique=False)

    op.create_table('statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('bank_reference', sa.String(length=40), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('counterparty_name', sa.String(length=255), nullable=True),
    sa.Column('counterparty_account', sa.String(length=34), nullable=True),
    sa.Column('virtual_account', sa.String(length=26), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('matched_by', sa.String(length=20), nullable=True),
    sa.Column('contractor_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by', sa.String(length=255), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractors.id'], name=op.f('fk_statement_lines_contractor_id_contractors')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_statement_lines_payment_id_payments')),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statements.id'], name=op.f('fk_statement_lines_statement_id_bank_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_lines')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_statement_lines_payment_id'))
    )
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.create_index('ix_statement_lines_fingerprint', ['fingerprint'], unique=False)
        batch_op.create_index('ix_statement_lines_statement', ['statement_id', 'line_no'], unique=False)
        batch_op.create_index('ix_statement_lines_status', ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_lines_status')
        batch_op.drop_index('ix_statement_lines_statement')
        batch_op.drop_index('ix_statement_lines_fingerprint')

    op.drop_table('statement_lines')
    with op.batch_alter_table('fk_exported_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_fk_exported_payments_batch')

    op.drop_table('fk_exported_payments')
    op.drop_table('bank_statements')
    op.drop_table('fk_export_batches')
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_index('ix_obligations_document_no')
