"""Test fixtures: a fresh database per run (built by the real migrations), clean tables per test.

SQLite and dramatiq's StubBroker by default; PostgreSQL and Redis when `TEST_DATABASE_URL`
and `TEST_REDIS_URL` are set (the run gets its own database on that server, dropped at the end).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

if os.environ.get("TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    # This run's own broker keys: a worker left by another run on the same Redis takes nothing of ours.
    os.environ["REDIS_NAMESPACE"] = f"pw-test-{os.getpid()}"
else:
    os.environ.pop("REDIS_URL", None)

from sqlalchemy import text  # noqa: E402

from app import create_app  # noqa: E402
from app.core.config import TestConfig  # noqa: E402
from app.core.databases import create_scratch_database  # noqa: E402

TRANSLATIONS = Path(__file__).resolve().parent.parent / "app" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """Compile the UI catalogues whose .mo is missing or stale (as `make translations` does)."""
    stale = [
        po for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        pybabel = Path(sys.executable).with_name("pybabel")
        subprocess.run([str(pybabel), "compile", "-f", "-d", str(TRANSLATIONS)], check=True,
                       capture_output=True)


@pytest.fixture(scope="session", autouse=True)
def broker_keys():
    """At the end of the run, remove this run's broker keys from Redis (nothing without Redis)."""
    yield
    if os.environ.get("REDIS_NAMESPACE", "").startswith("pw-test-"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        for key in client.scan_iter(f"{os.environ['REDIS_NAMESPACE']}:*"):
            client.delete(key)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database for this test run with the schema built by `flask db upgrade`."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, drop = create_scratch_database(base, prefix="pw_test")
    else:
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}", lambda: None
    app = create_app(_config(url))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from app.core.extensions import db

        db.engine.dispose()
    yield url
    drop()


def _config(url: str) -> dict:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = url
    return config


@pytest.fixture
def app(database_url, tmp_path):
    """The application bound to the test database; every table is emptied afterwards."""
    application = create_app({**_config(database_url), "INSTANCE_DIR": str(tmp_path),
                              "LEGACY_INBOX": str(tmp_path / "legacy-inbox")})
    application.instance_path = str(tmp_path)
    # The fixture holds an application context and Flask reuses it for test requests; give
    # every request an empty `g` (signed-in user, locale, CSRF token) as in production.
    application.before_request_funcs.setdefault(None, []).insert(0, _clear_request_globals)
    with application.app_context():
        yield application
        from app.core.extensions import db

        db.session.remove()
        _empty_tables(db)
        db.engine.dispose()
    from app.broker import broker

    broker.flush_all()  # no test's leftover tasks reach the next test's worker


def _clear_request_globals() -> None:
    from flask import g

    for key in list(g):
        g.pop(key, None)


def _empty_tables(db) -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def db(app):
    """The SQLAlchemy extension, inside the app context."""
    from app.core.extensions import db as database

    return database


@pytest.fixture
def client(app):
    """A test client of the web application."""
    return app.test_client()


@pytest.fixture
def stub_worker():
    """An in-process dramatiq worker on the test broker; `join()` waits for queued work."""
    from dramatiq import Worker

    from app.broker import broker

    worker = Worker(broker, worker_timeout=100, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()
    broker.flush_all()
