"""README's first command, end to end: SQLite, embedded broker, web + worker + beat."""

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import load_run_script, wait_until

ROOT = Path(__file__).resolve().parent.parent


class Browser:
    """A logged-in session over plain HTTP (cookies and the login form's CSRF token)."""

    def __init__(self, url: str, username: str, password: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = self.get("accounts/login/")[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        request = urllib.request.Request(
            url + "accounts/login/", data=urllib.parse.urlencode(fields).encode(), headers={"Referer": url}
        )
        self.opener.open(request, timeout=30).read()

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.url + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.mark.slow
def test_run_script_serves_the_product_on_sqlite(tmp_path):
    # Given a machine with nothing configured: no DATABASE_URL, REDIS_URL or SECRET_KEY
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update(
        HOTLINE_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="hotline.settings",
        HEARTBEAT_INTERVAL_SECONDS="1",
        DEMO_HISTORY_TICKETS="3000",  # the default 40,000 makes the same pages, in a minute more
        STATIC_ROOT=str(tmp_path / "static"),  # not the checkout's, which the benchmark's test collects into
    )
    output = tmp_path / "run.out"
    # When the README's run command starts
    with output.open("w") as out:
        run = subprocess.Popen(
            [sys.executable, "scripts/run.py", "--port", "0"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: "open311" in output.read_text() or run.poll() is not None, timeout=300, interval=0.5)
        text = output.read_text()
        assert run.poll() is None, text
        url = re.search(r"running at (http://127\.0\.0\.1:\d+/)", text).group(1)
        # Then it printed the demo logins with a password
        password = re.search(r"^agent\s+(\S+)\s+热线坐席", text, re.MULTILINE).group(1)
        # and by then the whole product is healthy: database, broker, beat and worker
        with urllib.request.urlopen(url + "healthz", timeout=10) as response:
            assert json.load(response)["workers"] == "ok"
        # and the login page answers in Chinese, with its static files served (DEBUG is off)
        with urllib.request.urlopen(url + "accounts/login/", timeout=10) as response:
            page = response.read().decode()
        assert "登录" in page
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', page).group(1)
        with urllib.request.urlopen(url + stylesheet.lstrip("/"), timeout=10) as response:
            assert response.status == 200
        # and last month's published street ranking lists every street and township
        admin = Browser(url, "admin", password)
        month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
        status, body = admin.get(f"api/v1/ranking-results/?month={month}&unit_kind=street&page_size=1")
        assert status == 200, body
        assert json.loads(body)["count"] >= 343
        # and the rates have the twelve months up to this one, with the history's figures in them (the
        # current month may still be empty in its first hours)
        status, body = admin.get("api/v1/analytics/rates/")
        months = json.loads(body)["months"]
        assert len(months) == 12
        assert sum(month["response_required"] > 0 and month["resolution_rate"] is not None for month in months) >= 11
        # and a unit officer asking for another unit's ticket gets the product's Chinese 404 page, not a debug page
        with sqlite3.connect(tmp_path / "var" / "hotline.sqlite3") as database:
            assignment, ticket = database.execute(
                "SELECT a.id, a.ticket_id FROM dispatch_assignment a JOIN hotline_unit u ON u.id = a.unit_id "
                "WHERE u.name <> '新村街道' LIMIT 1"
            ).fetchone()
        officer = Browser(url, "xincun", password)
        for path in (f"workbench/{assignment}/", f"tickets/{ticket}/"):
            status, body = officer.get(path)
            assert status == 404, path
            assert "页面不存在" in body
            assert "URLconf" not in body
        assert (tmp_path / "var" / "hotline.sqlite3").exists()
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=30)
    # Stopping it stops every child, saying so: nothing listens on the port any more
    assert "stopped web" in output.read_text()
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
