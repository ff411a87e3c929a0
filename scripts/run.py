#!/usr/bin/env python3
"""Run the product locally: venv, install, migrate, load Beijing + demo, start web + worker + beat.

Needs only Python 3.11. Without DATABASE_URL / REDIS_URL it uses SQLite and kombu's
filesystem broker under var/ (or $HOTLINE_VAR_DIR); with them, PostgreSQL and Redis.
The demo runs as in production (DEBUG off, static files collected and served by whitenoise, the
product's own error pages), only over plain HTTP on 127.0.0.1. The banner prints once /healthz
answers 200 (database, broker and a heartbeat through the worker).
A child that exits (a worker that died with its broker, say) is started again, logged, after a
pause that doubles while it keeps exiting. Stop with Ctrl-C: every child process is stopped with it.
"""

import argparse
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Production settings (DEBUG off) served over plain HTTP on 127.0.0.1: no HTTPS redirect, no secure-only
# cookies, no HSTS. Everything else, error pages and static files included, is as deployed.
PLAIN_HTTP = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_HSTS_PRELOAD": "false",
}
# The banner waits for /healthz: the web process, the database, the broker and a worker's heartbeat.
HEALTH_TIMEOUT = 180.0
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
# Restart pauses: 1 s, 2 s, 4 s … at most this long; a child that ran this long starts over at 1 s.
RESTART_BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def ensure_venv() -> None:
    """Create .venv and install requirements.txt, skipping the install when nothing changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 (people do start it with an older python3)
        sys.exit("Python 3.11 or newer is required.")
    if not PYTHON.exists():
        log("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    requirements = (ROOT / "requirements.txt").read_bytes()
    stamp = VENV / ".requirements.sha256"
    digest = hashlib.sha256(requirements).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    log("installing requirements (first run only)")
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements.txt")], check=True)
    stamp.write_text(digest)


def local_secrets(var_dir: Path) -> dict[str, str]:
    """SECRET_KEY and the demo password, generated once per var dir and kept there."""
    path = var_dir / "local.env"
    values: dict[str, str] = {}
    if path.exists():
        values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    if not {"SECRET_KEY", "DEMO_PASSWORD"} <= values.keys():
        values = {"SECRET_KEY": secrets.token_urlsafe(50), "DEMO_PASSWORD": secrets.token_urlsafe(9)}
        path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        path.chmod(0o600)
    return values


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, children: list["Child"], timeout: float) -> None:
    """Until `url` answers 200; a child that exits before is a broken setup, not an outage: stop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children:
            if not child.alive():
                stop_all(children)
                sys.exit(f"{child.name} exited early with {child.process.returncode}; see {child.log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:  # refused while starting, or 503 until the first heartbeat (HTTPError is an OSError)
            time.sleep(0.5)
    stop_all(children)
    sys.exit(f"{url} did not answer 200 within {timeout:.0f} s; see the logs under {children[0].log_path.parent}")


@dataclass
class Child:
    """One supervised process: web, worker or beat."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> None:
        with self.log_path.open("ab") as logfile:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=logfile, stderr=subprocess.STDOUT
            )
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def supervise(children: list[Child]) -> None:
    """One round: schedule a restart for each child that exited, start those whose pause is over."""
    now = time.monotonic()
    for child in children:
        if child.restart_at is not None:
            if now >= child.restart_at:
                log(f"restarting {child.name}")
                child.start()
                child.restart_at = None
            continue
        code = child.process.poll() if child.process else None
        if code is None:
            continue
        if now - child.started_at >= STABLE_AFTER:
            child.failures = 0
        pause = min(2.0**child.failures, RESTART_BACKOFF_MAX)
        child.failures += 1
        child.restart_at = now + pause
        log(f"{child.name} exited with {code}; restarting it in {pause:.0f} s (see {child.log_path})")


def stop_all(children: list[Child]) -> None:
    """Stop every running child (SIGTERM, then SIGKILL after 10 s), saying which."""
    running = [child for child in children if child.alive()]
    for child in running:
        child.process.terminate()
    for child in running:
        try:
            child.process.wait(timeout=10)
            log(f"stopped {child.name} (pid {child.process.pid})")
        except subprocess.TimeoutExpired:
            child.process.kill()
            log(f"killed {child.name} (pid {child.process.pid}): it did not stop within 10 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)), help="0 picks a free port")
    args = parser.parse_args()

    ensure_venv()
    var_dir = Path(os.environ.get("HOTLINE_VAR_DIR", ROOT / "var")).resolve()
    (var_dir / "log").mkdir(parents=True, exist_ok=True)
    env = {
        **PLAIN_HTTP,
        # Every process, gunicorn's own lines included, logs in the product's time zone.
        "TZ": "Asia/Shanghai",
        **local_secrets(var_dir),
        **os.environ,
        "HOTLINE_VAR_DIR": str(var_dir),
    }
    port = args.port or free_port()
    # The survey links texted to callers (console SMS backend: written to the worker's log) point here.
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")

    def manage(*command: str) -> str:
        result = subprocess.run([str(PYTHON), "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode:
            sys.exit(f"manage.py {' '.join(command)} failed with {result.returncode}:\n{result.stderr}")
        return result.stdout

    log(f"database: {'DATABASE_URL' if 'DATABASE_URL' in env else var_dir / 'hotline.sqlite3'}")
    log(f"broker: {'REDIS_URL' if 'REDIS_URL' in env else 'embedded (filesystem) under ' + str(var_dir)}")
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    log(manage("load_org").strip().replace("\n", "; "))
    log(manage("load_catalogue").strip())
    log("loading the demo (the first time: a year of history, its rankings and rollups)")
    logins = manage("load_demo")

    bin_dir = VENV / "bin"
    commands = {
        "web": [str(bin_dir / "gunicorn"), "hotline.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        # -Q: every app's queue (settings.CELERY_TASK_ROUTES) and the default one.
        "worker": [
            *(str(bin_dir / "celery"), "-A", "hotline", "worker", "--loglevel", "INFO", "--concurrency", "2"),
            *("-Q", "celery,hotline,intake,dispatch,evaluation,analytics,topics,reports,webhooks"),
        ],
        "beat": [str(bin_dir / "celery"), "-A", "hotline", "beat", "--loglevel", "INFO"],
    }
    children = [Child(name, command, env, var_dir / "log") for name, command in commands.items()]
    for child in children:
        child.start()

    def stop(*_: object) -> None:
        log("stopping")
        stop_all(children)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    url = f"http://127.0.0.1:{port}/"
    # Beat's first heartbeat is one interval away (30 s): ask the worker for one now; beat's own
    # follow and keep /healthz green (or turn it red within HEARTBEAT_MAX_AGE if beat is down).
    with (var_dir / "log" / "heartbeat.log").open("ab") as logfile:
        subprocess.Popen(
            [str(bin_dir / "celery"), "-A", "hotline", "call", "hotline.tasks.record_heartbeat"],
            cwd=ROOT,
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
        )
    log("waiting for /healthz (database, broker, and a heartbeat through the worker)")
    wait_for(url + "healthz", children, timeout=HEALTH_TIMEOUT)
    print(f"\n12345 hotline is running at {url}  (logs: {var_dir / 'log'}; Ctrl-C stops)", flush=True)
    print("Demo logins (username  password  role @ unit):", flush=True)
    print(logins, flush=True)
    while True:
        supervise(children)
        time.sleep(0.5)


if __name__ == "__main__":
    main()
