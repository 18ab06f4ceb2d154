"""Benchmark of the sending engine on PostgreSQL and Redis against the fake providers.

    make bench-send                                  # 100,000 SMS + 100,000 emails, 50 ms latency
    BENCH_MESSAGES=20000 make bench-send

The fake SMSAPI and SendGrid servers run in a child process with the given latency; the
production worker command (`dramatiq worker --processes 2 --threads 8`) runs the actors. The
messages are written to the outbox first (not timed), then queued the way reconciliation queues
them (timed: the enqueue cost), and the clock stops when every message is `sent`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from app.core.databases import create_scratch_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def start_fakes(latency: float) -> tuple[subprocess.Popen, dict]:
    """Run the fake SMSAPI and SendGrid in a child process; returns it and their endpoints."""
    fakes = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "--latency", str(latency), "--token", "bench-token",
         "--api-key", "SG.bench"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    line = fakes.stdout.readline()
    if not line:
        sys.exit("the fake providers did not start")
    return fakes, json.loads(line)


def fake_stats(url: str) -> dict:
    """What a fake provider counted (requests, accepted, duplicates)."""
    with urllib.request.urlopen(url.rstrip("/") + "/_fake/stats", timeout=10) as response:
        return json.loads(response.read())


def _rss_mb(pid: int) -> int:
    """Resident memory of a process and its children, the largest single process, in MB."""
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in children]
    except FileNotFoundError:
        pass
    largest = 0
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) // 1024)
        except OSError:
            continue
    return largest


def _write_messages(url: str, count: int) -> None:
    """Write `count` SMS and `count` emails into the outbox with one INSERT ... SELECT each."""
    engine = create_engine(url)
    with engine.begin() as conn:
        shared = conn.execute(text(
            "INSERT INTO message_contents (digest, template) VALUES ('bench', "
            "'Dzień dobry, firma nr [%1%]: termin płatności 15 grudnia.') RETURNING id")).scalar_one()
        conn.execute(text("""
            INSERT INTO messages (idempotency_key, channel, purpose, urgent, recipient, body, content_id,
                                  params, status, attempts, created_at)
            SELECT 'bench:sms:' || n, 'sms', 'campaign', false, '+48' || (600000000 + n)::text,
                   CASE WHEN n % 2 = 0 THEN 'Urząd Miasta: jutro o 10:00 festyn na Starym Rynku.'
                        ELSE 'Dzień dobry, firma nr ' || n || ': termin płatności 15 grudnia.' END,
                   CASE WHEN n % 2 = 0 THEN NULL ELSE CAST(:shared AS bigint) END,
                   CASE WHEN n % 2 = 0 THEN NULL ELSE json_build_array(n::text) END,
                   'created', 0, now()
            FROM generate_series(1, :count) AS n
        """), {"count": count, "shared": shared})
        conn.execute(text("""
            INSERT INTO messages (idempotency_key, channel, purpose, urgent, recipient, subject, body,
                                  status, attempts, created_at)
            SELECT 'bench:email:' || n, 'email', 'campaign', false, 'firma' || n || '@example.com',
                   'Festyn na Starym Rynku', 'Zapraszamy jutro o 10:00.', 'created', 0, now()
            FROM generate_series(1, :count) AS n
        """), {"count": count})
        conn.execute(text("ANALYZE messages"))
    engine.dispose()


def _count(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM messages GROUP BY status")).all()
    engine.dispose()
    return {status: n for status, n in rows}


def main() -> None:
    """Run the benchmark and print its figures."""
    count = int(os.environ.get("BENCH_MESSAGES", "100000"))
    latency = float(os.environ.get("BENCH_LATENCY", "0.05"))
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    url, drop = create_scratch_database(base, prefix="pw_bench")
    fakes, endpoints = start_fakes(latency)
    env = {
        **os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "FLASK_APP": "app:create_app",
        "SMSAPI_TOKEN": "bench-token", "SMSAPI_URL": endpoints["smsapi"], "SMSAPI_RATE": "1000",
        "SENDGRID_API_KEY": "SG.bench", "SENDGRID_URL": endpoints["sendgrid"], "SENDGRID_RATE": "1000",
        "QUIET_HOURS": "00:00-00:00", "EMBEDDED_WORKER": "0", "EMBEDDED_SCHEDULER": "0",
    }
    worker = None
    try:
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        redis.Redis.from_url(redis_url).flushdb()
        started = time.perf_counter()
        _write_messages(url, count)
        written_s = time.perf_counter() - started
        worker = subprocess.Popen(
            [str(BIN / "dramatiq"), "worker", "--processes", "2", "--threads", "8",
             "--queues", "urgent", "messages"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(4)  # let the worker processes boot before the clock starts
        clock = time.perf_counter()
        enqueue = subprocess.run(
            [sys.executable, "-c", _ENQUEUE], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        queued, enqueue_s, send_s = json.loads(enqueue.stdout.strip().splitlines()[-1])
        total = 2 * count
        peak_rss, counts = 0, {}
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            counts = _count(url)
            peak_rss = max(peak_rss, _rss_mb(worker.pid))
            if counts.get("sent", 0) + counts.get("failed", 0) >= total:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - clock
        sms_stats, email_stats = fake_stats(endpoints["smsapi"]), fake_stats(endpoints["sendgrid"])
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        fakes.terminate()
        fakes.wait(timeout=10)
        drop()
    sent = counts.get("sent", 0)
    print(f"sending benchmark on PostgreSQL + Redis, {count:,} SMS + {count:,} emails, "
          f"fake providers with {latency * 1000:.0f} ms latency, worker 2 processes x 8 threads")
    print(f"  written to the outbox: {written_s:6.1f} s (INSERT ... SELECT, not counted)")
    print(f"  enqueue (broker):      {send_s * 1000 / max(queued, 1):8.4f} ms per message "
          f"({queued:,} ids in {send_s:.2f} s, batches of 500 ids)  target < 0.05 ms")
    print(f"  enqueue with marking:  {enqueue_s * 1000 / max(queued, 1):8.4f} ms per message "
          f"({enqueue_s:.2f} s: UPDATE ... RETURNING in chunks of 10,000, while the worker sends)")
    print(f"  queued to all sent:    {elapsed:6.1f} s, {sent / max(elapsed, 1e-9):,.0f} messages/s "
          f"({sent:,} sent, {counts.get('failed', 0):,} failed)  target < 40 s, >= 5,000/s")
    print(f"  SMSAPI:   {sms_stats['requests']:,} requests, {sms_stats['accepted']:,} SMS accepted, "
          f"{sms_stats['duplicates']} duplicates")
    print(f"  SendGrid: {email_stats['requests']:,} requests, {email_stats['accepted']:,} emails accepted, "
          f"{email_stats['duplicates']} duplicates")
    print(f"  worker peak RSS:       {peak_rss:6d} MB (largest worker process)  target < 250 MB")


#: Run in a child process with the benchmark's environment: queue every waiting message.
_ENQUEUE = """
import json, time
from app import create_app
from app.channels import outbox, reconcile
app = create_app()
with app.app_context():
    broker_seconds = 0.0
    original = outbox.enqueue_batches
    def timed(due):
        global broker_seconds
        started = time.perf_counter()
        original(due)
        broker_seconds += time.perf_counter() - started
    reconcile.enqueue_batches = timed
    started = time.perf_counter()
    queued = reconcile.queue_waiting()
    print(json.dumps([queued, time.perf_counter() - started, broker_seconds]))
"""


if __name__ == "__main__":
    main()
