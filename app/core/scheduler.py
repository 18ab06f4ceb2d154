"""The scheduler: one process that only enqueues periodic work.

Features register jobs with `periodic(...)`; the embedded default runs them in a
`BackgroundScheduler` inside the web process, production runs `flask scheduler` (a
`BlockingScheduler`) kept single by a PostgreSQL advisory lock (a file lock on SQLite).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import text

log = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that keeps the scheduler single.
ADVISORY_LOCK_KEY = 7_314_159


@dataclass
class PeriodicJob:
    """A job that enqueues work; `trigger` and `trigger_args` as APScheduler takes them."""

    id: str
    func: Callable[[], Any]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)


JOBS: dict[str, PeriodicJob] = {}


def periodic(job_id: str, trigger: str, **trigger_args: Any):
    """Register the decorated function as a periodic job (it must only enqueue)."""

    def decorator(func: Callable[[], Any]) -> Callable[[], Any]:
        JOBS[job_id] = PeriodicJob(job_id, func, trigger, trigger_args)
        return func

    return decorator


def _in_context(app: Flask, func: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                func()
            except Exception:  # a failed run must not stop the scheduler
                log.exception("periodic job %s failed", getattr(func, "__name__", func))

    return run


def add_jobs(app: Flask, scheduler) -> None:
    """Add every registered job to an APScheduler scheduler."""
    for job in JOBS.values():
        scheduler.add_job(
            _in_context(app, job.func),
            job.trigger,
            id=job.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
            timezone=app.config["TIMEZONE"],
            **job.trigger_args,
        )


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """Start the in-process scheduler of the embedded default."""
    scheduler = BackgroundScheduler(timezone=app.config["TIMEZONE"])
    add_jobs(app, scheduler)
    scheduler.start()
    return scheduler


class SchedulerLock:
    """Held while this process is the scheduler; `acquire()` is False when another one is."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        from app.core.extensions import db

        engine = db.engine
        if engine.dialect.name == "postgresql":
            self._connection = engine.connect()
            got = self._connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
            self._connection.commit()
            return bool(got)
        path = os.path.join(self.app.instance_path, "scheduler.lock")
        os.makedirs(self.app.instance_path, exist_ok=True)
        self._file = open(path, "w")  # noqa: SIM115 (held open for the lock's lifetime)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._file is not None:
            self._file.close()


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler (only one runs at a time; a second one exits)."""
    app = current_app._get_current_object()
    lock = SchedulerLock(app)
    if not lock.acquire():
        raise click.ClickException("another scheduler is already running")
    scheduler = BlockingScheduler(timezone=app.config["TIMEZONE"])
    add_jobs(app, scheduler)
    click.echo(f"scheduler running {len(JOBS)} job(s): {', '.join(sorted(JOBS)) or 'none'}")
    try:
        scheduler.start()
    finally:
        lock.release()
