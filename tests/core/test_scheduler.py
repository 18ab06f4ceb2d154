"""The scheduler stays single and only enqueues."""

from app.core.scheduler import JOBS, SchedulerLock


def test_a_second_scheduler_cannot_take_the_lock(app):
    first, second = SchedulerLock(app), SchedulerLock(app)
    try:
        assert first.acquire() is True
        assert second.acquire() is False
    finally:
        first.release()
        second.release()
    third = SchedulerLock(app)
    assert third.acquire() is True
    third.release()


def test_the_snapshot_inbox_job_is_registered(app):
    assert JOBS["legacy-inbox"].trigger == "interval"
