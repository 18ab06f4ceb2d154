"""Portal: consent to data processing per unit, late interest settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_unit_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['portal_user_id'], ['portal_users.id'], name=op.f('fk_portal_unit_consents_portal_user_id_portal_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_portal_unit_consents_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_unit_consents'))
    )
    with op.batch_alter_table('portal_unit_consents', schema=None) as batch_op:
        batch_op.create_index('ix_portal_unit_consents_user_unit', ['portal_user_id', 'unit_id'], unique=False)

    op.create_table('late_interest_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_interest_rates')),
    sa.UniqueConstraint('valid_from', name=op.f('uq_late_interest_rates_valid_from'))
    )

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_interest_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('late_interest_enabled')
    op.drop_table('late_interest_rates')
    with op.batch_alter_table('portal_unit_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_unit_consents_user_unit')
    op.drop_table('portal_unit_consents')
