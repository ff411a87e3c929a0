"""The deployment files that cannot run on this machine (no Docker engine) are still checked."""

from pathlib import Path

import yaml

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
