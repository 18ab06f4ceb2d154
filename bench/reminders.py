"""Benchmark of the reminder sweep on PostgreSQL.

    make bench-reminders                                   # 1,000,000 obligations, 100,000 businesses
    make bench-reminders OBLIGATIONS=200000 BUSINESSES=20000 DUE=5000

A scratch PostgreSQL database is built by the Alembic migrations and filled in SQL
(`generate_series`): businesses with a mobile phone, an email and consent, each with its own
property-tax preference (7 and 1 day before at 9:00 and 3 days after, by SMS) and the office's
plans for the other kinds; obligations of every kind spread over the year, a third of them paid;
and `DUE` unpaid property-tax instalments whose reminders (7 days before, 1 day before, or
overdue) fall on Monday 8 March 2027 at 9:00. Timed, in this process:

- a sweep over a 9:00 moment with nothing due (every query runs, none finds a row);
- the sweep over the measured moment (finds them all, records the deliveries, creates the messages);
- a sweep with no new moment (the mark is already there).

Targets: the sweep that finds 20,000 under 5 s, one that finds none under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOMENT_DAY = date(2027, 3, 8)  # a Monday
QUIET_DAY = date(2027, 3, 1)  # nothing due 1 or 7 days later, nor 3 days before


def fill(url: str, businesses: int, obligations: int, due: int) -> dict[str, int]:
    """The town in SQL; returns row counts."""
    import psycopg

    if due > businesses:
        raise SystemExit("DUE cannot exceed BUSINESSES: one due instalment per business")
    base = obligations - due
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO units (id, code, name, is_active, created_at, updated_at) "
                    "VALUES (1, 'UM', 'Urząd Miasta Ełku', true, now(), now())")
        cur.execute("""
            INSERT INTO contractors (id, legacy_id, kind, name, city, district, status, created_at, updated_at)
            SELECT n, 'K' || lpad(n::text, 7, '0'), 'OP', 'Firma ' || n || ' Sp. z o.o.', 'Ełk', 'Centrum',
                   'active', now(), now()
            FROM generate_series(1, %(b)s) n""", {"b": businesses})
        cur.execute("""
            INSERT INTO contact_points (contractor_id, channel, value, source, is_active, number_class,
                                        failure_count, created_at, updated_at)
            SELECT n, 'sms', '+4860' || lpad(n::text, 7, '0'), 'legacy', true, 'mobile', 0, now(), now()
            FROM generate_series(1, %(b)s) n
            UNION ALL
            SELECT n, 'email', 'firma' || n || '@example.pl', 'legacy', true, NULL, 0, now(), now()
            FROM generate_series(1, %(b)s) n""", {"b": businesses})
        cur.execute("""
            INSERT INTO consents (contractor_id, channel, granted, source, recorded_at)
            SELECT n, ch, true, 'legacy', timestamptz '2024-03-01 09:00+00'
            FROM generate_series(1, %(b)s) n, (VALUES ('sms'), ('email')) c(ch)""", {"b": businesses})
        # Obligations of every kind over 2027, none due near the measured moments, then the due ones.
        cur.execute("""
            INSERT INTO obligations (legacy_id, contractor_id, unit_id, kind, description, due_on, amount,
                                     status, created_at, updated_at)
            SELECT 'N' || n, 1 + n %% %(b)s, 1,
                   (ARRAY['PON','PST','UW','ALK','DZR','OPL'])[1 + n %% 6], 'należność ' || n,
                   d, 100 + n %% 900, 'active', now(), now()
            FROM generate_series(1, %(base)s) n,
                 LATERAL (SELECT date '2027-01-01' + ((n::bigint * 7919) %% 365)::int AS raw) r,
                 LATERAL (SELECT CASE WHEN raw BETWEEN date '2027-02-20' AND date '2027-03-20'
                                      THEN raw + 40 ELSE raw END AS d) s""", {"b": businesses, "base": base})
        cur.execute("""
            INSERT INTO obligations (legacy_id, contractor_id, unit_id, kind, description, due_on, amount,
                                     status, created_at, updated_at)
            SELECT 'D' || n, n, 1, 'PON', 'podatek od nieruchomości, rata',
                   CASE n %% 5 WHEN 0 THEN date '2027-03-05' WHEN 1 THEN date '2027-03-09'
                               WHEN 2 THEN date '2027-03-09' ELSE date '2027-03-15' END,
                   250, 'active', now(), now()
            FROM generate_series(1, %(due)s) n""", {"due": due})
        # A third of the other obligations paid in full.
        cur.execute("""
            INSERT INTO payments (legacy_id, contractor_id, unit_id, paid_on, amount, method, source, status,
                                  created_at, updated_at)
            SELECT 'W' || o.id, o.contractor_id, 1, date '2027-01-02', o.amount, 'P', 'legacy', 'active', now(), now()
            FROM obligations o WHERE o.legacy_id LIKE 'N%' AND o.id % 3 = 0""")
        cur.execute("""
            INSERT INTO allocations (payment_id, obligation_id, amount)
            SELECT p.id, o.id, o.amount FROM payments p JOIN obligations o ON o.legacy_id = 'N' || substr(p.legacy_id, 2)
            """)
        # Every business chose its own property-tax reminders.
        cur.execute("""
            INSERT INTO reminder_preferences (contractor_id, topic, enabled, source, updated_at, days_before,
                                              days_after, channels, hour)
            SELECT n, 'PON', true, 'portal', now(), '[7, 1]', '[3]', 'sms', 9 FROM generate_series(1, %(b)s) n""",
                    {"b": businesses})
        cur.execute("""
            INSERT INTO reminder_rules (contractor_id, topic, offset_days, hour, channel)
            SELECT n, 'PON', o, 9, 'sms' FROM generate_series(1, %(b)s) n, (VALUES (7), (1), (-3)) v(o)""",
                    {"b": businesses})
        counts = {}
        for table in ("contractors", "obligations", "payments", "reminder_rules"):
            counts[table] = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    from app.core.clock import WARSAW

    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


def run(args) -> list[str]:
    """Build the database, time the sweeps and return the lines to print."""
    from app.core.databases import create_scratch_database

    url, drop = create_scratch_database(args.database, prefix="pw_bench")
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app:create_app", "EMBEDDED_WORKER": "0",
           "EMBEDDED_SCHEDULER": "0"}
    env.pop("REDIS_URL", None)
    try:
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        started = time.perf_counter()
        counts = fill(url.replace("postgresql+psycopg://", "postgresql://"), args.businesses, args.obligations,
                      args.due)
        print(f"  filled in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{t} {n:,}" for t, n in counts.items()), flush=True)
        from app import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "EMBEDDED_WORKER": False, "EMBEDDED_SCHEDULER": False,
                          "QUIET_HOURS": "00:00-00:00"})
        with app.app_context():
            from app.reminders.preferences import ensure_plans
            from app.reminders.sweep import reset_mark, sweep

            ensure_plans()
            figures = []
            for label, day, expect in (("finds none (a 9:00 with nothing due)", QUIET_DAY, 0),
                                       ("finds the due reminders", MOMENT_DAY, args.due)):
                reset_mark(_at(day, 8, 55))
                clock = time.perf_counter()
                result = sweep(_at(day, 9, 5))
                seconds = time.perf_counter() - clock
                figures.append((label, seconds, result, expect))
            clock = time.perf_counter()
            idle = sweep(_at(MOMENT_DAY, 9, 10))
            idle_seconds = time.perf_counter() - clock
    finally:
        drop()
    lines = [f"reminder sweep on PostgreSQL: {counts['obligations']:,} obligations, {counts['contractors']:,} "
             f"businesses with their own preferences ({counts['reminder_rules']:,} rules), "
             f"{counts['payments']:,} payments, {os.cpu_count()} cores"]
    for (label, seconds, result, expect), target in zip(figures, (args.none_target, args.target), strict=True):
        verdict = "ok" if seconds < target else "MISSED"
        lines.append(f"  sweep that {label}: {seconds:6.2f} s  ({result.deliveries:,} reminders recorded, "
                     f"{result.messages:,} messages; expected {expect:,})  target < {target:g} s  {verdict}")
    lines.append(f"  sweep with no new moment: {idle_seconds * 1000:6.1f} ms ({idle.messages} messages; it checks "
                 f"whether the {figures[1][2].messages:,} reminders still waiting, nobody sending them here, were paid)")
    return lines


def main() -> None:
    """Parse the arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--obligations", type=int, default=int(os.environ.get("OBLIGATIONS", 1_000_000)))
    parser.add_argument("--businesses", type=int, default=int(os.environ.get("BUSINESSES", 100_000)))
    parser.add_argument("--due", type=int, default=int(os.environ.get("DUE", 20_000)),
                        help="unpaid instalments due at the measured moment (20,000)")
    parser.add_argument("--target", type=float, default=5.0)
    parser.add_argument("--none-target", type=float, default=0.5)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)  # the sweep's messages are queued in-process; sending is not timed
    print(f"reminder benchmark: {args.obligations:,} obligations, {args.businesses:,} businesses", flush=True)
    print("\n".join(run(args)))


if __name__ == "__main__":
    main()
