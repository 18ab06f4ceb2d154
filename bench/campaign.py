"""Benchmark of a campaign from approval to the last message sent, with urgent alerts meanwhile.

    make bench-campaign                                   # 100,000 members, SMS + email each
    make bench-campaign RECIPIENTS=20000 LATENCY=0.1
    make bench-campaign BENCH_ARGS="--urgent-poll-ms 100"
    python -m bench.campaign --help                       # --keep, --alerts, --no-urgent-worker ...

A scratch PostgreSQL database is built by the Alembic migrations (`flask db upgrade`) and filled
by COPY: contractors of an Ełk-like town, each member of the campaign's segment (a district rule)
with a mobile phone (`number_class='mobile'`), an email and consent to both, a small district
of 50 businesses for urgent alerts, and earlier reminders in the outbox (a running office's
table and statistics, not an empty one). The fake SMSAPI and SendGrid run in a child process
with the given latency, and the worker processes of the `Procfile` run the actors (`worker`:
2 processes x 8 threads on every queue; `urgent`: a process of its own for the `urgent` queue).
An author drafts and submits the campaign and the alerts through the workflow services (not
timed); an approver approves the campaign (the clock starts) and, as its messages are made and
sent, each urgent alert. Figures come from the outbox: the last `sent_at` of the campaign and the
first SMS `sent_at` of each alert (recorded when SMSAPI answered, so no earlier than the SMS
reached the fake), with CPU seconds per process group. Targets: approval to the last message
sent < 60 s at 100,000 members on two cores; each alert's first SMS < 2 s after its approval.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: Districts of the big campaign's segment, with their share of its members.
DISTRICTS = [("Centrum", 24), ("Zatorze", 18), ("Północ", 14), ("Grunwaldzkie", 11), ("Konopnickiej", 10),
             ("Kochanowskiego", 9), ("Jeziorna", 8), ("Tuwima", 6)]
#: The small district the urgent alert goes to, and districts outside both segments.
URGENT_DISTRICT = "Przemysłowa"
OTHER_DISTRICTS = ["Bajki", "Baranki", "Szyba"]
MOBILE_PREFIXES = ("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88")

SMS_TEXT = "{{ nazwa }}: Jarmark Ełcki w sobotę 14.06 o 10:00 na Placu Jana Pawła II. Stoiska: {{ link }}"
EMAIL_SUBJECT = "Jarmark Ełcki – zaproszenie dla {{ nazwa }}"
EMAIL_TEXT = (
    "Dzień dobry,\n\nzapraszamy {{ nazwa }} na Jarmark Ełcki w sobotę 14 czerwca o 10:00 na Placu "
    "Jana Pawła II. Firmy z Ełku mogą bezpłatnie wystawić swoje stoisko.\n\n"
    "Zgłoszenie stoiska i szczegóły: {{ link }}\n\nZ pozdrowieniami\n{{ jednostka }}"
)
URGENT_TEXT = "OSTRZEŻENIE: {{ nazwa }}, dziś od 18:00 silny wiatr do 100 km/h. Zabezpiecz teren i towar."


def _env(args, url: str, endpoints: dict) -> dict[str, str]:
    """The environment of the workers and of this process's application."""
    return {
        "DATABASE_URL": url, "REDIS_URL": args.redis, "FLASK_APP": "app:create_app",
        "SMSAPI_TOKEN": "bench-token", "SMSAPI_URL": endpoints["smsapi"],
        "SENDGRID_API_KEY": "SG.bench", "SENDGRID_URL": endpoints["sendgrid"],
        "QUIET_HOURS": "00:00-00:00", "EMBEDDED_WORKER": "0", "EMBEDDED_SCHEDULER": "0",
        "PUBLIC_URL": "https://powiadomienia.elk.pl", "SECRET_KEY": "bench-secret",
    }


def _settings(env: dict[str, str]) -> dict:
    """The application's settings in this process: the environment the workers get, applied."""
    return {
        "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "REDIS_URL": env["REDIS_URL"],
        "SMSAPI_TOKEN": env["SMSAPI_TOKEN"], "SMSAPI_URL": env["SMSAPI_URL"],
        "SENDGRID_API_KEY": env["SENDGRID_API_KEY"], "SENDGRID_URL": env["SENDGRID_URL"],
        "QUIET_HOURS": env["QUIET_HOURS"], "EMBEDDED_WORKER": False, "EMBEDDED_SCHEDULER": False,
        "PUBLIC_URL": env["PUBLIC_URL"], "SECRET_KEY": env["SECRET_KEY"],
    }


# -- the town --------------------------------------------------------------------------------------


def load_town(url: str, members: int, urgent: int, others: int, history: int, seed: int = 2026) -> dict[str, int]:
    """Fill contractors, contact points and consents by COPY, and past messages; rows per table."""
    import psycopg

    from bench.audience import FIRST, LAST, MAIL_DOMAINS, STREETS, TRADES

    rnd = random.Random(seed)
    stamp = datetime.now(UTC).isoformat(" ")
    consented = "2024-03-01 09:00:00+00"
    weights = [w for _d, w in DISTRICTS]
    domains = [d for d, _w in MAIL_DOMAINS]
    slugs = [name.lower().translate(str.maketrans("ąćęłńóśźż", "acelnoszz")) for name in LAST]
    rows = {"contractors": 0, "contact_points": 0, "consents": 0}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY contractors (id, legacy_id, kind, name, street, house_no, postal_code, city, "
                      "district, status, created_at, updated_at) FROM STDIN") as contractors_copy:
            total = members + urgent + others
            for cid in range(1, total + 1):
                if cid <= members:
                    district = rnd.choices(DISTRICTS, weights)[0][0]
                elif cid <= members + urgent:
                    district = URGENT_DISTRICT
                else:
                    district = OTHER_DISTRICTS[cid % len(OTHER_DISTRICTS)]
                first, last = rnd.choice(FIRST), rnd.choice(LAST)
                name = f"{rnd.choice(TRADES)} {first} {last}"
                contractors_copy.write_row((cid, f"K{cid:07d}", "OF", name, rnd.choice(STREETS),
                                            str(1 + rnd.randrange(120)), "19-300", "Ełk", district,
                                            "active", stamp, stamp))
        rows["contractors"] = total
        with cur.copy("COPY contact_points (id, contractor_id, channel, value, source, is_active, "
                      "number_class, failure_count, created_at, updated_at) FROM STDIN") as points:
            point = 0
            for cid in range(1, members + urgent + 1):
                prefix = MOBILE_PREFIXES[cid % len(MOBILE_PREFIXES)]
                point += 1
                points.write_row((point, cid, "sms", f"+48{prefix}{cid // len(MOBILE_PREFIXES):07d}", "legacy",
                                  True, "mobile", 0, stamp, stamp))
                point += 1
                email = f"{slugs[cid % len(slugs)]}.{cid}@{domains[cid % len(domains)]}"
                points.write_row((point, cid, "email", email, "legacy", True, None, 0, stamp, stamp))
        rows["contact_points"] = point
        with cur.copy("COPY consents (id, contractor_id, channel, granted, source, recorded_at) "
                      "FROM STDIN") as consents:
            consent = 0
            for cid in range(1, members + 1):  # the urgent alert's businesses need no consent
                for channel in ("sms", "email"):
                    consent += 1
                    consents.write_row((consent, cid, channel, True, "legacy", consented))
        rows["consents"] = consent
        for table in ("contractors", "contact_points", "consents"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        # The outbox as a running office has it: earlier reminders, all delivered, and statistics
        # that know them (not an empty table the planner has never seen).
        cur.execute("""
            INSERT INTO messages (idempotency_key, channel, purpose, origin, urgent, contractor_id, recipient,
                                  body, status, attempts, provider, provider_ref, parts, created_at, sent_at,
                                  finished_at)
            SELECT 'history:' || n, CASE WHEN n %% 2 = 0 THEN 'sms' ELSE 'email' END, 'reminder',
                   'reminder:2026-05-' || lpad((1 + n %% 28)::text, 2, '0'), false, 1 + n %% %(members)s,
                   CASE WHEN n %% 2 = 0 THEN '+4860' || lpad((n %% 10000000)::text, 7, '0')
                        ELSE 'firma' || n || '@example.pl' END,
                   'Przypominamy o terminie płatności podatku od nieruchomości: 15 maja.', 'delivered', 1,
                   CASE WHEN n %% 2 = 0 THEN 'smsapi' ELSE 'sendgrid' END, 'H' || n, 1,
                   now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
            FROM generate_series(1, %(history)s) AS n
        """, {"members": members, "history": history})
        rows["messages (history)"] = history
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return rows


# -- workers ---------------------------------------------------------------------------------------


class Command:
    """A Procfile process: its name, the variables its line sets and its words."""

    def __init__(self, name: str, line: str) -> None:
        words = shlex.split(line)
        if words and words[0] == "env":
            words = words[1:]
        self.name = name
        self.env = {}
        while words and "=" in words[0] and not words[0].startswith("-"):
            key, _, value = words.pop(0).partition("=")
            self.env[key] = value
        self.argv = [str(BIN / words[0]), *words[1:]]

    @property
    def processes(self) -> int:
        """How many worker processes the command starts."""
        return int(self.argv[self.argv.index("--processes") + 1]) if "--processes" in self.argv else 1

    def __str__(self) -> str:
        settings = " ".join(f"{k}={v}" for k, v in self.env.items())
        return f"{self.name}: {settings + ' ' if settings else ''}dramatiq {' '.join(self.argv[1:])}"


def procfile_commands(urgent_worker: bool, urgent_poll_ms: int | None) -> list[Command]:
    """The `worker` (and `urgent`) processes of the Procfile, run with this environment's dramatiq."""
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    commands = [Command(name, lines[name]) for name in (["worker", "urgent"] if urgent_worker else ["worker"])]
    if urgent_poll_ms is not None and urgent_worker:
        commands[1].env["dramatiq_worker_timeout"] = str(urgent_poll_ms)
    return commands


class Workers:
    """The worker commands as child processes, each in its own process group, logging to files."""

    def __init__(self, commands: list[Command], env: dict, logs: Path) -> None:
        self.commands = commands
        self.logs = [logs / f"worker-{n}.log" for n in range(len(commands))]
        self.processes = []
        for command, log in zip(commands, self.logs, strict=True):
            with log.open("w") as out:
                self.processes.append(subprocess.Popen(command.argv, cwd=ROOT, env={**env, **command.env},
                                                       stdout=out, stderr=out, start_new_session=True))

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until every worker process says it is ready for action."""
        wanted = sum(command.processes for command in self.commands)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = sum(log.read_text().count("ready for action") for log in self.logs)
            if ready >= wanted:
                return
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(0.2)
        sys.exit("the workers did not start:\n" + "\n".join(log.read_text()[-3000:] for log in self.logs))

    def pids(self) -> list[int]:
        """The worker processes and their children."""
        return [pid for process in self.processes for pid in (process.pid, *_children(process.pid))]

    def stop(self) -> None:
        """Ask every worker to stop, and make sure it did."""
        import signal

        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def cpu_seconds(pids) -> float:
    """CPU seconds the processes have used so far (user and system)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def named(name: str) -> list[int]:
    """Ids of the processes with this command name (PostgreSQL's server processes, Redis)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuMeter:
    """CPU seconds of the workers, PostgreSQL, Redis, the fakes and this process over a period."""

    def __init__(self, workers: Workers, fakes: subprocess.Popen) -> None:
        self.groups = {"workers": workers.pids, "PostgreSQL": lambda: named("postgres"),
                       "Redis": lambda: named("redis-server"), "fake providers": lambda: [fakes.pid],
                       "this benchmark": lambda: [os.getpid()]}
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.machine = _machine_busy()
        self.sample()
        self.first = dict(self.last)

    def sample(self) -> None:
        """Read every process's CPU time now; called often, so processes that end (a database
        connection the workers' pools close) are counted up to their last reading."""
        for name, pids in self.groups.items():
            for pid in pids():
                self.last[(name, pid)] = cpu_seconds([pid])

    def used(self) -> dict[str, float]:
        """CPU seconds each group used since the meter was made, and what other processes used."""
        self.sample()
        used = dict.fromkeys(self.groups, 0.0)
        for (name, pid), seconds in self.last.items():
            used[name] += seconds - self.first.get((name, pid), 0.0)
        used["other processes"] = max(0.0, _machine_busy() - self.machine - sum(used.values()))
        return used


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (not idle, not waiting for I/O) since it booted."""
    fields = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except FileNotFoundError:
        return []
    return [int(p) for p in found]


# -- the campaigns ---------------------------------------------------------------------------------


def prepare_campaigns(members: int, alerts: int) -> tuple[int, list[int], int, int]:
    """Staff, segments, the campaign and the urgent alerts submitted.

    Returns the ids of the campaign, of the alerts and of the approver, and the alerts' audience.
    """
    from app.accounts.models import StaffUser
    from app.audiences.models import Segment
    from app.campaigns import workflow
    from app.core.extensions import db

    author = StaffUser(email="autorka@um.elk.pl", name="Anna Autorka", phone="+48600999001")
    author.role_set = {"communicator"}
    author.set_password("haslo-autorki-1")
    approver = StaffUser(email="zatwierdzajacy@um.elk.pl", name="Zenon Zatwierdzający", phone="+48600999002")
    approver.role_set = {"approver"}
    approver.set_password("haslo-zatwierdzajacego-1")
    town = Segment(name="Jarmark: osiedla miasta",
                   rule={"field": "district", "op": "in", "value": [d for d, _w in DISTRICTS]})
    alert = Segment(name="Ostrzeżenie: Przemysłowa", rule={"field": "district", "op": "eq", "value": URGENT_DISTRICT})
    db.session.add_all([author, approver, town, alert])
    db.session.commit()
    campaign = workflow.create_draft(
        author, name="Jarmark Ełcki", category="cultural_event", channel_mode="both", sms_text=SMS_TEXT,
        email_subject=EMAIL_SUBJECT, email_text=EMAIL_TEXT, segment_id=town.id)
    workflow.submit(campaign, author)
    urgent = []
    for number in range(1, alerts + 1):
        draft = workflow.create_draft(
            author, name=f"Ostrzeżenie przed wichurą nr {number}", category="disaster", urgent=True,
            channel_mode="sms", sms_text=URGENT_TEXT, segment_id=alert.id)
        workflow.submit(draft, author)
        urgent.append(draft)
    estimate = campaign.estimate["members"]
    if estimate != members:
        sys.exit(f"the segment has {estimate:,} members, not {members:,}")
    return campaign.id, [u.id for u in urgent], approver.id, urgent[0].estimate["members"]


def approve(campaign_id: int, approver_id: int) -> datetime:
    """Approve a campaign as the approver; returns the instant just before the call."""
    from app.accounts.models import StaffUser
    from app.campaigns import workflow
    from app.campaigns.models import Campaign
    from app.core.extensions import db

    campaign = db.session.get(Campaign, campaign_id)
    approver = db.session.get(StaffUser, approver_id)
    at = datetime.now(UTC)
    workflow.approve(campaign, approver)
    db.session.remove()
    return at


class Progress:
    """Reads a campaign's progress from the database on a connection of its own."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def sessions(self) -> int:
        """Connections opened to the database so far (PostgreSQL counts them)."""
        return self.conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
                                 ).fetchone()[0]

    def newest_message(self) -> int:
        """The highest message id: messages made since a moment are the difference (a cheap read)."""
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]

    def sent(self, campaign_id: int) -> int:
        """How many of a campaign's messages are sent (read once, it counts them)."""
        return self.conn.execute("SELECT count(*) FROM messages WHERE origin = %s AND status = 'sent'",
                                 (f"campaign:{campaign_id}",)).fetchone()[0]

    def done(self, campaign_id: int) -> bool:
        """True when the campaign's messages all exist and none waits (index probes, cheap to poll)."""
        status, fanned_out = self.conn.execute(
            "SELECT status, fanned_out_at FROM campaigns WHERE id = %s", (campaign_id,)).fetchone()
        if status in ("finished", "cancelled"):
            return True
        if fanned_out is None:
            return False
        return not self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE origin = %s AND status IN ('created', 'sending'))",
            (f"campaign:{campaign_id}",)).fetchone()[0]

    def figures(self, campaign_id: int) -> dict:
        """Instants of a finished campaign: start, fan-out, first and last message created and sent."""
        row = self.conn.execute(
            "SELECT c.started_at, c.fanned_out_at, c.finished_at, s.members, s.recipients, "
            "(SELECT max(at) FROM audit_log WHERE action = 'campaign.started' AND target = %s) "
            "FROM campaigns c LEFT JOIN audience_snapshots s ON s.id = c.snapshot_id WHERE c.id = %s",
            (f"campaign:{campaign_id}", campaign_id)).fetchone()
        messages = self.conn.execute(
            "SELECT min(created_at), max(created_at), min(sent_at), max(sent_at), "
            "min(sent_at) FILTER (WHERE channel = 'sms'), count(*), count(*) FILTER (WHERE status = 'sent'), "
            "count(*) FILTER (WHERE channel = 'sms' AND status = 'sent'), "
            "count(*) FILTER (WHERE channel = 'email' AND status = 'sent') "
            "FROM messages WHERE origin = %s", (f"campaign:{campaign_id}",)).fetchone()
        keys = ("started", "fanned_out", "finished", "members", "recipients", "frozen", "first_created",
                "last_created", "first_sent", "last_sent", "first_sms", "messages", "sent", "sms_sent",
                "emails_sent")
        return dict(zip(keys, (*row, *messages), strict=True))

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _seconds(later: datetime | None, earlier: datetime) -> float:
    return (later - earlier).total_seconds() if later is not None else float("nan")


def run(args) -> list[str]:
    """Build the town, run the campaigns and return the lines to print."""
    # Imported here: importing the application creates its broker from `REDIS_URL`, set by main().
    from app.broker import broker
    from app.core.databases import create_scratch_database
    from bench.bench_send import fake_stats, start_fakes

    if type(broker).__name__ != "RedisBroker":
        raise SystemExit("the application's broker is not Redis: REDIS_URL was not set before it was imported")
    url, drop = create_scratch_database(args.database, prefix="pw_bench")
    fakes, endpoints = start_fakes(args.latency)
    env = {**os.environ, **_env(args, url, endpoints)}
    workers, progress = None, None
    logs = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        migrated = time.perf_counter() - started
        started = time.perf_counter()
        rows = load_town(url, args.recipients, args.urgent_recipients, args.others, args.history)
        loaded = time.perf_counter() - started
        print(f"  database migrated in {migrated:.1f} s, filled by COPY in {loaded:.1f} s: "
              + ", ".join(f"{t} {n:,}" for t, n in rows.items()), flush=True)

        import redis

        redis.Redis.from_url(args.redis).flushdb()
        from app import create_app

        app = create_app(_settings(env))
        import logging

        logging.getLogger().setLevel(logging.WARNING)
        with app.app_context():
            campaign_id, alert_ids, approver_id, urgent_members = prepare_campaigns(args.recipients, len(args.alerts))
        commands = procfile_commands(args.urgent_worker, args.urgent_poll_ms)
        workers = Workers(commands, env, logs)
        workers.wait_ready()
        print("  workers ready: " + " + ".join(f"`{c}`" for c in commands), flush=True)
        progress = Progress(url)
        meter = CpuMeter(workers, fakes)
        sessions = progress.sessions()
        expected = 2 * args.recipients
        before = progress.newest_message()
        with app.app_context():
            approved_at = approve(campaign_id, approver_id)
        clock = time.monotonic()
        alerts: list[dict] = []  # when each alert was approved, and how far the campaign was then
        deadline = clock + args.timeout
        while True:
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out after {args.timeout} s (worker logs in {logs})")
            made = progress.newest_message() - before
            big_done = progress.done(campaign_id)
            if len(alerts) < len(alert_ids) and (made >= args.alerts[len(alerts)] * expected or big_done):
                if big_done:
                    print("  the campaign ended before every urgent alert was approved: lower --alerts")
                with app.app_context():
                    at = approve(alert_ids[len(alerts)], approver_id)
                alerts.append({"id": alert_ids[len(alerts)], "at": at, "campaign_made": made,
                               "campaign_sent": progress.sent(campaign_id)})
            if len(alerts) == len(alert_ids) and big_done and all(progress.done(a["id"]) for a in alerts):
                break
            meter.sample()
            time.sleep(args.poll)
        cpu = meter.used()
        sessions = progress.sessions() - sessions
        wall = time.monotonic() - clock
        big = progress.figures(campaign_id)
        for alert in alerts:
            alert.update(progress.figures(alert["id"]))
        sms_stats, email_stats = fake_stats(endpoints["smsapi"]), fake_stats(endpoints["sendgrid"])
    finally:
        if workers is not None:
            workers.stop()
        if progress is not None:
            progress.close()
        fakes.terminate()
        fakes.wait(timeout=10)
        if args.keep:
            print(f"  kept the database: {url}")
        else:
            drop()

    total = _seconds(big["last_sent"], approved_at)
    verdict = "ok" if total < args.target else "MISSED"
    rate = big["sent"] / total if total > 0 else 0.0
    lines = [
        f"campaign benchmark on PostgreSQL + Redis, {args.recipients:,} members (an SMS and an email each, "
        f"personalised), fake providers with {args.latency * 1000:.0f} ms latency, {os.cpu_count()} cores",
        "  workers (Procfile): " + " + ".join(f"`{c}`" for c in commands),
        f"  rates: SMSAPI {app.config['SMSAPI_RATE']:g} and SendGrid {app.config['SENDGRID_RATE']:g} requests/s, "
        f"batches of {app.config['MESSAGE_BATCH']} ids, chunks of {app.config.get('CAMPAIGN_CHUNK', 2000):,} members",
        f"  approval to the last message sent: {total:6.1f} s  ({big['sent']:,} of {big['messages']:,} sent: "
        f"{big['sms_sent']:,} SMS, {big['emails_sent']:,} emails; {rate:,.0f} messages/s)  "
        f"target < {args.target:g} s  {verdict}",
        f"    worker start, audience frozen:  {_seconds(big['started'], approved_at):5.2f} s, "
        f"{_seconds(big['frozen'], approved_at):5.2f} s  ({big['members']:,} members, "
        f"{big['recipients']:,} addresses)",
        f"    first message created, sent:   {_seconds(big['first_created'], approved_at):5.2f} s, "
        f"{_seconds(big['first_sent'], approved_at):5.2f} s",
        f"    fan-out done (all created):    {_seconds(big['fanned_out'], approved_at):6.1f} s  "
        f"({big['messages'] / max(_seconds(big['last_created'], big['first_created']), 1e-9):,.0f} messages "
        f"created/s)",
        f"    last message sent:             {total:6.1f} s; campaign finished at "
        f"{_seconds(big['finished'], approved_at):.1f} s",
        f"    CPU in {wall:,.0f} s of wall time ({sum(cpu.values()) / max(wall, 1e-9):.2f} of "
        f"{os.cpu_count()} cores busy): " + ", ".join(f"{name} {seconds:,.0f} s" for name, seconds in cpu.items()),
        f"    database connections opened meanwhile: {sessions:,} (the workers' pools open and close them)",
        f"  urgent alerts ({urgent_members:,} businesses each, SMS), first SMS sent (SMSAPI answered) after "
        f"approval, target < {args.urgent_target:g} s:",
    ]
    for number, alert in enumerate(alerts, start=1):
        first_sms = _seconds(alert["first_sms"], alert["at"])
        lines.append(
            f"    alert {number}: {first_sms:5.2f} s  {'ok' if first_sms < args.urgent_target else 'MISSED'}  "
            f"(approved at {_seconds(alert['at'], approved_at):.1f} s with {alert['campaign_made']:,} messages of "
            f"the campaign made and {alert['campaign_sent']:,} sent; worker start {_seconds(alert['started'], alert['at']):.2f} s, "
            f"frozen {_seconds(alert['frozen'], alert['at']):.2f} s, created "
            f"{_seconds(alert['first_created'], alert['at']):.2f} s; all {alert['sms_sent']} sent "
            f"{_seconds(alert['last_sent'], alert['at']):.2f} s)")
    lines += [
        f"  SMSAPI:   {sms_stats['requests']:,} requests, {sms_stats['accepted']:,} SMS accepted, "
        f"{sms_stats['duplicates']} duplicates",
        f"  SendGrid: {email_stats['requests']:,} requests, {email_stats['accepted']:,} emails accepted, "
        f"{email_stats['duplicates']} duplicates",
    ]
    return lines


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=int(os.environ.get("RECIPIENTS", 100_000)),
                        help="members of the campaign, each with a phone and an email (default 100,000)")
    parser.add_argument("--urgent-recipients", type=int, default=50, help="businesses of the urgent alert (50)")
    parser.add_argument("--others", type=int, default=10_000, help="contractors in neither audience (10,000)")
    parser.add_argument("--history", type=int, default=None,
                        help="past messages already in the outbox (default: twice the recipients)")
    parser.add_argument("--latency", type=float, default=float(os.environ.get("LATENCY", 0.05)),
                        help="seconds each fake provider request takes (default 0.05)")
    parser.add_argument("--alerts", type=lambda v: [float(x) for x in v.split(",")], default=[0.2, 0.45, 0.7],
                        help="approve an urgent alert once each of these shares of the campaign's messages "
                             "exists (0.2,0.45,0.7)")
    parser.add_argument("--no-urgent-worker", dest="urgent_worker", action="store_false",
                        help="run only the Procfile's `worker`, without its `urgent` process")
    parser.add_argument("--urgent-poll-ms", type=int, default=None,
                        help="poll interval of the idle urgent worker (dramatiq_worker_timeout; default as the "
                             "Procfile says, dramatiq's own 1000)")
    parser.add_argument("--target", type=float, default=60.0, help="seconds, approval to last sent (60)")
    parser.add_argument("--urgent-target", type=float, default=2.0, help="seconds, alert to first SMS (2)")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds (600)")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between progress reads (0.5)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (and print its URL)")
    args = parser.parse_args()
    if args.history is None:
        args.history = 2 * args.recipients
    # The broker is chosen when `app` is first imported: Redis, as the workers use.
    os.environ["REDIS_URL"] = args.redis
    print(f"campaign benchmark: {args.recipients:,} members, latency {args.latency * 1000:.0f} ms", flush=True)
    lines = run(args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
