"""The benchmark: one command, at a chosen scale, on a PostgreSQL database of its own.

    .venv/bin/python -m bench.run --tickets 1000000

1. generates the data set once (hotline.generator, COPY) into $BENCH_DATABASE_URL (default the
   local database `hotline_bench`, created if missing) and reuses it while the size matches; the
   cache (throttle counters, reference versions) is Redis as deployed, $BENCH_REDIS_URL (default
   the local Redis, database 12);
2. serves the product with gunicorn (bench.settings: the product plus a bare one-INSERT endpoint)
   and measures, each several times (median and min–max; each timed load runs --seconds):
   intake API at a fixed offered rate (achieved rate, p50/p95/p99) and at saturation, beside the
   bare INSERT endpoint and the DRF floor in the same run, with each saturated request's CPU in
   the web workers, PostgreSQL and Redis; officer inbox and ticket list API at deep cursor pages;
3. in-process: a deadline sweep over 100,000 open assignments with 1,000 due; one month's
   evaluation of every unit kind beside the raw SQL aggregate of the same counts; the analytics
   dashboard page and the big screen's API (this month's rollups built first if missing);
4. writes bench/results/<tickets>.json and .md (the table README shows; --results-dir elsewhere).
"""

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/hotline_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
CPU_KINDS = ("web", "postgresql", "redis")


def setup_django(database_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-deployment-key-" + "x" * 20)
    # The in-process phases run under the settings gunicorn serves, whatever the shell exported.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    import psycopg2

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    admin = psycopg2.connect(dbname="postgres", user=url.username, host=url.hostname, port=url.port or 5432)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def prepare_data(*, tickets: int, years: float) -> dict:
    """Migrate, load the org, and generate `tickets` unless the database already holds them.
    `tickets` in the answer is what the database holds: every run's intake loads add to it."""
    from django.core.management import call_command
    from django.db import connection

    from hotline.generator import database_dsn, generate

    call_command("migrate", verbosity=0)
    call_command("load_org", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' hashed static names
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM intake_ticket")
        existing = cursor.fetchone()[0]
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, payload text, created_at timestamptz)"
        )
    if existing >= tickets:
        return {"generated": False, "tickets": existing}
    connection.close()
    result = generate(dsn=database_dsn(), tickets=tickets - existing, years=years, workers=2)
    return {"generated": True, "tickets": existing + result["intake_ticket"], **result}


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    if not ordered:
        return {}

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "n": len(ordered),
        "p50_ms": round(percentile(0.50) * 1000, 1),
        "p95_ms": round(percentile(0.95) * 1000, 1),
        "p99_ms": round(percentile(0.99) * 1000, 1),
    }


def spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


class Server:
    """gunicorn serving bench.settings on a free local port."""

    def __init__(self, workers: int) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        command = [sys.executable, "-m", "gunicorn", "bench.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.process.returncode}")
            try:
                status, _body = self.request("GET", "/healthz/live")
                if status == 200:  # the web process answers (no Celery worker runs here)
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def cpu_seconds(*, web_parent: int) -> dict[tuple[str, int], float]:
    """CPU seconds used so far by each web worker (children of `web_parent`), PostgreSQL process
    and Redis, keyed by (kind, pid), read from /proc (Linux): which process kind a request's time
    goes to."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[tuple[str, int], float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                head, tail = stat.read().rsplit(")", 1)
        except OSError:  # ended meanwhile
            continue
        command, fields = head.split("(", 1)[1], tail.split()
        if int(fields[1]) == web_parent:
            kind = "web"
        elif command == "postgres":
            kind = "postgresql"
        elif command.startswith("redis-server"):
            kind = "redis"
        else:
            continue
        used[kind, int(pid)] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def cpu_used(*, before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> dict[str, float]:
    """CPU seconds per process kind between two readings. Per process, so that one that ended
    meanwhile (an autovacuum worker) takes its earlier time with it rather than from the others;
    its time within the interval is lost, a small undercount."""
    used = dict.fromkeys(CPU_KINDS, 0.0)
    for (kind, pid), seconds in after.items():
        used[kind] += seconds - before.get((kind, pid), 0.0)
    return used


def load(
    server: Server, *, method: str, path: str, body_for, headers: dict, rate: float | None, seconds: float, clients: int
):
    """Open loop at `rate` requests/s shared by the clients (None: closed loop, as fast as possible).

    In the open loop a request's latency runs from the moment it was due, not from when its
    client got round to sending it: a server that falls behind the offered rate shows it.
    """
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter()
    stop_at = start + seconds
    interval = clients / rate if rate else 0.0

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        next_at = start + index * (interval / clients if rate else 0)
        sequence = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            if rate and now < next_at:
                time.sleep(next_at - now)
            sequence += 1
            began = next_at if rate else time.perf_counter()
            try:
                connection.request(method, path, body=body_for(index, sequence), headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                ok = False
            elapsed = time.perf_counter() - began
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
            next_at += interval
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - start
    return {"achieved_per_s": round(len(latencies) / duration, 1), "errors": errors[0], **summary(latencies)}


def bench_intake(server: Server, *, token: str, category_id: int, street_id: int, repeats: int, seconds: float) -> dict:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def ticket_body(index: int, sequence: int) -> bytes:
        return json.dumps(
            {
                "channel": "phone",
                "kind": "complaint",
                "category": category_id,
                "street": street_id,
                "phone": f"1390{index:03d}{sequence % 10000:04d}",
                "caller_name": "压测",
                "description": "小区楼道灯坏了一个多月，晚上出行不便，希望尽快维修。",
            }
        ).encode()

    def bare_body(index: int, sequence: int) -> bytes:
        return b'{"payload": "x"}'

    plan = [
        # (result, path, body, offered rate or None for as fast as it goes, clients)
        ("intake_120", "/api/v1/tickets/", ticket_body, 120, 32),  # below capacity: a steady load's latency
        ("intake_fixed", "/api/v1/tickets/", ticket_body, 200, 32),
        ("intake_max", "/api/v1/tickets/", ticket_body, None, 8),
        # DRF's own cost: the intake's authentication, throttles, permissions and parsing, no work.
        # Right after the intake's saturation, so that each repeat's pair sees the same machine
        # (a VM's speed drifts by a fifth from one minute to the next).
        ("drf_floor_max", "/bench/drf-floor/", ticket_body, None, 8),
        ("bare_fixed", "/bench/bare/", bare_body, 200, 32),
        ("bare_max", "/bench/bare/", bare_body, None, 8),
    ]
    out: dict[str, list] = {name: [] for name, *_rest in plan}
    # Untimed: every gunicorn worker imports its views and reads its reference rows first.
    warm_up = min(3.0, seconds)
    for path, body in (
        ("/api/v1/tickets/", ticket_body),
        ("/bench/bare/", bare_body),
        ("/bench/drf-floor/", ticket_body),
    ):
        load(server, method="POST", path=path, body_for=body, headers=headers, rate=None, seconds=warm_up, clients=8)
    for _ in range(repeats):
        for name, path, body, rate, clients in plan:
            before = cpu_seconds(web_parent=server.process.pid)
            result = load(
                server,
                method="POST",
                path=path,
                body_for=body,
                headers=headers,
                rate=rate,
                seconds=seconds,
                clients=clients,
            )
            if rate is None:  # saturated: where each request's CPU goes
                used = cpu_used(before=before, after=cpu_seconds(web_parent=server.process.pid))
                served = result["achieved_per_s"] * seconds
                result["cpu_ms"] = {kind: round(seconds_used / served * 1000, 2) for kind, seconds_used in used.items()}
            out[name].append(result)
    return out


def bench_pages(server: Server, *, token: str, path: str, depth: int, repeats: int) -> dict:
    """Follow the cursor up to `depth` pages deep, `repeats` times, timing every page."""
    headers = {"Authorization": f"Token {token}"}
    timings = []
    for _ in range(repeats):
        url, pages = path, 0
        while pages < depth:
            began = time.perf_counter()
            status, body = server.request("GET", url, headers=headers)
            timings.append(time.perf_counter() - began)
            pages += 1
            if status != 200:
                raise RuntimeError(f"{url}: {status} {body[:200]!r}")
            following = json.loads(body).get("next")
            if not following:
                break
            parsed = urlparse(following)
            url = f"{parsed.path}?{parsed.query}"
    return {"pages": pages, "first_ms": round(timings[0] * 1000, 1), **summary(timings)}


def bench_sweep(*, repeats: int) -> dict:
    """100,000 open assignments, 1,000 of them due: one sweep run handles the 1,000."""
    from django.db import connection, transaction
    from django.urls import reverse
    from django.utils import timezone

    from dispatch import sweeps

    # Warm, as a worker is after its first task: the notices' links import the URLconf once
    # (0.9 s, which earlier runs counted in the sweep's time).
    reverse("healthz")  # imports the URL modules and builds the reverse lookup
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dispatch_assignment WHERE ended_at IS NULL")
        live = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM dispatch_assignment")
        total = cursor.fetchone()[0]
    timings, opened, handled = [], 0, 0
    for _ in range(repeats):
        # Everything below is rolled back: the data set stays as generated for the next run.
        with transaction.atomic(), connection.cursor() as cursor:
            # Open up to 100,000 assignments (reopening closed ones, their tickets back in progress),
            # 1,000 of them at their deadline now; the rest due in the coming week.
            cursor.execute(
                "WITH picked AS (SELECT id, ticket_id FROM dispatch_assignment WHERE role = 'lead' "
                "ORDER BY id DESC LIMIT 100000) "
                "UPDATE dispatch_assignment a SET ended_at = NULL, status = 'signed', overdue_at = NULL, "
                "dispatched_at = now() - interval '7 days', "
                "sign_due_at = now() - interval '7 days' + interval '1 hour', "
                "signed_at = now() - interval '7 days' + interval '20 minutes', "
                "due_at = now() + (row_number * interval '1 second'), "
                "next_alert_stage = 'overdue', next_alert_at = now() + (row_number * interval '1 second') "
                "FROM (SELECT id, row_number() OVER (ORDER BY id) - 1000 AS row_number FROM picked) n "
                "WHERE a.id = n.id"
            )
            opened = cursor.rowcount
            cursor.execute(
                "UPDATE intake_ticket SET status = 'in_progress', closed_at = NULL WHERE id IN "
                "(SELECT ticket_id FROM dispatch_assignment WHERE ended_at IS NULL)"
            )
            cursor.execute("ANALYZE dispatch_assignment")
            began = time.perf_counter()
            result = sweeps.sweep_deadline_alerts(now=timezone.now(), batch=1000)
            timings.append(time.perf_counter() - began)
            handled = result.handled
            if handled != 1000:
                raise RuntimeError(f"the sweep handled {handled} of the 1,000 due assignments")
            transaction.set_rollback(True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE dispatch_assignment, intake_ticket")
    return {
        "live_before": live,
        "assignments": total,
        "open": opened,
        "due": 1000,
        "handled": handled,
        **spread(timings),
    }


# The same counts as the rankings, hand-written: evaluation.rates.unit_counts (lead assignments,
# at either level, dispatched in the month, each for its own unit (in time: signed and contacted
# by their deadlines, or no caller; not returned), and primary callbacks done in the month (a
# ticket's latest round in the month) for the callback's unit and the unit its district passed
# the ticket down to, less approved exclusions/appeals), and the street ranking's 治理 demand
# (evaluation.lines.governance_demand: requests located in each street over the scheme's last
# months). Without the demand, which reads three months of tickets, the bound left out the
# ranking's largest aggregate at 1 million tickets. Proactive tickets (未诉先办) count in no rate.
RAW_EVALUATION_SQL = (
    "SELECT a.unit_id, count(*) FILTER (WHERE NOT x.excluded), "
    "count(*) FILTER (WHERE NOT x.excluded AND NOT a.returned AND a.signed_at <= a.sign_due_at "
    "AND (a.first_contacted_at <= a.first_contact_due_at OR t.caller_id IS NULL)), "
    "count(*) FILTER (WHERE x.excluded) "
    "FROM dispatch_assignment a JOIN intake_ticket t ON t.id = a.ticket_id, LATERAL (SELECT EXISTS ("
    "SELECT 1 FROM evaluation_appeal p WHERE p.kind = 'exclude_ticket' AND p.status = 'approved' "
    "AND p.ticket_id = a.ticket_id AND p.unit_id = a.unit_id) AS excluded) x "
    "WHERE a.role = 'lead' AND a.dispatched_at >= %(start)s AND a.dispatched_at < %(end)s "
    "AND t.channel <> 'proactive' GROUP BY a.unit_id; "
    "SELECT credited.unit_id, count(*), count(*) FILTER (WHERE c.resolution = 'resolved'), "
    "count(*) FILTER (WHERE c.resolution = 'partly'), count(*) FILTER (WHERE c.satisfaction = 'satisfied'), "
    "count(*) FILTER (WHERE c.satisfaction = 'basically') "
    "FROM evaluation_callback c JOIN intake_ticket t ON t.id = c.ticket_id AND t.channel <> 'proactive' "
    "CROSS JOIN LATERAL (VALUES (c.unit_id), (c.passed_down_to_id)) "
    "AS credited (unit_id) WHERE credited.unit_id IS NOT NULL AND c.is_primary AND c.status = 'done' "
    "AND c.completed_at >= %(start)s AND c.completed_at < %(end)s "
    "AND NOT EXISTS (SELECT 1 FROM evaluation_callback l WHERE l.ticket_id = c.ticket_id AND l.is_primary "
    "AND l.status = 'done' AND l.completed_at >= %(start)s AND l.completed_at < %(end)s AND l.round > c.round) "
    "AND NOT EXISTS (SELECT 1 FROM evaluation_appeal p WHERE p.status = 'approved' AND ("
    "(p.kind = 'exclude_ticket' AND p.ticket_id = c.ticket_id AND p.unit_id = credited.unit_id) "
    "OR (p.kind = 'callback_result' AND p.callback_id = c.id))) GROUP BY credited.unit_id; "
    "SELECT street_id, count(*) FROM intake_ticket WHERE created_at >= %(window)s AND created_at < %(end)s "
    "AND street_id IS NOT NULL GROUP BY street_id HAVING count(*) >= %(minimum)s"
)


def raw_evaluation(*, month: date) -> list[list[tuple]]:
    """The rows of RAW_EVALUATION_SQL for `month`: per unit the response counts, per credited unit
    the callback counts, and per street the 治理 demand (tests check them against the rankings')."""
    from django.db import connection

    from evaluation.rates import parameters_for
    from hotline import months
    from hotline.models import UnitKind

    start, end = months.month_bounds(month)
    parameters = parameters_for(unit_kind=UnitKind.STREET, month=month)
    window = months.month_bounds(months.add_months(month, 1 - parameters.governance_months))[0]
    values = {"start": start, "end": end, "window": window, "minimum": max(parameters.governance_minimum, 1)}
    results = []
    with connection.cursor() as cursor:
        for statement in RAW_EVALUATION_SQL.split("; "):
            cursor.execute(statement, values)
            results.append(cursor.fetchall())
    return results


def bench_evaluation(*, month: date, repeats: int) -> dict:
    from django.db import connection

    from evaluation import rankings as ranking_services
    from hotline import months

    start, end = months.month_bounds(month)
    evaluation, raw = [], []
    for index in range(repeats):
        began = time.perf_counter()
        ranking_services.compute_rankings(
            month=month, unit_kinds=ranking_services.RANKED_KINDS, reason=f"benchmark run {index}"
        )
        evaluation.append(time.perf_counter() - began)
        began = time.perf_counter()
        raw_evaluation(month=month)
        raw.append(time.perf_counter() - began)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM dispatch_assignment "
            "WHERE role = 'lead' AND dispatched_at >= %s AND dispatched_at < %s",
            [start, end],
        )
        dispatched = cursor.fetchone()[0]
    ratio = statistics.median(evaluation) / statistics.median(raw)
    return {
        "month": f"{month:%Y-%m}",
        "dispatched_in_month": dispatched,
        "evaluation_s": spread(evaluation),
        "raw_sql_s": spread(raw),
        "ratio": round(ratio, 2),
    }


def bench_dashboard(*, repeats: int) -> dict:
    from django.test import Client

    from hotline.models import User

    admin = User.objects.get(username="bench-admin")
    client = Client()
    client.force_login(admin)
    client.get("/analytics/", HTTP_HOST="localhost")  # warm-up: template compilation, the static manifest
    timings = []
    for _ in range(repeats * 10):
        began = time.perf_counter()
        response = client.get("/analytics/", HTTP_HOST="localhost")
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    return summary(timings)


def ensure_month_rollups() -> dict:
    """This month's rollups, as the refresh keeps them: rebuilt over the month's days when the data
    set has none, so that the dashboard and the big screen read real rows (the generator writes
    tickets, not rollups)."""
    from django.utils import timezone

    from analytics import services
    from analytics.models import DailyRollup

    today = timezone.localdate()
    first = today.replace(day=1)
    if DailyRollup.objects.filter(day__gte=first).exists():
        return {"rebuilt_days": 0}
    began = time.perf_counter()
    days = services.rebuild_rollups(first=first, last=today)
    return {"rebuilt_days": days, "seconds": round(time.perf_counter() - began, 1)}


def bench_screen(*, repeats: int) -> dict:
    """The big screen's refresh: its API in-process, the cache off so that every request assembles
    the figures (the queries are what is measured), after one warm-up request."""
    from django.test import Client, override_settings

    from hotline.models import User

    admin = User.objects.get(username="bench-admin")
    client = Client()
    client.force_login(admin)
    timings = []
    with override_settings(ANALYTICS_SCREEN_CACHE_SECONDS=0):
        client.get("/api/v1/analytics/screen/", HTTP_HOST="localhost")  # warm-up
        for _ in range(repeats * 10):
            began = time.perf_counter()
            response = client.get("/api/v1/analytics/screen/", HTTP_HOST="localhost")
            timings.append(time.perf_counter() - began)
            assert response.status_code == 200, response.status_code
    return summary(timings)


def bench_users() -> tuple[str, str]:
    """An agent (API token) and the officer of the busiest street (API token); a city admin."""
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from dispatch.models import Assignment
    from hotline.models import Membership, Role, Unit, UnitKind, User

    hotline = Unit.objects.get(kind=UnitKind.HOTLINE_CENTER)
    agent, _ = User.objects.get_or_create(username="bench-agent")
    Membership.objects.get_or_create(user=agent, unit=hotline, role=Role.AGENT)
    busiest = (
        Assignment.objects.filter(unit__kind=UnitKind.STREET)
        .values("unit")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    officer, _ = User.objects.get_or_create(username="bench-officer")
    Membership.objects.get_or_create(user=officer, unit_id=busiest["unit"], role=Role.UNIT_OFFICER)
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    Membership.objects.get_or_create(user=admin, unit=Unit.objects.get(kind=UnitKind.CITY), role=Role.CITY_ADMIN)
    return Token.objects.get_or_create(user=agent)[0].key, Token.objects.get_or_create(user=officer)[0].key


def markdown(results: dict) -> str:
    runs = results["intake"]

    def med(runs: list[dict], key: str) -> str:
        return (
            f"{statistics.median(r[key] for r in runs):g} ({min(r[key] for r in runs):g}–{max(r[key] for r in runs):g})"
        )

    evaluation = results["evaluation"]
    pairs = [
        intake["achieved_per_s"] / floor["achieved_per_s"]
        for intake, floor in zip(runs["intake_max"], runs["drf_floor_max"], strict=True)
    ]
    floor_ratios = f"{statistics.median(pairs):.2f} ({min(pairs):.2f}–{max(pairs):.2f})"
    lines = [
        f"Benchmark at {results['tickets']:,} tickets ({results['data']['tickets']:,} in the database at the start; "
        f"{results['machine']}), {results['finished']}.",
        "Median of the runs, (min–max) in brackets.",
        "",
        "| measurement | result |",
        "|---|---|",
        "| intake API at 200/s offered (open loop, 32 clients): achieved/s | "
        f"{med(runs['intake_fixed'], 'achieved_per_s')} |",
        "| intake API at 200/s, latency from each request's due time: p50 / p95 / p99 ms | "
        f"{med(runs['intake_fixed'], 'p50_ms')} / "
        f"{med(runs['intake_fixed'], 'p95_ms')} / {med(runs['intake_fixed'], 'p99_ms')} |",
        f"| intake API at 120/s offered: achieved/s | {med(runs['intake_120'], 'achieved_per_s')} |",
        f"| intake API at 120/s: p50 / p95 / p99 ms | {med(runs['intake_120'], 'p50_ms')} / "
        f"{med(runs['intake_120'], 'p95_ms')} / {med(runs['intake_120'], 'p99_ms')} |",
        f"| bare INSERT endpoint at 200/s: p50 / p95 ms | {med(runs['bare_fixed'], 'p50_ms')} / "
        f"{med(runs['bare_fixed'], 'p95_ms')} |",
        f"| intake API saturated (8 clients): tickets/s | {med(runs['intake_max'], 'achieved_per_s')} |",
        f"| bare INSERT endpoint saturated: requests/s | {med(runs['bare_max'], 'achieved_per_s')} |",
        f"| intake / bare throughput | {results['intake_ratio']:.2f} |",
        f"| DRF floor (token auth, throttles, permissions, JSON; writes nothing) saturated: requests/s | "
        f"{med(runs['drf_floor_max'], 'achieved_per_s')} |",
        f"| intake / DRF floor throughput, each repeat's pair | {floor_ratios} |",
        *(
            f"| {label} saturated, CPU per request in web / PostgreSQL / Redis: ms | "
            + " / ".join(f"{statistics.median(r['cpu_ms'][kind] for r in runs[name]):g}" for kind in CPU_KINDS)
            + " |"
            for name, label in (
                ("intake_max", "intake API"),
                ("bare_max", "bare INSERT"),
                ("drf_floor_max", "DRF floor"),
            )
        ),
        f"| officer inbox API, {results['inbox']['pages']} cursor pages × {results['repeats']}: p50 / p95 ms | "
        f"{results['inbox']['p50_ms']} / {results['inbox']['p95_ms']} |",
        f"| ticket list API, {results['list']['pages']} cursor pages × {results['repeats']}: p50 / p95 ms | "
        f"{results['list']['p50_ms']} / {results['list']['p95_ms']} |",
        f"| deadline sweep, 1,000 due of {results['sweep']['open']:,} open: s | {results['sweep']['median']} "
        f"({results['sweep']['min']}–{results['sweep']['max']}) |",
        f"| monthly evaluation, all unit kinds ({evaluation['month']}, "
        f"{evaluation['dispatched_in_month']:,} dispatched): s | {evaluation['evaluation_s']['median']} "
        f"({evaluation['evaluation_s']['min']}–{evaluation['evaluation_s']['max']}) |",
        f"| raw SQL lower bound of the same aggregates: s | {evaluation['raw_sql_s']['median']} |",
        f"| evaluation / raw SQL | {evaluation['ratio']} |",
        f"| analytics dashboard page: p50 / p95 ms | {results['dashboard'].get('p50_ms')} / "
        f"{results['dashboard'].get('p95_ms')} |",
        f"| big screen refresh (API): p50 / p95 ms | {results['screen'].get('p50_ms')} / "
        f"{results['screen'].get('p95_ms')} |",
    ]
    if results["data"].get("generated"):
        data = results["data"]
        lines.append(f"| data generation: tickets/s (with events, COPY) | {data['tickets_per_second']:,} |")
    return "\n".join(lines) + "\n"


def data_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark shares: the scale, where the data and the cache are, where to write."""
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write (default bench/results)")


def prepared(args: argparse.Namespace) -> dict:
    """The benchmark's database, set up and holding `args.tickets` tickets; Django configured for it."""
    ensure_database(args.database_url)
    setup_django(args.database_url, args.redis_url)
    data = prepare_data(tickets=args.tickets, years=args.years)
    print("data:", data, flush=True)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_arguments(parser)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of each timed intake load (default 8)")
    args = parser.parse_args()
    data = prepared(args)

    from django.db import ProgrammingError, connection

    from hotline.models import Category, Unit, UnitKind

    with connection.cursor() as cursor:
        # Earlier runs' rolled-back sweep setups leave dead rows: measure a vacuumed, analysed database.
        cursor.execute("VACUUM ANALYZE intake_ticket, dispatch_assignment, evaluation_callback, intake_ticketevent")
        # The vacuum dirties pages across the tables (gigabytes at 10 M): written out now, not by
        # a checkpoint in the middle of the first timed load (which stalled its commits for seconds).
        # CHECKPOINT needs a superuser or pg_checkpoint; without either the run goes on as before.
        try:
            cursor.execute("CHECKPOINT")
        except ProgrammingError as error:
            print("no CHECKPOINT before the loads:", error, flush=True)
    agent_token, officer_token = bench_users()
    category_id = Category.objects.filter(level=3).values_list("pk", flat=True).first()
    street_id = Unit.objects.filter(kind=UnitKind.STREET).values_list("pk", flat=True).first()
    connection.close()

    server = Server(workers=4)  # as deployed (Dockerfile, docker-compose.yml)
    try:
        intake = bench_intake(
            server,
            token=agent_token,
            category_id=category_id,
            street_id=street_id,
            repeats=args.repeats,
            seconds=args.seconds,
        )
        print("intake done", flush=True)
        inbox = bench_pages(
            server,
            token=officer_token,
            path="/api/v1/assignments/?tab=all&page_size=50",
            depth=200,
            repeats=args.repeats,
        )
        ticket_list = bench_pages(
            server, token=agent_token, path="/api/v1/tickets/?page_size=50", depth=200, repeats=args.repeats
        )
        print("pages done", flush=True)
    finally:
        server.stop()
    today = datetime.now().date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    evaluation = bench_evaluation(month=last_month, repeats=args.repeats)
    sweep = bench_sweep(repeats=args.repeats)
    print("sweep done", flush=True)
    rollups = ensure_month_rollups()
    print("rollups:", rollups, flush=True)
    dashboard = bench_dashboard(repeats=args.repeats)
    screen = bench_screen(repeats=args.repeats)
    intake_ratio = statistics.median(r["achieved_per_s"] for r in intake["intake_max"]) / statistics.median(
        r["achieved_per_s"] for r in intake["bare_max"]
    )
    results = {
        "tickets": args.tickets,
        "repeats": args.repeats,
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
        "data": data,
        "intake": intake,
        "intake_ratio": intake_ratio,
        "inbox": inbox,
        "list": ticket_list,
        "sweep": sweep,
        "evaluation": evaluation,
        "rollups": rollups,
        "dashboard": dashboard,
        "screen": screen,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / f"{args.tickets}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str)
    )
    (args.results_dir / f"{args.tickets}.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
