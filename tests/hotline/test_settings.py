"""Settings without a SECRET_KEY: commands that sign nothing run, anything that signs refuses."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def run(code: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(HOTLINE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="hotline.settings", **extra)
    return subprocess.run([sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_migrations_can_be_checked_without_a_secret_key(tmp_path):
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_nothing_is_signed_without_a_secret_key(tmp_path):
    code = "import django; django.setup(); from django.core import signing; signing.dumps(1)"
    result = run(["-c", code], tmp_path)
    assert result.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in result.stderr


def test_the_deploy_check_fails_without_a_secret_key(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "security.W009" in result.stderr
