"""The benchmark command, end to end at a tiny scale: it runs, and writes every figure its table reports."""

import contextlib
import json
import os
import signal
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bench import run

ROOT = Path(__file__).resolve().parent.parent.parent
TICKETS = 4000  # enough lead assignments for the sweep's 1,000 due
INTAKE_LOADS = {"intake_120", "intake_fixed", "intake_max", "bare_fixed", "bare_max", "drf_floor_max"}
SATURATED = {"intake_max", "bare_max", "drf_floor_max"}


def results_listing() -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in run.RESULTS.iterdir()}


def last_month() -> str:
    return f"{(date.today().replace(day=1) - timedelta(days=1)):%Y-%m}"


@pytest.mark.slow
def test_the_benchmark_writes_every_figure_of_its_table(tmp_path, bench_database, bench_redis):
    # Given an empty database, an empty Redis database and a results folder of the test's own
    committed, month_before = results_listing(), last_month()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}}
    # (its own static files: the run-script test collects them at the same time in another worker)
    env["STATIC_ROOT"] = str(tmp_path / "static")
    command = [sys.executable, "-m", "bench.run", "--tickets", str(TICKETS), "--repeats", "1", "--seconds", "1"]
    command += ["--database-url", bench_database, "--redis-url", bench_redis, "--results-dir", str(tmp_path)]
    log = tmp_path / "run.log"
    # When the benchmark runs at a tiny scale, each load for a second
    with log.open("wb") as out:
        # A session of its own, so that a hung run is ended with its gunicorn and their workers.
        benchmark = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        benchmark.wait(timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the benchmark did not finish in 300 s:\n{log.read_text()}")
    finally:
        with contextlib.suppress(ProcessLookupError):  # what is left of it: gunicorn after a failed start
            os.killpg(benchmark.pid, signal.SIGKILL)
        benchmark.wait()
    # Then it succeeded, writing the JSON and the table into the chosen folder, not the committed results
    assert benchmark.returncode == 0, log.read_text()
    assert results_listing() == committed
    results = json.loads((tmp_path / f"{TICKETS}.json").read_text())
    assert results["tickets"] == TICKETS
    assert results["repeats"] == 1
    # and the data set was generated
    assert results["data"]["generated"] is True
    assert results["data"]["intake_ticket"] == results["data"]["tickets"] == TICKETS
    assert results["data"]["tickets_per_second"] > 0
    # and every intake load (the API, the bare INSERT and DRF floor controls) served requests, none failing
    assert set(results["intake"]) == INTAKE_LOADS
    for name, runs in results["intake"].items():
        assert len(runs) == 1, name
        (load,) = runs
        assert load["errors"] == 0, name
        assert load["n"] > 0, name
        assert load["achieved_per_s"] > 0, name
        assert 0 < load["p50_ms"] <= load["p95_ms"] <= load["p99_ms"], name
        if name in SATURATED:  # with the CPU per request of each process kind
            assert set(load["cpu_ms"]) == set(run.CPU_KINDS), name
            assert load["cpu_ms"]["web"] > 0, name
    # and the intake, which does the bare INSERT's work and more, is the slower of the two
    assert 0 < results["intake_ratio"] < 1
    # and the inbox and the ticket list were paged through their cursors
    assert results["inbox"]["pages"] >= 1
    assert results["list"]["pages"] > 1
    for name in ("inbox", "list"):
        pages = results[name]
        assert pages["n"] == pages["pages"], name
        assert pages["first_ms"] > 0, name
        assert 0 < pages["p50_ms"] <= pages["p95_ms"] <= pages["p99_ms"], name
    # and the sweep ran (it exits non-zero unless it handled its 1,000 due assignments)
    sweep = results["sweep"]
    assert sweep["due"] == sweep["handled"] == 1000
    assert sweep["assignments"] >= sweep["open"] > sweep["due"]
    assert 0 < sweep["min"] <= sweep["median"] <= sweep["max"]
    # and last month was evaluated beside the raw SQL of the same counts
    evaluation = results["evaluation"]
    assert evaluation["month"] in {month_before, last_month()}  # the run may straddle a month's end
    assert evaluation["dispatched_in_month"] > 0
    assert evaluation["evaluation_s"]["median"] > 0
    assert evaluation["raw_sql_s"]["median"] > 0
    assert 0 < evaluation["ratio"] < 1000
    # and the dashboard page was timed ten times per repeat
    assert results["dashboard"]["n"] == 10
    assert 0 < results["dashboard"]["p50_ms"] <= results["dashboard"]["p95_ms"]
    # and so was the big screen's refresh, after this month's rollups were built
    assert results["screen"]["n"] == 10
    assert 0 < results["screen"]["p50_ms"] <= results["screen"]["p95_ms"]
    assert results["rollups"]["rebuilt_days"] == date.today().day
    # and the machine and the finishing time, with its time zone, are recorded
    assert results["machine"].startswith(f"{os.cpu_count()} cores, ")
    assert datetime.fromisoformat(results["finished"]).utcoffset() is not None
    # and the markdown file is the table of those results
    table = (tmp_path / f"{TICKETS}.md").read_text()
    assert "\n| measurement | result |\n|---|---|\n" in table
    assert table == run.markdown(results)
    assert table.startswith(f"Benchmark at {TICKETS:,} tickets ({TICKETS:,} in the database at the start; ")
    assert "| data generation: tickets/s (with events, COPY) |" in table
    assert "| big screen refresh (API): p50 / p95 ms |" in table
    assert "| intake / DRF floor throughput, each repeat's pair | 0." in table


def test_cpu_per_kind_counts_each_process_on_its_own():
    # Given a PostgreSQL backend that ran throughout, an autovacuum worker that ended, and one that started
    before = {("postgresql", 10): 5.0, ("postgresql", 11): 2.0, ("web", 20): 1.0}
    after = {("postgresql", 10): 5.5, ("postgresql", 12): 0.25, ("web", 20): 1.5}

    # When the interval's CPU is counted per kind
    used = run.cpu_used(before=before, after=after)

    # Then the ended worker takes its earlier time with it, instead of making the sum negative
    assert used == {"web": 0.5, "postgresql": 0.75, "redis": 0.0}
