"""Message contents shared by many messages

A campaign's emails shared one HTML and one text with markers, yet each row carried a copy: a
hundred thousand copies to write, compress, log and read back. They now point at one row of
`message_contents`; existing messages get theirs (one per distinct text and HTML).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:50:00

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PAGE = 5000


def _digest(template, html):
    # As app.channels.models.content_digest computes it (a migration keeps its own copy).
    return hashlib.sha256(f"{template is None}{template or ''}\x00{html is None}{html or ''}".encode()).hexdigest()


def upgrade():
    contents = op.create_table('message_contents',
    sa.Column('id', BigId, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('template', sa.Text(), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_contents')),
    sa.UniqueConstraint('digest', name=op.f('uq_message_contents_digest'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_id', BigId, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_messages_content_id_message_contents'), 'message_contents',
                                    ['content_id'], ['id'])
    bind = op.get_bind()
    messages = sa.table('messages', sa.column('id', BigId), sa.column('template', sa.Text),
                        sa.column('html', sa.Text), sa.column('content_id', BigId))
    known: dict[str, int] = {}
    after = 0
    while True:
        rows = bind.execute(sa.select(messages.c.id, messages.c.template, messages.c.html)
                            .where(messages.c.id > after,
                                   sa.or_(messages.c.template.is_not(None), messages.c.html.is_not(None)))
                            .order_by(messages.c.id).limit(PAGE)).all()
        if not rows:
            break
        after = rows[-1].id
        links = []
        for row in rows:
            digest = _digest(row.template, row.html)
            if digest not in known:
                known[digest] = bind.execute(contents.insert().values(
                    digest=digest, template=row.template, html=row.html).returning(contents.c.id)).scalar_one()
            links.append({"message_id": row.id, "content": known[digest]})
        bind.execute(messages.update().where(messages.c.id == sa.bindparam("message_id"))
                     .values(content_id=sa.bindparam("content")), links)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('template')
        batch_op.drop_column('html')


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('template', sa.Text(), nullable=True))
    op.execute("UPDATE messages SET template = (SELECT template FROM message_contents c WHERE c.id = messages.content_id), "
               "html = (SELECT html FROM message_contents c WHERE c.id = messages.content_id) "
               "WHERE content_id IS NOT NULL")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_content_id_message_contents'), type_='foreignkey')
        batch_op.drop_column('content_id')
    op.drop_table('message_contents')
