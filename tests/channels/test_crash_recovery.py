"""Killing a worker (kill -9) in the middle of sending loses nothing and sends nothing twice.

Worker processes share work through Redis and the outbox through PostgreSQL, so this test runs
where `TEST_DATABASE_URL` and `TEST_REDIS_URL` are set (`.ci/run` sets both).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.channels.models import Message
from app.channels.reconcile import reconcile
from tests.fakes.smsapi import FakeSmsapi

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = int(os.environ.get('CRASH_MESSAGES', '10000'))

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="worker processes need PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)",
)


def start_worker(env: dict) -> subprocess.Popen:
    dramatiq = Path(sys.executable).with_name("dramatiq")
    return subprocess.Popen(
        [str(dramatiq), "worker", "--processes", "1", "--threads", "4", "--queues", "messages", "urgent"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def wait_for(condition, timeout: float, what: str, state=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: {state()}")


def _state(db, smsapi) -> str:
    db.session.expire_all()
    counts = dict(db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
    errors = db.session.execute(select(Message.error, func.count()).group_by(Message.error)).all()
    db.session.commit()
    return f"statuses {counts}, errors {errors[:5]}, provider has {len(smsapi.sent)}, " \
           f"refused duplicates {smsapi.refused_duplicates}"


def test_a_killed_worker_resumes_and_every_sms_reaches_the_provider_exactly_once(app, db, database_url):
    from app.broker import broker

    broker.flush_all()
    with FakeSmsapi(token="crash-token", latency=0.05) as smsapi:
        settings = {
            "SMSAPI_TOKEN": "crash-token", "SMSAPI_URL": smsapi.url, "SMSAPI_RATE": "1000",
            "SMSAPI_BATCH": "100", "MESSAGE_BATCH": "200", "QUIET_HOURS": "00:00-00:00",
            "STUCK_SENDING_SECONDS": "3", "STALE_QUEUED_SECONDS": "5",
        }
        app.config.update({k: (int(v) if v.isdigit() else v) for k, v in settings.items()})
        app.config["SMSAPI_RATE"] = 1000.0
        env = {**os.environ, **settings, "DATABASE_URL": database_url, "EMBEDDED_WORKER": "0",
               "EMBEDDED_SCHEDULER": "0"}
        shared = db.session.execute(text(
            "INSERT INTO message_contents (digest, template) VALUES ('crash', 'Komunikat nr [%1%]') RETURNING id"
        )).scalar_one()
        db.session.execute(text(
            "INSERT INTO messages (idempotency_key, channel, purpose, urgent, recipient, body, content_id,"
            " params, status, attempts, created_at)"
            " SELECT 'crash:' || n, 'sms', 'campaign', false, '+48' || (600000000 + n)::text,"
            " 'Komunikat nr ' || n, :shared, json_build_array(n::text), 'created', 0, now()"
            " FROM generate_series(1, :n) AS n"
        ), {"n": MESSAGES, "shared": shared})
        db.session.commit()
        assert reconcile()["queued"] == MESSAGES
        app.config["STALE_QUEUED_SECONDS"] = 30  # the first run queued everything: do not repeat it

        worker = start_worker(env)
        started = time.monotonic()
        try:
            wait_for(lambda: len(smsapi.sent) >= MESSAGES // 2, 120, "half of the messages")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            at_kill = len(smsapi.sent)
            db.session.expire_all()
            in_flight = db.session.scalar(select(func.count()).where(Message.status == "sending"))
            assert at_kill < MESSAGES, "the worker finished before it was killed"

            killed = time.monotonic()
            worker = start_worker(env)
            # Reconciliation (the scheduler's job) puts back what the dead worker held.
            app.config["STALE_QUEUED_SECONDS"] = 5  # tasks the dead worker had taken are lost with it
            time.sleep(4)  # past STUCK_SENDING_SECONDS: what the dead worker held is now stuck
            wait_for(lambda: _reconciled_and_sent(db) == MESSAGES, 180, "every message sent",
                     lambda: _state(db, smsapi))
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            broker.flush_all()

        received = [s.idx for s in smsapi.sent]
        assert len(received) == MESSAGES, f"{len(received) - len(set(received))} sent twice"
        assert len(set(received)) == MESSAGES
        assert smsapi.duplicates == 0
        print(f"killed after {killed - started:.1f} s, done {time.monotonic() - killed:.1f} s later; "
              f"killed at {at_kill} accepted, {in_flight} in flight; "
              f"{smsapi.refused_duplicates} re-sends refused by check_idx")


def _reconciled_and_sent(db) -> int:
    """Run a reconciliation (as the scheduler does every minute), then count sent messages."""
    reconcile()
    time.sleep(1)
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).where(Message.status == "sent"))
    db.session.commit()
    return count
