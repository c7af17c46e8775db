"""Helpers for tests that start real processes."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from arena.management.commands.runstack import (
    CELERY_WORKER,
    beat_command,
    web_command,
    worker_command,
)
from tests.support import missing, require_postgres, require_redis

ROOT = Path(__file__).resolve().parent.parent.parent


def production_env(
    tmp_path: Path, database_url: str, redis_url: str, queue: str, **extra: str
) -> dict[str, str]:
    """The environment of the production settings, on throwaway resources."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    return (
        env
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": queue,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ARENA_VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            # These tests count the snapshots they ask for: no catch-up adds its own
            # (tests/stack/test_first_boards.py tests it).
            "RANKING_CATCH_UP": "false",
        }
        | extra
    )


def run_once(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: (status, headers, body), also for 3xx-5xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(
    condition: Callable[[], object], *, seconds: float, what: str, logs: list[Path] = ()
) -> object:
    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except OSError as error:
            last_error = error
        time.sleep(0.5)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})\n{tails}")


def healthz(base_url: str, headers: dict[str, str] | None = None) -> dict | None:
    status, _, body = get(f"{base_url}/healthz", headers)
    return json.loads(body) | {"http_status": status}


def stop(processes: list[subprocess.Popen], *, seconds: float = 30) -> list[int]:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=seconds))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    return codes


@contextlib.contextmanager
def postgres_database(prefix: str, template: str | None = None) -> Iterator[tuple[str, str]]:
    """A PostgreSQL database of our own, a copy of ``template`` if given: its name and URL.
    Dropped afterwards, whoever is still connected."""
    admin_url = require_postgres()
    name = f"{prefix}_{secrets.token_hex(4)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    _administer(admin_url, f'CREATE DATABASE "{name}"{copy}')
    try:
        yield name, admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _administer(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _administer(admin_url: str, statement: str) -> None:
    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(statement)


@pytest.fixture
def throwaway_database():
    with postgres_database("arena_stack") as (_, url):
        yield url


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """A database migrated and seeded with the demo once per session, for fault tests to
    copy (CREATE DATABASE ... TEMPLATE takes a second; migrating and seeding, a minute)."""
    with postgres_database("arena_stack_template") as (name, url):
        # No task is sent while seeding: the Redis URL is only required by the settings.
        env = production_env(tmp_path_factory.mktemp("template"), url, require_redis(), "unused")
        run_once([sys.executable, "manage.py", "migrate", "--noinput"], env)
        run_once([sys.executable, "manage.py", "seed_demo", "--votes-per-month", "40"], env)
        yield name


@pytest.fixture
def seeded_database(seeded_template):
    """A throwaway copy of the seeded template (the demo: text votes over many months)."""
    with postgres_database("arena_stack", template=seeded_template) as (_, url):
        yield url


@pytest.fixture
def isolated_redis():
    """A Redis database number and a queue name of our own; our keys go afterwards."""
    base = require_redis()
    number = secrets.randbelow(15) + 1
    queue = f"arena-stack-{secrets.token_hex(4)}"
    yield f"{base}/{number}", queue
    client = redis.Redis.from_url(f"{base}/{number}")
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)
    drop_stale_binding_deadlines(client)


#: kombu's sorted set of its binding tables' deadlines (by exchange name). It outlives the
#: tables of our workers' broadcast exchanges (``celery.pidbox``, ``celeryev``), which go
#: with them, and kombu sweeps it only from a later consumer of the same database.
BINDING_DEADLINES = "_kombu.binding_deadlines"


def drop_stale_binding_deadlines(client: redis.Redis) -> None:
    """The deadlines of binding tables that no longer exist; a running consumer's table
    exists (kombu writes both in one script), so its deadline stays."""
    for exchange in client.zrange(BINDING_DEADLINES, 0, -1):
        if not client.exists(b"_kombu.binding." + exchange):
            client.zrem(BINDING_DEADLINES, exchange)


# --- Processes of the stack, started and faulted by the tests ------------------------------

# Short leases, swept every second, so the fault tests recover quickly; no rate limit
# on the tests' voters.
FAULT_SETTINGS = {
    "ARENA_LEASE_SECONDS": "5",
    "ARENA_SWEEP_SECONDS": "1",
    "ARENA_RESEND_AFTER_SECONDS": "3",
    "ARENA_HEARTBEAT_SECONDS": "1",
    # Far beyond any wait below: recovery must come from the sweep, not from the broker.
    "CELERY_VISIBILITY_TIMEOUT": "3600",
    "RANKING_BOOTSTRAP_ROUNDS": "100",
    "SECURE_SSL_REDIRECT": "false",  # the voters speak plain HTTP to gunicorn
    "ARENA_VOTES_PER_MINUTE_PER_SESSION": "1000",
    "ARENA_VOTES_PER_MINUTE_PER_IP": "100000",  # every voter of the tests is 127.0.0.1
    "ARENA_BATTLES_PER_MINUTE_PER_SESSION": "1000",
}


def schedule_overall(stack: Stack, *, style_control: bool = False) -> None:
    run_once(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from ranking.services import SnapshotSpec, snapshot_schedule; "
            f"snapshot_schedule(spec=SnapshotSpec(modality='text', style_control={style_control}))",
        ],
        stack.env,
    )


class Stack:
    """Named processes of one test (each in its own process group, its output in a log
    file), and the fault tests' ways of stopping them."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path, self.env = tmp_path, env
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: list[Path] = []

    def start(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> subprocess.Popen:
        """Start ``argv`` as ``name``; ``env`` and ``cwd``: a node's own (test_multi_node)."""
        log = self.tmp_path / f"{name}.log"
        if log not in self.logs:
            self.logs.append(log)
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env or self.env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def web(self, port: int) -> None:
        self.start("web", web_command("127.0.0.1", port, ["--workers", "2"]))

    def worker(self, name: str = "worker", *, concurrency: int = 1, gated: bool = False) -> None:
        """A worker of fits and imports; ``gated``: its fits wait at the gate (gated_worker)."""
        program = ("-m", "tests.stack.gated_worker") if gated else CELERY_WORKER
        self.start(name, worker_command(name, concurrency, program=program))

    def housekeeper(self) -> None:
        self.start("housekeeper", worker_command("housekeeper", 1, housekeeping=True))

    def beat(self, name: str = "beat") -> None:
        self.start(name, beat_command(str(self.tmp_path / f"{name}-schedule")))

    def note(self, event: str) -> None:
        """Record when something happened, in `events.log` (recovery times for the docs:
        read, never asserted)."""
        with (self.tmp_path / "events.log").open("a") as log:
            log.write(f"{time.time():.1f} {event}\n")

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group: the process and its pool, no cleanup."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def log(self, name: str) -> str:
        path = self.tmp_path / f"{name}.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        stop(list(self.processes.values()))


def database_rows(database_url: str, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(query, params).fetchall()


def snapshot_states(database_url: str) -> list[tuple]:
    """(key, status, attempts, n_models, rating rows) of every snapshot."""
    return database_rows(
        database_url,
        "SELECT s.key, s.status, s.attempts, s.n_models, "
        "(SELECT count(*) FROM ranking_modelrating r WHERE r.snapshot_id = s.id) "
        "FROM ranking_ratingsnapshot s ORDER BY s.id",
    )


def all_snapshots_done(database_url: str, expected: int) -> bool:
    states = snapshot_states(database_url)
    return len(states) == expected and all(state[1] == "done" for state in states)


def assert_one_finished_snapshot_per_key(database_url: str) -> list[tuple]:
    states = snapshot_states(database_url)
    assert states and len({key for key, *_ in states}) == len(states)
    for key, status, _, n_models, ratings in states:
        assert status == "done" and n_models == ratings > 0, (key, status, n_models, ratings)
    return states


class Voter:
    """A voter of the JSON API with a session of its own (cookies kept by hand: production
    marks them Secure, which a cookie jar would not send over plain HTTP)."""

    def __init__(self, base_url: str) -> None:
        self.base_url, self.cookies = base_url, {}

    def _call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {"Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers |= {
                "Content-Type": "application/json",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            }
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with _opener.open(request, timeout=10) as response:
                status, reply_headers, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, text = error.code, error.headers, error.read()
        for cookie in reply_headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {}

    def vote(self) -> str | None:
        """Fetch a text battle and vote A: the battle's token if the vote was acknowledged
        (201), ``None`` if any step failed (a fault may refuse it; it must not lose it)."""
        try:
            status, battle = self._call("GET", "/api/v1/battles/next/?modality=text")
            if status != 200:
                return None
            status, _ = self._call(
                "POST", "/api/v1/votes/", {"token": battle["token"], "choice": "a"}
            )
        except OSError:
            return None
        return battle["token"] if status == 201 else None


def votes_stored(database_url: str, tokens: list[str]) -> int:
    [(count,)] = database_rows(
        database_url,
        "SELECT count(*) FROM arena_vote v JOIN arena_battle b ON b.id = v.battle_id "
        "WHERE b.token = ANY(%s)",
        tokens,
    )
    return count


# --- Private servers, for faults that stop them -------------------------------------------


class PrivateRedis:
    """A Redis of our own on a free port, without persistence: killing it loses its queue,
    as a crashed Redis without AOF does."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=(self.folder / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, seconds=30, what="Redis")

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url).ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def queued(self, queue: str) -> int:
        return redis.Redis.from_url(self.url).llen(queue)


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        missing("redis-server")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()


POSTGRES_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary folder, a free port), so a
    test may restart it. The server refuses to run as root: as root, its commands run as
    the ``postgres`` user (runuser), in a folder that user owns."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="arena-stack-pg-"))
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/arena"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.folder / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def _run(self, program: str, *args: str) -> None:
        argv = [str(POSTGRES_BIN / program), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            action,
            *extra,
        )

    def create_database(self) -> None:
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE arena")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgres():
    if POSTGRES_BIN is None or not shutil.which("runuser"):
        missing("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin, runuser)")
    server = PrivatePostgres()
    try:
        server.pg_ctl("start")
        server.create_database()
        yield server
    finally:
        server.remove()
