"""Benchmark of the business portal's dashboard and obligations list on PostgreSQL and gunicorn.

    make bench-portal                                   # 1,000,000 obligations, 100,000 businesses
    make bench-portal OBLIGATIONS=200000 BUSINESSES=20000

A scratch PostgreSQL database is built by the Alembic migrations and filled in SQL
(`generate_series`): three office units, businesses with obligations of every kind over five
years, two thirds of the past ones paid (payments and allocations), appointments; `USERS` portal
users, each with confirmed links to one or two of the heaviest businesses (`HEAVY` obligations
each, in every unit) and consent for every unit. gunicorn serves the application with the web
process's own settings (`gunicorn.conf.py`, as the Procfile's `web` line: sync workers, two per
core; `WORKERS` overrides the number); every user
signs in once through the real sign-in form and, as a browser does, follows the redirect to the
dashboard (which remembers the chosen business in the session cookie), then `wrk` keeps `CONNECTIONS` connections busy for
`DURATION` seconds per page, each request as the next user, in two modes: 32 users who each
wait `THINK` ms (80) between an answer and their next request, and 32 connections without a
pause (the most the server answers). The pages:

- the dashboard `/portal/` (balance of the context, the five nearest items);
- the obligations list `/portal/zobowiazania/<id>` (first page, every filter off).

Targets per page: p95 under 50 ms with 32 concurrent users, at least 300 requests per second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-portal-password-1"

LUA = r"""
local users = {}
local n = 0
local think = 0
function init(args)
  think = tonumber(args[2]) or 0
  for line in io.lines(args[1]) do
    local cookie, path = line:match("([^\t]+)\t([^\t]+)")
    table.insert(users, {cookie = cookie, path = path})
  end
  n = math.random(#users)
end
function request()
  n = n % #users + 1
  local user = users[n]
  return wrk.format("GET", user.path, {["Cookie"] = user.cookie, ["Accept-Language"] = "pl"})
end
function delay()
  return think
end
function done(summary, latency, requests)
  local out = string.format('{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, '
    .. '"errors": %d, "non2xx": %d}', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status)
  io.stderr:write("WRK_RESULT " .. out .. "\n")
end
"""


def fill(url: str, businesses: int, obligations: int, users: int, heavy: int) -> dict[str, int]:
    """The town in SQL; returns row counts."""
    import psycopg

    from app.accounts.passwords import hash_password

    portal_businesses = users * 2
    heavy_total = portal_businesses * heavy
    if heavy_total >= obligations or portal_businesses > businesses:
        raise SystemExit("USERS x 2 x HEAVY must stay below OBLIGATIONS, USERS x 2 below BUSINESSES")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""
            INSERT INTO units (id, code, name, nip, account_nrb, is_active, created_at, updated_at) VALUES
            (1, 'UM', 'Urząd Miasta Ełku', '8481000123', '59102059033982597919074833', true, now(), now()),
            (2, 'ZM', 'Zarząd Mienia Komunalnego', '8481000246', '83102059030000190201234567', true, now(), now()),
            (3, 'ZDM', 'Zarząd Dróg Miejskich', '8481000369', '27102059030000150200076543', true, now(), now())
            """)
        cur.execute("""
            INSERT INTO contractors (id, legacy_id, kind, name, nip, street, house_no, postal_code, city,
                                     district, status, created_at, updated_at)
            SELECT n, 'K' || lpad(n::text, 7, '0'), 'OP', 'Firma ' || n || ' Sp. z o.o.',
                   lpad((7900000000 + n)::text, 10, '0'), 'Kolejowa', (n %% 90 + 1)::text, '19-300', 'Ełk',
                   'Centrum', 'active', now(), now()
            FROM generate_series(1, %(b)s) n""", {"b": businesses})
        # The portal users' businesses: HEAVY obligations each over 2022-2026 in the three units.
        cur.execute("""
            INSERT INTO obligations (legacy_id, contractor_id, unit_id, kind, description, basis, document_no,
                                     period, due_on, amount, assessed_on, status, created_at, updated_at)
            SELECT 'H' || c || '-' || i, c, 1 + i %% 3,
                   (ARRAY['PON','PST','UW','ALK','DZR','OPL','KU'])[1 + i %% 7],
                   'należność ' || i, 'decyzja wymiarowa', 'DW/' || c || '/' || i, (2022 + i %% 5)::text,
                   CASE WHEN i %% 7 = 6 THEN NULL
                        ELSE date '2022-01-15' + ((i * 37) %% 1800) END,
                   50 + (c * 7 + i * 13) %% 2000, date '2022-01-02', 'active', now(), now()
            FROM generate_series(1, %(pb)s) c, generate_series(1, %(h)s) i""",
                    {"pb": portal_businesses, "h": heavy})
        cur.execute("""
            INSERT INTO obligations (legacy_id, contractor_id, unit_id, kind, description, due_on, amount,
                                     status, created_at, updated_at)
            SELECT 'N' || n, %(pb)s + 1 + n %% (%(b)s - %(pb)s), 1 + n %% 3,
                   (ARRAY['PON','PST','UW','ALK','DZR','OPL'])[1 + n %% 6], 'należność ' || n,
                   date '2022-01-15' + ((n::bigint * 7919) %% 1800)::int, 100 + n %% 900, 'active', now(), now()
            FROM generate_series(1, %(rest)s) n""",
                    {"pb": portal_businesses, "b": businesses, "rest": obligations - heavy_total})
        # Two thirds of what fell due before November 2026 paid in full, one payment each.
        cur.execute("""
            INSERT INTO payments (legacy_id, contractor_id, unit_id, paid_on, amount, method, source, status,
                                  created_at, updated_at)
            SELECT 'W' || o.id, o.contractor_id, o.unit_id, coalesce(o.due_on, date '2024-01-10') - 3, o.amount,
                   'P', 'legacy', 'active', now(), now()
            FROM obligations o WHERE coalesce(o.due_on, date '2024-01-10') < date '2026-11-01' AND o.id % 3 <> 0""")
        cur.execute("""
            INSERT INTO allocations (payment_id, obligation_id, amount)
            SELECT p.id, o.id, o.amount FROM payments p JOIN obligations o ON o.id = substr(p.legacy_id, 2)::int""")
        cur.execute("""
            INSERT INTO appointments (legacy_id, contractor_id, unit_id, starts_at, description, place, status,
                                      created_at, updated_at)
            SELECT 'A' || c, c, 1, timestamptz '2026-12-02 09:00+01' + (c %% 20) * interval '1 day',
                   'Spotkanie w sprawie podatku', 'pokój 12', 'active', now(), now()
            FROM generate_series(1, %(pb)s) c""", {"pb": portal_businesses})
        password = hash_password(PASSWORD)
        cur.execute("""
            INSERT INTO portal_users (id, email, password_hash, email_verified_at, is_active, locale, created_at)
            SELECT u, 'user' || u || '@bench.example.pl', %(pw)s, now(), true, 'pl', now()
            FROM generate_series(1, %(u)s) u""", {"u": users, "pw": password})
        cur.execute("""
            INSERT INTO portal_links (portal_user_id, contractor_id, status, method, requested_at, decided_at)
            SELECT u, c, 'confirmed', 'code', now(), now()
            FROM generate_series(1, %(u)s) u, LATERAL (VALUES (2 * u - 1), (2 * u)) v(c)""", {"u": users})
        cur.execute("""
            INSERT INTO portal_unit_consents (portal_user_id, unit_id, granted_at)
            SELECT u, unit, now() FROM generate_series(1, %(u)s) u, generate_series(1, 3) unit""", {"u": users})
        for table in ("units", "contractors", "portal_users"):  # rows given ids above
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))")
        counts = {}
        for table in ("contractors", "obligations", "payments", "portal_users"):
            counts[table] = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped while starting")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s")


def sign_in(base: str, email: str) -> str:
    """Sign in through the portal's form; returns the session cookie header value."""
    import requests

    session = requests.Session()
    page = session.get(base + "/portal/logowanie", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if not token:
        raise SystemExit("the sign-in page has no CSRF token")
    answer = session.post(base + "/portal/logowanie", timeout=30, allow_redirects=False,
                          data={"csrf_token": token.group(1), "email": email, "password": PASSWORD})
    if answer.status_code != 302:
        raise SystemExit(f"signing in as {email} failed: HTTP {answer.status_code}")
    # As a browser does: follow the redirect to the dashboard and keep the cookie it sets (the
    # remembered business and unit); wrk sends a fixed cookie and never takes a new one.
    session.get(base + answer.headers["Location"] if answer.headers["Location"].startswith("/")
                else answer.headers["Location"], timeout=30)
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def _check(base: str, cookie: str, path: str) -> None:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as answer:
        if answer.status != 200 or answer.url.rstrip("/").endswith("logowanie"):
            raise SystemExit(f"{path} did not answer with the page (HTTP {answer.status} {answer.url})")


def load(base: str, lines: list[str], connections: int, duration: int, threads: int, think_ms: int = 0) -> dict:
    """Run wrk over the (cookie, path) lines, each connection waiting `think_ms` between requests."""
    with tempfile.TemporaryDirectory() as folder:
        script, targets = Path(folder) / "portal.lua", Path(folder) / "targets.tsv"
        script.write_text(LUA)
        targets.write_text("\n".join(lines) + "\n")
        result = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "5s",
             "-s", str(script), base, "--", str(targets), str(think_ms)], capture_output=True, text=True, check=True)
    found = re.search(r"WRK_RESULT (\{.*\})", result.stderr + result.stdout)
    if not found:
        raise SystemExit("wrk printed no result:\n" + result.stdout + result.stderr)
    figures = json.loads(found.group(1))
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def run(args) -> list[str]:
    """Build the database, start gunicorn, load each page and return the lines to print."""
    from app.core.databases import create_scratch_database

    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench-portal` installs Debian's wrk (apt-get install wrk)")
    url, drop = create_scratch_database(args.database, prefix="pw_bench")
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app:create_app", "EMBEDDED_WORKER": "0",
           "EMBEDDED_SCHEDULER": "0", "SECRET_KEY": "bench-portal-secret",
           "LOGIN_RATE_LIMIT": "100000 per minute"}  # every user signs in from this one address
    env.pop("REDIS_URL", None)
    server = None
    try:
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        started = time.perf_counter()
        counts = fill(url.replace("postgresql+psycopg://", "postgresql://"), args.businesses, args.obligations,
                      args.users, args.heavy)
        print(f"  filled in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{t} {n:,}" for t, n in counts.items()), flush=True)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:create_app()",
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", *(["-w", str(args.workers)] if args.workers else [])],
            env=env, cwd=ROOT)
        _wait_until_up(base, server)
        cookies = [sign_in(base, f"user{u}@bench.example.pl") for u in range(1, args.users + 1)]
        pages = {
            "dashboard": [f"{c}\t/portal/" for c in cookies],
            "obligations list": [f"{c}\t/portal/zobowiazania/{2 * u + 1}" for u, c in enumerate(cookies)],
        }
        for lines in pages.values():
            cookie, path = lines[0].split("\t")
            _check(base, cookie, path)
            load(base, lines, args.connections, 3, args.wrk_threads)  # warm the workers and caches
        results = {name: (load(base, lines, args.connections, args.duration, args.wrk_threads, args.think),
                          load(base, lines, args.connections, args.duration, args.wrk_threads))
                   for name, lines in pages.items()}
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        drop()
    workers = args.workers or int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
    out = [f"portal on PostgreSQL + gunicorn (gunicorn.conf.py: {workers} sync workers): "
           f"{counts['obligations']:,} obligations, {counts['payments']:,} payments, {counts['contractors']:,} "
           f"businesses; {args.users} users with 2 businesses of {args.heavy} obligations each; "
           f"wrk, {args.duration} s per page and mode, {os.cpu_count()} cores",
           f"  {args.connections} users, each waiting {args.think} ms between an answer and its next request "
           f"(at most {args.connections * 1000 // max(args.think, 1)} req/s offered):"]
    for name, (users, _flat) in results.items():
        verdict = "ok" if users["p95"] < args.p95_target and users["rps"] >= args.rps_target else "MISSED"
        out.append(f"    {name:17} {_figures(users)}  target p95 < {args.p95_target:g} ms at >= "
                   f"{args.rps_target} req/s  {verdict}")
    out.append(f"  {args.connections} connections without a pause (the most the server answers):")
    for name, (_users, flat) in results.items():
        out.append(f"    {name:17} {_figures(flat)}")
    return out


def _figures(figures: dict) -> str:
    return (f"{figures['rps']:6.0f} req/s  p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms  "
            f"p99 {figures['p99']:6.1f} ms  errors {figures['errors']}, non-2xx {figures['non2xx']}")


def main() -> None:
    """Parse the arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--obligations", type=int, default=int(os.environ.get("OBLIGATIONS", 1_000_000)))
    parser.add_argument("--businesses", type=int, default=int(os.environ.get("BUSINESSES", 100_000)))
    parser.add_argument("--users", type=int, default=int(os.environ.get("USERS", 200)))
    parser.add_argument("--heavy", type=int, default=int(os.environ.get("HEAVY", 250)),
                        help="obligations of each portal user's business (250)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent users (32)")
    parser.add_argument("--think", type=int, default=80,
                        help="ms each user waits between an answer and its next request (80)")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", 0)),
                        help="gunicorn workers (default: gunicorn.conf.py's, two per core)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--p95-target", type=float, default=50.0)
    parser.add_argument("--rps-target", type=int, default=300)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"portal benchmark: {args.obligations:,} obligations, {args.businesses:,} businesses, "
          f"{args.users} portal users", flush=True)
    print("\n".join(run(args)))


if __name__ == "__main__":
    main()
