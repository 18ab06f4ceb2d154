"""Upgrading an outbox with texts in every row moves them into shared contents, and back."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.core.databases import create_scratch_database
from tests.conftest import _config

ROWS = [  # id, channel, template, html
    (1, "email", "Zapraszamy [%1%]", "<p>Zapraszamy [%1%]</p>"),
    (2, "email", "Zapraszamy [%1%]", "<p>Zapraszamy [%1%]</p>"),
    (3, "sms", None, None),
    (4, "email", None, "<p>Tylko dla Piekarni</p>"),
]


@pytest.fixture
def scratch_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    url, drop = create_scratch_database(base, prefix="pw_upgrade")
    yield url
    drop()


def test_texts_move_into_shared_contents_and_back(scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    app = create_app({**_config(scratch_url), "INSTANCE_DIR": str(tmp_path)})
    engine = create_engine(scratch_url)
    with app.app_context():
        upgrade(revision="0014")
        with engine.begin() as conn:
            for message_id, channel, template, html in ROWS:
                conn.execute(text(
                    "INSERT INTO messages (id, idempotency_key, channel, purpose, urgent, recipient, body, template, "
                    "html, status, attempts, created_at) VALUES (:id, :key, :channel, 'campaign', false, 'x', 'Treść', "
                    ":template, :html, 'sent', 1, CURRENT_TIMESTAMP)"),
                    {"id": message_id, "key": f"k{message_id}", "channel": channel, "template": template, "html": html})
        upgrade()
        with engine.connect() as conn:
            moved = {row.id: (row.content_id, row.template, row.html) for row in conn.execute(text(
                "SELECT m.id, m.content_id, c.template, c.html FROM messages m "
                "LEFT JOIN message_contents c ON c.id = m.content_id"))}
            assert conn.execute(text("SELECT count(*) FROM message_contents")).scalar() == 2
        assert moved[1][0] == moved[2][0] is not None  # the campaign's two emails share one content
        assert {i: (t, h) for i, (_c, t, h) in moved.items()} == {i: (t, h) for i, _ch, t, h in ROWS}
        assert moved[3][0] is None
        downgrade(revision="0014")
        with engine.connect() as conn:
            back = {row.id: (row.template, row.html) for row in conn.execute(
                text("SELECT id, template, html FROM messages"))}
        assert back == {i: (t, h) for i, _ch, t, h in ROWS}
    engine.dispose()
