import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest
import redis
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from hotline import reference, services
from hotline.models import Role, Unit, User
from tests.factories import MembershipFactory, UnitFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
Result = TypeVar("Result")


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_teardown(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Threads and worker processes of concurrency tests may leave sessions open; end them so the
    test database can be dropped."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _fresh_reference_rows() -> None:
    """Each test starts with this process's category and unit rows unread, as a new process
    would; rows a test edits directly (not through the services) are then read as edited."""
    reference.forget()


@pytest.fixture
def beijing(db) -> None:
    """The real Beijing organisation and category trees, as the product ships them."""
    services.load_units(rows=services.read_unit_rows())
    services.load_zones(rows=services.read_zone_rows())
    services.load_categories(tree=services.read_category_tree())


@pytest.fixture
def gazetteer(beijing) -> None:
    """The real Beijing trees and the 7,535 communities of the address resolver."""
    services.load_communities(rows=services.read_community_rows())


@pytest.fixture
def smart_dispatch(gazetteer) -> Iterator[None]:
    """The gazetteer, the shipped dispatch catalogue, and a category model trained from the tree alone."""
    from django.utils import timezone

    from dispatch import services as dispatch_services
    from intake.classifier import suggestions
    from intake.classifier.training import train_from_tickets

    dispatch_services.load_catalogue(rows=dispatch_services.read_catalogue_rows(), valid_from=timezone.localdate())
    suggestions.forget_loaded_model()
    train_from_tickets()
    yield
    suggestions.forget_loaded_model()


@pytest.fixture
def make_user() -> Callable[..., User]:
    """make_user(role, unit=None): a user holding `role` in `unit` (a new unit if none)."""

    def make(role: Role, unit: Unit | None = None, **fields) -> User:
        user = UserFactory(**fields)
        MembershipFactory(user=user, unit=unit or UnitFactory(), role=role)
        return user

    return make


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def load_run_script() -> ModuleType:
    """scripts/run.py as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A TCP port nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_unreachable(settings) -> None:
    """The cache pointed at a port where no Redis listens, as in an outage."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"},
    }


def start_celery_worker(
    log: Path, *, name: str = "w", env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.Popen:
    """Start a real Celery worker process on the Redis broker, using this test's database, and
    wait until it is ready. The caller stops it (terminate, or kill to simulate a crash)."""
    env = {
        **os.environ,
        **(env or {}),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [sys.executable, "-m", "celery", "-A", "hotline", "worker", "--loglevel", "INFO", "--pool", "solo"]
    command += ["-Q", "celery,hotline,intake,dispatch,evaluation,analytics,topics,reports,webhooks"]
    command += ["--without-gossip", "--without-mingle", "--hostname", f"test-{name}-{os.getpid()}@%h"]
    with log.open("wb") as out:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: " ready." in log.read_text() or worker.poll() is not None, timeout=timeout)
    except BaseException:
        # Not ready in time: stop it, or it lives on and takes the next test's tasks off the broker.
        worker.kill()
        worker.wait(timeout=15)
        raise
    if worker.poll() is not None:
        pytest.fail(f"Celery worker exited:\n{log.read_text()}")
    return worker


@pytest.fixture
def celery_worker(transactional_db, tmp_path) -> Iterator[subprocess.Popen]:
    """A real Celery worker process on the Redis broker, using this test's database.

    The test must commit what the worker is to see, hence the transactional database.
    """
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    worker = start_celery_worker(tmp_path / "worker.log")
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=15)


def run_at_once(*calls: Callable[[], Result]) -> list[Result]:
    """Start the calls at the same moment, each in its own thread and so on its own database
    connection; their results in the order they finished. The first error any raised is raised here."""
    barrier = threading.Barrier(len(calls))
    results: list[Result] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Result]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except BaseException as error:  # raised in the test's thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def wait_until(condition: Callable[[], bool], *, timeout: float = 20, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_for_js(page, expression: str, *, arg: object = None, timeout: float = 10) -> None:
    """Wait until `expression` (a JS expression, or a function of `arg`) is true in the page.

    Polled from here with page.evaluate: Playwright's wait_for_function polls by eval inside the
    page, which the product's Content-Security-Policy (no 'unsafe-eval') refuses."""
    from playwright.sync_api import Error

    def holds() -> bool:
        try:
            return bool(page.evaluate(expression, arg))
        except Error as error:  # the page is navigating: ask its next document
            if "context was destroyed" not in str(error):
                raise
            return False

    wait_until(holds, timeout=timeout)


@pytest.fixture
def browser_page(live_server, monkeypatch) -> Iterator:
    """A page in Debian's headless Chromium (Playwright), against the live test server."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's async-safety guard must stand aside here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.js_errors = errors
        yield page
        browser.close()


CHROMIUM = "/usr/bin/chromium"


def login(page, username: str, password: str = "secret-pass-123") -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
