"""README's first command, end to end: SQLite, embedded broker, web + worker + beat."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import load_run_script, wait_until

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_run_script_serves_the_product_on_sqlite(tmp_path):
    # Given a machine with nothing configured: no DATABASE_URL, REDIS_URL or SECRET_KEY
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update(
        HOTLINE_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="hotline.settings",
        HEARTBEAT_INTERVAL_SECONDS="1",
    )
    output = tmp_path / "run.out"
    # When the README's run command starts
    with output.open("w") as out:
        run = subprocess.Popen(
            [sys.executable, "scripts/run.py", "--port", "0"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: "agent" in output.read_text() or run.poll() is not None, timeout=240, interval=0.5)
        text = output.read_text()
        assert run.poll() is None, text
        url = re.search(r"running at (http://127\.0\.0\.1:\d+/)", text).group(1)
        # Then it printed the demo logins with a password
        assert re.search(r"^agent\s+\S+\s+热线坐席", text, re.MULTILINE), text
        # and the login page answers over HTTP, in Chinese
        with urllib.request.urlopen(url + "accounts/login/", timeout=10) as response:
            assert response.status == 200
            assert "登录" in response.read().decode()

        # and the embedded broker carries beat's periodic task to the worker
        def healthy() -> bool:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=5) as response:
                    return json.load(response)["workers"] == "ok"
            except OSError:
                return False

        wait_until(healthy, timeout=60, interval=1)
        assert (tmp_path / "var" / "hotline.sqlite3").exists()
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=30)
    # Stopping it stops every child: nothing listens on the port any more
    time.sleep(0.5)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "healthz", timeout=2)


def test_the_supervisor_restarts_a_killed_child_with_a_log_line_and_a_growing_pause(tmp_path, monkeypatch):
    # Given a child started by run.py's supervisor
    run = load_run_script()
    lines: list[str] = []
    monkeypatch.setattr(run, "log", lines.append)
    child = run.Child("worker", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ), tmp_path)
    child.start()
    first = child.process
    try:
        # When it is killed (SIGKILL), twice in a row
        for expected_pause in (1, 2):
            child.process.send_signal(signal.SIGKILL)
            child.process.wait(timeout=10)
            before = child.process
            wait_until(lambda before=before: (run.supervise([child]), child.process is not before)[1], timeout=10)
            # Then it is started again after a pause that doubles, and each exit is logged
            assert child.alive()
            assert f"worker exited with -9; restarting it in {expected_pause} s" in lines[-2], lines
        assert child.process is not first
    finally:
        run.stop_all([child])
    assert not child.alive()
