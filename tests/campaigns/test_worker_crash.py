"""Killing the worker mid-campaign and starting it again changes nothing in what recipients got.

A real worker runs as a separate process against the test database and the fake SMSAPI and
SendGrid (served over HTTP by this process, slowly, so requests are in flight when it dies):

- with `TEST_REDIS_URL` set (`.ci/run`), the production `dramatiq worker` with the Redis broker;
  after the kill this process runs the recovery paths the scheduler enqueues every minute
  (the campaigns' upkeep and the channels' reconciliation) with thresholds of seconds;
- without Redis (`make test` on SQLite), a process running the embedded platform's worker (the
  app's actors on its in-process broker) and those recovery paths in a loop, as `make run` does.

The worker is killed with SIGKILL while requests of both providers are in flight, most runs also
while the fan-out is still creating messages (the test prints which). SMSAPI refuses an `idx` it already has, so an SMS whose fate the kill left unknown is
simply sent again; SendGrid does not, and reports each accepted email with a `processed` event
within seconds (long before reconciliation would try it again), which the fake posts to our
webhook here. Then every recipient must have got exactly one message, each its own text, and
every message row must be `sent`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from app.accounts.models import Consent, ContactPoint, Contractor
from app.audiences.models import Segment
from app.broker import namespace
from app.campaigns import workflow
from app.campaigns.models import Campaign, CampaignStatus
from app.channels.models import Message, ProviderEvent
from tests.factories import create_staff_user
from tests.fakes import FakeSendgrid, FakeSmsapi

ROOT = Path(__file__).resolve().parents[2]
BUSINESSES = 240
LATENCY = 0.25  # seconds per provider request: the kill finds requests in flight
#: Seconds after which reconciliation looks again at a message (`created` and queued, or
#: `sending`) and the campaigns' upkeep restarts a fan-out that made nothing new.
THRESHOLD = 2

pytestmark = pytest.mark.usefixtures("daytime")


def _redis() -> bool:
    return bool(os.environ.get("TEST_REDIS_URL"))


# -- the worker process -------------------------------------------------------------------------

#: Without Redis: the embedded platform's worker (the actors on the in-process stub broker) and,
#: in a loop, the jobs the scheduler would enqueue: the campaigns' upkeep and reconciliation.
EMBEDDED_WORKER = """
import os, time
from dramatiq import Worker
from app import create_app
from app.broker import broker
from app.campaigns.fanout import due_work, settle
from app.campaigns.tasks import fan_out, fan_out_urgent, start_campaign, start_urgent_campaign
from app.channels.reconcile import reconcile

app = create_app()
Worker(broker, worker_threads=4, worker_timeout=100).start()
stall = float(os.environ["STALL_SECONDS"])
print("ready", flush=True)
while True:
    with app.app_context():
        work = due_work(stall_seconds=stall)
        for campaign_id, urgent in work["due"]:
            (start_urgent_campaign if urgent else start_campaign).send(campaign_id)
        for campaign_id, urgent in work["stalled"]:
            (fan_out_urgent if urgent else fan_out).send(campaign_id)
        for campaign_id in work["settling"]:
            settle(campaign_id)
        reconcile()
    time.sleep(0.3)
"""


class WorkerProcess:
    """A worker in a process group of its own, so SIGKILL takes all its processes at once."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        if _redis():
            command = [str(Path(sys.executable).with_name("dramatiq")), "worker", "--processes", "1",
                       "--threads", "4", "--queues", "urgent", "messages", "default", "imports"]
        else:
            command = [sys.executable, "-c", EMBEDDED_WORKER]
        self.log = log
        with log.open("a") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out,
                                            start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the worker and every process it started."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _environment(database_url: str, smsapi: FakeSmsapi, sendgrid: FakeSendgrid, tmp_path: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "INSTANCE_DIR": str(tmp_path),
           "SECRET_KEY": "test-secret", "EMBEDDED_WORKER": "0", "EMBEDDED_SCHEDULER": "0",
           "SMSAPI_TOKEN": smsapi.token, "SMSAPI_URL": smsapi.url, "SMSAPI_RATE": "1000",
           "SENDGRID_API_KEY": sendgrid.api_key, "SENDGRID_URL": sendgrid.url, "SENDGRID_RATE": "1000",
           "QUIET_HOURS": "00:00-00:00", "SMSAPI_BATCH": "6", "SENDGRID_BATCH": "6", "MESSAGE_BATCH": "12",
           "CAMPAIGN_CHUNK": "8", "CAMPAIGN_LANES": "3", "CAMPAIGN_LANE_MEMBERS": "10",
           "STALE_QUEUED_SECONDS": str(THRESHOLD),
           "STUCK_SENDING_SECONDS": str(THRESHOLD), "STALL_SECONDS": str(THRESHOLD)}
    if _redis():
        env["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    else:
        env.pop("REDIS_URL", None)
    return env


# -- the town and the campaign ------------------------------------------------------------------


def _town(db) -> tuple[dict[str, str], dict[str, str]]:
    """Businesses of one district with a mobile phone, an email and consent to both.

    Returns the business name of each phone number and of each email address.
    """
    db.session.execute(insert(Contractor), [
        {"legacy_id": f"W{n:06d}", "kind": "OF", "name": f"Zakład nr {n:03d} „Mazur”", "city": "Ełk",
         "district": "Bogdanowicza"} for n in range(1, BUSINESSES + 1)])
    names = dict(db.session.execute(select(Contractor.id, Contractor.name).where(
        Contractor.district == "Bogdanowicza")).all())
    ids = sorted(names)
    phones = {cid: f"+48601{cid:06d}" for cid in ids}
    emails = {cid: f"zaklad{cid}@firma.example.pl" for cid in ids}
    db.session.execute(insert(ContactPoint), [
        {"contractor_id": cid, "channel": channel, "value": value, "number_class": klass}
        for cid in ids for channel, value, klass in (("sms", phones[cid], "mobile"), ("email", emails[cid], None))])
    db.session.execute(insert(Consent), [
        {"contractor_id": cid, "channel": channel, "granted": True, "source": "legacy"}
        for cid in ids for channel in ("sms", "email")])
    db.session.commit()
    return ({phones[cid]: names[cid] for cid in ids}, {emails[cid]: names[cid] for cid in ids})


def _approved_campaign(db) -> int:
    author = create_staff_user(roles=("communicator",), phone="+48600999101")
    approver = create_staff_user(roles=("approver",), phone="+48600999102")
    segment = Segment(name="Bogdanowicza", rule={"field": "district", "op": "eq", "value": "Bogdanowicza"})
    db.session.add(segment)
    db.session.commit()
    campaign = workflow.create_draft(
        author, name="Odbiór odpadów", category="regional_event", channel_mode="both",
        sms_text="{{ nazwa }}: w sobotę odbiór odpadów wielkogabarytowych. {{ link }}",
        email_subject="Odbiór odpadów – {{ nazwa }}",
        email_text="Dzień dobry,\n\n{{ nazwa }}: w sobotę odbieramy odpady wielkogabarytowe.\n\n{{ link }}",
        segment_id=segment.id)
    workflow.submit(campaign, author)
    workflow.approve(campaign, approver)  # with Redis the worker is asked to start it at once
    return campaign.id


# -- what happened ------------------------------------------------------------------------------


def _statuses(db, campaign_id: int) -> Counter:
    db.session.expire_all()
    rows = db.session.execute(select(Message.status, func.count()).where(
        Message.origin == f"campaign:{campaign_id}").group_by(Message.status)).all()
    db.session.commit()
    return Counter(dict(rows))


def _campaign(db, campaign_id: int) -> Campaign:
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    db.session.commit()
    return campaign


def _in_flight(db, campaign_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Message.channel, func.count()).where(
        Message.origin == f"campaign:{campaign_id}", Message.status == "sending").group_by(Message.channel)).all()
    db.session.commit()
    return dict(rows)


def _accepted(smsapi: FakeSmsapi, sendgrid: FakeSendgrid) -> int:
    return smsapi.stats()["accepted"] + sendgrid.stats()["accepted"]


def _wait(condition, timeout: float, what: str, state) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}: {state()}")


def _report_processed_emails(app, db, sendgrid: FakeSendgrid) -> int:
    """SendGrid's `processed` event of every email it accepted, posted to our webhook and applied."""
    from werkzeug.serving import make_server

    from app.channels.events import process_events

    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = sendgrid.public_key
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        events = sendgrid.events_for("processed")
        status = sendgrid.post_events(f"http://127.0.0.1:{server.port}/hooks/sendgrid/events", events)
        assert status == 200, f"the webhook answered {status}"
    finally:
        server.shutdown()
        thread.join()
    db.session.expire_all()
    pending = list(db.session.scalars(select(ProviderEvent.id).where(ProviderEvent.processed_at.is_(None))))
    db.session.commit()
    process_events(pending)  # the worker's job; done here so it precedes any reconciliation
    return len(events)


def _recover() -> None:
    """One round of what the scheduler enqueues every minute, run here (the worker does the work)."""
    from app.campaigns.fanout import due_work, settle
    from app.campaigns.tasks import fan_out, start_campaign
    from app.channels.reconcile import reconcile

    work = due_work(stall_seconds=THRESHOLD)
    for campaign, _urgent in work["due"]:
        start_campaign.send(campaign)
    for campaign, _urgent in work["stalled"]:
        fan_out.send(campaign)
    for campaign in work["settling"]:
        settle(campaign)
    reconcile()


def _broker_state() -> dict:
    """Messages waiting in each Redis queue and held by each consumer (nothing without Redis)."""
    if not _redis():
        return {}
    import redis

    client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    state = {}
    for key in client.scan_iter(f"{namespace()}:*"):
        kind = client.type(key).decode()
        size = {"list": client.llen, "set": client.scard, "zset": client.zcard, "hash": client.hlen}.get(kind)
        state[key.decode()] = size(key) if size else kind
    return state


def _clean_broker() -> None:
    from app.broker import broker

    broker.flush_all()
    if _redis():
        import redis

        client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
        for key in client.scan_iter(f"{namespace()}:__acks__.*"):  # what the killed worker held
            client.delete(key)
        client.delete(f"{namespace()}:__heartbeats__")


# -- the test -----------------------------------------------------------------------------------


def test_killing_the_worker_mid_campaign_changes_nothing_recipients_get(app, db, database_url, tmp_path):
    app.config.update(STALE_QUEUED_SECONDS=THRESHOLD, STUCK_SENDING_SECONDS=THRESHOLD, CAMPAIGN_CHUNK=8,
                      CAMPAIGN_LANES=3, CAMPAIGN_LANE_MEMBERS=10,
                      MESSAGE_BATCH=12, SMSAPI_BATCH=6, SENDGRID_BATCH=6, SMSAPI_RATE=1000.0,
                      SENDGRID_RATE=1000.0)
    _clean_broker()
    phones, emails = _town(db)
    expected = len(phones) + len(emails)
    log = tmp_path / "worker.log"
    workers: list[WorkerProcess] = []
    with FakeSmsapi("crash-token", LATENCY) as smsapi, FakeSendgrid("SG.crash", LATENCY) as sendgrid:
        app.config.update(SMSAPI_TOKEN=smsapi.token, SMSAPI_URL=smsapi.url,
                          SENDGRID_API_KEY=sendgrid.api_key, SENDGRID_URL=sendgrid.url)
        env = _environment(database_url, smsapi, sendgrid, tmp_path)

        def state() -> str:
            campaign = _campaign(db, campaign_id)
            return (f"campaign {campaign.status}, fanned out {campaign.fanned_out_at is not None}, "
                    f"messages {dict(_statuses(db, campaign_id))}, SMSAPI {smsapi.stats()}, "
                    f"SendGrid {sendgrid.stats()}; broker {_broker_state()}; worker log: {log.read_text()[-2000:]}")

        try:
            workers.append(WorkerProcess(env, log))
            started = time.monotonic()
            campaign_id = _approved_campaign(db)

            # Kill it once the providers have taken some messages, while the fan-out is still creating
            # messages and requests of both providers are in flight (or, failing that, of one).
            _wait(lambda: _accepted(smsapi, sendgrid) >= 12, 40, "the first messages at the providers", state)
            try:
                _wait(lambda: len(_in_flight(db, campaign_id)) == 2, 5, "", str)
            except AssertionError:
                _wait(lambda: _in_flight(db, campaign_id), 10, "a request in flight", state)
            workers[-1].kill()
            at_kill = {"accepted": _accepted(smsapi, sendgrid), "statuses": _statuses(db, campaign_id),
                       "in flight": _in_flight(db, campaign_id),
                       "fanned out": _campaign(db, campaign_id).fanned_out_at is not None,
                       "after": time.monotonic() - started}
            assert at_kill["accepted"] < expected, "the worker finished before it was killed"
            time.sleep(LATENCY + 0.3)  # requests in flight reach the fakes (or not) before the events

            processed = _report_processed_emails(app, db, sendgrid)
            workers.append(WorkerProcess(env, log))
            time.sleep(THRESHOLD)  # what the dead worker held is now looked at again

            last_round = [0.0]

            def finished() -> bool:
                if _redis() and time.monotonic() - last_round[0] > 1:
                    _recover()
                    last_round[0] = time.monotonic()
                statuses = _statuses(db, campaign_id)
                return (statuses["sent"] == expected and sum(statuses.values()) == expected
                        and _campaign(db, campaign_id).status == CampaignStatus.FINISHED)

            _wait(finished, 45, "every message sent and the campaign finished", state)
        finally:
            for worker in workers:
                worker.kill()
            _clean_broker()

        # What the recipients got: one message each, their own text.
        db.session.expire_all()
        bodies = {m.recipient: m.body for m in db.session.scalars(
            select(Message).where(Message.origin == f"campaign:{campaign_id}"))}
        db.session.commit()
        texts = Counter(f"+{sms.number}" for sms in smsapi.sent)
        assert set(texts) == set(phones), "an SMS went to someone outside the audience, or someone got none"
        assert [n for n, times in texts.items() if times > 1] == [], "an SMS reached someone twice"
        for sms in smsapi.sent:
            assert sms.text == bodies[f"+{sms.number}"] and sms.text.startswith(phones[f"+{sms.number}"])
        received = Counter(address for email in sendgrid.sent for address in email.recipients)
        assert set(received) == set(emails), "an email went to someone outside the audience, or someone got none"
        assert [a for a, times in received.items() if times > 1] == [], "an email reached someone twice"
        for email in sendgrid.sent:
            address = email.recipients[0]
            plain = next(block["value"] for block in email.content if block["type"] == "text/plain")
            assert plain == bodies[address] and emails[address] in plain
            assert email.subject == f"Odbiór odpadów – {emails[address]}"
        assert smsapi.duplicates == 0 and sendgrid.duplicates == 0
        print(f"killed {at_kill['after']:.1f} s after approval with {at_kill['accepted']} messages at the "
              f"providers, {dict(at_kill['statuses'])} in the outbox ({at_kill['in flight']} in flight), fan-out "
              f"{'done' if at_kill['fanned out'] else 'under way'}; {processed} processed events posted; "
              f"{smsapi.refused_duplicates} SMS requests refused as repeats by check_idx")
