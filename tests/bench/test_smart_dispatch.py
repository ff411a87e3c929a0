"""The smart dispatch benchmark, end to end at a tiny scale: it trains, times, and writes its table."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import smart_dispatch

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_the_smart_dispatch_benchmark_writes_every_figure(tmp_path, bench_database, bench_redis):
    # Given an empty database of the test's own
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}}
    command = [sys.executable, "-m", "bench.smart_dispatch", "--tickets", "2000", "--requests", "30"]
    command += ["--addresses", "50", "--database-url", bench_database, "--redis-url", bench_redis]
    command += ["--results-dir", str(tmp_path)]
    # When the benchmark runs at a tiny scale
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    # Then it trained a model on every ticket and timed resolution and the API, writing both files
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((tmp_path / "smart-dispatch-2000.json").read_text())
    training = results["training"]
    assert training["tickets"] == 2000
    assert training["labels"] > 100  # the tickets' categories and the tree's
    assert training["seconds"] > 0
    assert training["peak_rss_mb"] > 50
    assert results["resolution"]["n"] == 50
    assert results["suggestions"]["n"] == 30
    assert 0 < results["suggestions"]["p50_ms"] <= results["suggestions"]["p95_ms"]
    table = (tmp_path / "smart-dispatch-2000.md").read_text()
    assert table == smart_dispatch.markdown(results)
