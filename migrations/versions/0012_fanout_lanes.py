"""Campaign fan-out lanes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_fanout_lanes',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('lane', sa.Integer(), nullable=False),
    sa.Column('first_member', sa.Integer(), nullable=False),
    sa.Column('last_member', sa.Integer(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_fanout_lanes_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'lane', name=op.f('pk_campaign_fanout_lanes'))
    )


def downgrade():
    op.drop_table('campaign_fanout_lanes')
