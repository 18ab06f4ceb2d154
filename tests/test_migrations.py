"""The migration history builds exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def test_autogenerate_finds_no_difference(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
