"""The index of recipients holds SMS only

Every question by recipient is about a phone number (replies, the inbox thread, the API); an
email's address in the index was written three times per message (created, claimed, sent) for
nothing.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 02:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

SMS = "channel = 'sms'"


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_recipient')
        batch_op.create_index('ix_messages_recipient', ['recipient', 'created_at'], unique=False,
                              postgresql_where=sa.text(SMS), sqlite_where=sa.text(SMS))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_recipient')
        batch_op.create_index('ix_messages_recipient', ['recipient', 'created_at'], unique=False)
