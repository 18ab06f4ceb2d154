"""Partial indexes of the outbox: waiting messages, and references of sent ones

The index of statuses held an entry for every message ever sent, and every claim and every
sent message added one more; it now holds only messages waiting or being sent. The index of
provider references no longer holds the messages that have none.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

WAITING = "status IN ('created', 'sending')"
HAS_REFERENCE = "provider_ref IS NOT NULL"


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_status_send_after')
        batch_op.create_index('ix_messages_status_send_after', ['status', 'send_after'], unique=False,
                              postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))
        batch_op.drop_index('ix_messages_provider_ref')
        batch_op.create_index('ix_messages_provider_ref', ['provider_ref'], unique=False,
                              postgresql_where=sa.text(HAS_REFERENCE), sqlite_where=sa.text(HAS_REFERENCE))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_provider_ref')
        batch_op.create_index('ix_messages_provider_ref', ['provider_ref'], unique=False)
        batch_op.drop_index('ix_messages_status_send_after')
        batch_op.create_index('ix_messages_status_send_after', ['status', 'send_after'], unique=False)
