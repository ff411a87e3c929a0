"""The deployment files that cannot run on this machine (no Docker engine) are still checked."""

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent


def test_compose_defines_the_services_with_their_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat", "migrate"} <= services.keys()
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["web"]["command"][:2] == ["gunicorn", "hotline.wsgi"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "hotline", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "hotline", "beat"]
    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["build"] == ".", name
        assert service["env_file"] == ".env", name
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:6379")
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_restarts_and_health_checks_every_long_running_service():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("db", "redis", "web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name
    # The web's check is its own liveness, which does not depend on Redis or the workers
    assert "/healthz/live" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping -d celery@$$HOSTNAME" in " ".join(services["worker"]["healthcheck"]["test"])


def test_dockerfile_installs_pinned_requirements_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "gunicorn" in dockerfile


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r ")):
                assert "==" in line, f"{name}: {line}"


def test_the_access_log_keeps_callers_phone_numbers_out(tmp_path):
    # Given gunicorn started as the Dockerfile starts it, from the project directory, logging access
    access_log = tmp_path / "access.log"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    command = [sys.executable, "-m", "gunicorn", "hotline.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    server = subprocess.Popen([*command, "--access-logfile", str(access_log)], cwd=ROOT, env=env)
    try:
        # When a desk lookup carries a caller's number in its query string
        def answered() -> bool:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/desk/caller/?phone=13800138000", timeout=5)
            except urllib.error.HTTPError:
                return True  # any answer: the request reached Django and was logged
            except OSError:
                return False
            return True

        wait_until(answered, timeout=30, interval=0.2)
        wait_until(lambda: access_log.exists() and "/desk/caller/" in access_log.read_text())
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Then the access log has the request's path, and not the number
    line = access_log.read_text()
    assert '"GET /desk/caller/ HTTP/1.1"' in line
    assert "13800138000" not in line
