"""Private Redis and PostgreSQL servers, and the web server on them, for the fault tests."""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import ROOT, free_port, wait_until


class PrivateRedis:
    """A redis-server of this test's own, without persistence: stop() is an outage."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.log = workdir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.answers, timeout=10)

    def stop(self) -> None:
        """Killed, as a crashed or unplugged Redis would be."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def answers(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return result.stdout.strip() == "PONG"


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def server_program(name: str) -> str:
    """A PostgreSQL server program: on PATH, or where Debian installs it (not on PATH there)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.fail(f"{name} (PostgreSQL's server programs) is needed for the fault tests")
    return found


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own, in a temporary directory."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path, which only root may enter: initdb and the server refuse to
        # run as root, so they run as the postgres system user then.
        self.dir = Path(tempfile.mkdtemp(prefix="hotline-faults-pg-"))
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/hotline"

    def _pg(self, program: str, *arguments: str) -> None:
        subprocess.run([*self.as_owner, server_program(program), *arguments], check=True, capture_output=True)

    def init(self) -> None:
        self._pg("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._pg("pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop_immediately(self) -> None:
        """No checkpoint, no goodbye to the clients: what a crash of the server looks like."""
        self._pg("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0

    def copy_of_test_database(self) -> None:
        """This test's database, schema and the rows it committed, as the private cluster's `hotline`."""
        source = this_test_database_url()
        admin = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self._run(["psql", "-q", admin, "-c", "CREATE DATABASE hotline"])
        dump = subprocess.run(["pg_dump", "--no-owner", source], check=True, capture_output=True)
        self._run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url], input=dump.stdout)

    @staticmethod
    def _run(command: list[str], input: bytes | None = None) -> None:
        subprocess.run(command, check=True, capture_output=True, input=input)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        if server.running():
            server.stop_immediately()
        shutil.rmtree(server.dir, ignore_errors=True)


@dataclass
class Web:
    """gunicorn serving the product, as the Dockerfile starts it."""

    url: str
    process: subprocess.Popen
    log: Path
    token: str = ""
    answers: list[tuple[float, int]] = field(default_factory=list)

    def request(self, method: str, path: str, body: dict | None = None, **headers: str) -> tuple[int, dict]:
        """Status and JSON body; status 0 when the server could not be reached at all."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, {"raw": raw.decode(errors="replace")[:500]}
        except OSError:
            return 0, {}


@pytest.fixture
def start_web(tmp_path) -> Iterator:
    """start_web(database_url=, redis_url=): a gunicorn on those servers, stopped after the test."""
    started: list[Web] = []

    def start(*, database_url: str, redis_url: str) -> Web:
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url,
            "TEST_REDIS_SERVER": redis_url,
            # A fresh connection per request: a restarted PostgreSQL is found again at once.
            "DB_CONN_MAX_AGE": "0",
        }
        log = tmp_path / f"web-{port}.log"
        command = [sys.executable, "-m", "gunicorn", "hotline.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        web = Web(url=f"http://127.0.0.1:{port}", process=process, log=log)
        started.append(web)
        wait_until(lambda: web.request("GET", "/healthz/live")[0] == 200 or process.poll() is not None, timeout=60)
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text()}")
        return web

    yield start
    for web in started:
        web.process.terminate()
        web.process.wait(timeout=30)


def this_test_database_url() -> str:
    return "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)
