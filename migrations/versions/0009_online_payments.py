"""Online payments through a gateway

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('online_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('portal_user_id', sa.Integer(), nullable=True),
    sa.Column('contractor_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('gateway', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('gateway_token', sa.String(length=100), nullable=True),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('failure_reason', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractors.id'], name=op.f('fk_online_payments_contractor_id_contractors')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_online_payments_payment_id_payments')),
    sa.ForeignKeyConstraint(['portal_user_id'], ['portal_users.id'], name=op.f('fk_online_payments_portal_user_id_portal_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_online_payments_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_payments')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_online_payments_payment_id')),
    sa.UniqueConstraint('session_id', name=op.f('uq_online_payments_session_id'))
    )
    with op.batch_alter_table('online_payments', schema=None) as batch_op:
        batch_op.create_index('ix_online_payments_contractor', ['contractor_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_online_payments_gateway_token'), ['gateway_token'], unique=False)
        batch_op.create_index('ix_online_payments_status_created', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('online_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_online_payments_status_created')
        batch_op.drop_index(batch_op.f('ix_online_payments_gateway_token'))
        batch_op.drop_index('ix_online_payments_contractor')
    op.drop_table('online_payments')
