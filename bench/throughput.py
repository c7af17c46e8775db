"""Votes per second through the production stack, beside a reference in the same run.

Starts the product as deployed (gunicorn with ``config.settings.production`` on a throwaway
PostgreSQL database and a Redis database of its own, the web command of docker-compose.yml),
or with ``--embedded`` the embedded default (what ``make run`` serves: ``runserver`` on
SQLite), seeds the demo data and one snapshot, then drives it with a load generator of its
own: N voter sessions, each in a loop fetching a battle (``GET /api/v1/battles/next/``) and
voting on it (``POST /api/v1/votes/``), for a bounded time.

The reference is the same server answering a view that inserts one row (``/bench/insert/``,
only routed with ``ARENA_BENCH_VIEWS=true``), driven the same way: two requests per
iteration, as a vote has two. Because this machine is shared, compare the ratio of the
vote figures to the reference figures of the same run rather than the absolute numbers.

    python -m bench.throughput                         # PostgreSQL, 16 and 32 voters
    python -m bench.throughput --voters 32 --seconds 20
    python -m bench.throughput --gunicorn "--workers 3"     # try another worker setup
    python -m bench.throughput --embedded --voters 32

Every phase stops by itself after ``--seconds``; every request has a 30 s timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg
import redis

from tests.compose import load_compose, operator_environment
from tests.stack.conftest import ROOT, free_port, production_env
from tests.support import POSTGRES_ADMIN_URL, REDIS_TEST_URL

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30.0

#: Limits meant for people, lifted so that one address can drive the arena at full speed
#: (every vote would otherwise be refused as too fast for one session or one IP).
UNLIMITED = {
    "ARENA_VOTES_PER_MINUTE_PER_SESSION": "1000000",
    "ARENA_VOTES_PER_MINUTE_PER_IP": "1000000",
    "ARENA_BATTLES_PER_MINUTE_PER_SESSION": "1000000",
    "ARENA_BATTLES_PER_MINUTE_PER_IP": "1000000",
    "ARENA_BATTLES_PER_HOUR_PER_IP": "1000000",
    "ARENA_BATTLES_PER_MINUTE_PER_NETWORK": "1000000",
    "ARENA_BATTLES_PER_HOUR_PER_NETWORK": "1000000",
    "ARENA_DAILY_VOTE_CAP": "1000000",
    "ARENA_BENCH_VIEWS": "true",
}


# --- the load generator ------------------------------------------------------------------


@dataclass
class Tally:
    """What one phase saw: latencies in seconds, statuses, completed iterations."""

    iterations: int = 0
    latencies: list[float] = field(default_factory=list)  # per iteration (both requests)
    requests: list[float] = field(default_factory=list)  # per request
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: Tally) -> None:
        self.iterations += other.iterations
        self.latencies += other.latencies
        self.requests += other.requests
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.errors += other.errors


class Client:
    """One browser: a keep-alive connection (reopened when the server closes it) and a
    cookie jar."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.tally = tally

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Host": "localhost", "Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers |= {
                "Content-Type": "application/json",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            }
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.tally.errors.append(f"{method} {path}: {type(error).__name__}: {error}")
            self.tally.statuses[0] = self.tally.statuses.get(0, 0) + 1
            return 0, b""
        self.tally.requests.append(time.perf_counter() - started)
        self.tally.statuses[response.status] = self.tally.statuses.get(response.status, 0) + 1
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies |= {name: morsel.value for name, morsel in SimpleCookie(header).items()}
        if response.status >= 500:
            self.tally.errors.append(f"{method} {path}: {response.status} {data[:200]!r}")
        return response.status, data

    def close(self) -> None:
        self.connection.close()


def vote_once(client: Client) -> bool:
    """Fetch a battle and vote on it; True if the vote was recorded (201)."""
    status, body = client.request("GET", "/api/v1/battles/next/?modality=text")
    if status != 200:
        return False
    token = json.loads(body)["token"]
    choice = ("a", "b", "tie", "both_bad")[secrets.randbelow(4)]
    status, _ = client.request("POST", "/api/v1/votes/", {"token": token, "choice": choice})
    return status == 201


def reference_once(client: Client) -> bool:
    """The reference: two requests, each inserting one row."""
    return all(client.request("POST", "/bench/insert/", {})[0] == 201 for _ in range(2))


def page_once(path: str) -> Callable[[Client], bool]:
    def fetch(client: Client) -> bool:
        return client.request("GET", path)[0] == 200

    return fetch


def drive(port: int, users: int, seconds: float, iteration: Callable[[Client], bool]) -> Tally:
    """``users`` threads, each its own client, repeating ``iteration`` for ``seconds``."""
    total = Tally()
    tallies = [Tally() for _ in range(users)]
    start = threading.Barrier(users + 1)
    deadline = [0.0]

    def user(tally: Tally) -> None:
        client = Client(port, tally)
        start.wait()
        try:
            while time.perf_counter() < deadline[0]:
                began = time.perf_counter()
                if iteration(client):
                    tally.iterations += 1
                    tally.latencies.append(time.perf_counter() - began)
        finally:
            client.close()

    threads = [threading.Thread(target=user, args=(tally,), daemon=True) for tally in tallies]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT)
    total.seconds = time.perf_counter() - began
    for tally in tallies:
        total.merge(tally)
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(tally: Tally) -> dict[str, float]:
    return {
        "per_s": tally.iterations / tally.seconds if tally.seconds else 0.0,
        "p50_ms": percentile(tally.latencies, 0.50) * 1000,
        "p99_ms": percentile(tally.latencies, 0.99) * 1000,
        "req_p99_ms": percentile(tally.requests, 0.99) * 1000,
    }


# --- the stack ---------------------------------------------------------------------------


def compose_web_arguments() -> list[str]:
    """The gunicorn options of docker-compose.yml's web service, less its bind address."""
    command = load_compose(operator_environment())["services"]["web"]["command"]
    arguments = list(command[2:])  # after "gunicorn config.wsgi:application"
    bind = arguments.index("--bind")
    del arguments[bind : bind + 2]
    if "--access-logfile" in arguments:
        at = arguments.index("--access-logfile")
        del arguments[at : at + 2]
    return arguments


def run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode:
        raise SystemExit(f"{shlex.join(argv)} failed:\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    name = f"arena_bench_{secrets.token_hex(4)}"
    admin = POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def throwaway_redis() -> Iterator[tuple[str, str]]:
    number = 15 - secrets.randbelow(4)
    queue = f"arena-bench-{secrets.token_hex(4)}"
    url = f"{REDIS_TEST_URL}/{number}"
    try:
        yield url, queue
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter("*arena*"):
            client.delete(key)


@contextlib.contextmanager
def serving(argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection(HOST, port, timeout=2)
                connection.request("GET", "/healthz", headers={"Host": "localhost"})
                if connection.getresponse().status in (200, 503):
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare(env: dict[str, str], *, static: bool) -> None:
    python = sys.executable
    run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
    if static:
        run([python, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    run([python, "manage.py", "seed_demo"], env)
    run([python, "manage.py", "fit_ratings", "--modality", "text", "--rounds", "0"], env)


@contextlib.contextmanager
def production_stack(gunicorn: list[str], tmp: Path) -> Iterator[tuple[int, str]]:
    with throwaway_postgres() as database_url, throwaway_redis() as (redis_url, queue):
        env = production_env(tmp, database_url, redis_url, queue, SECURE_SSL_REDIRECT="false")
        env |= UNLIMITED
        prepare(env, static=True)
        port = free_port()
        argv = ["gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{port}", *gunicorn]
        with serving(argv, env, port, tmp / "web.log"):
            yield port, database_url


@contextlib.contextmanager
def embedded_stack(tmp: Path) -> Iterator[tuple[int, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {"ARENA_VAR_DIR": str(tmp / "var"), **UNLIMITED}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    prepare(env, static=True)
    port = free_port()
    argv = [sys.executable, "manage.py", "runserver", f"{HOST}:{port}", "--noreload"]
    with serving(argv, env, port, tmp / "web.log"):
        yield port, str(tmp / "var" / "arena.sqlite3")


# --- the run -----------------------------------------------------------------------------


def line(label: str, tally: Tally, reference: dict[str, float] | None = None) -> str:
    figures = summary(tally)
    text = (
        f"{label:<28} {figures['per_s']:8.1f}/s  p50 {figures['p50_ms']:7.1f} ms  "
        f"p99 {figures['p99_ms']:7.1f} ms"
    )
    if reference:
        text += (
            f"   (× ref: rate {figures['per_s'] / reference['per_s']:.2f}, "
            f"p99 {figures['p99_ms'] / reference['p99_ms']:.2f})"
        )
    bad = {status: n for status, n in sorted(tally.statuses.items()) if status >= 400 or not status}
    if bad:
        text += f"   non-2xx: {bad}"
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", default="16,32", help="comma-separated numbers of voters")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--embedded", action="store_true", help="runserver on SQLite")
    parser.add_argument(
        "--gunicorn",
        default=None,
        help="gunicorn options instead of docker-compose.yml's, e.g. '--workers 3'",
    )
    parser.add_argument("--readers", type=int, default=16, help="leaderboard readers")
    args = parser.parse_args(argv)
    voters = [int(n) for n in args.voters.split(",")]
    gunicorn = shlex.split(args.gunicorn) if args.gunicorn else compose_web_arguments()
    load = os.getloadavg()[0]
    server = "runserver on SQLite" if args.embedded else f"gunicorn {shlex.join(gunicorn)}"
    print(f"server: {server}; load average before: {load:.2f}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as folder:
        tmp = Path(folder)
        stack = embedded_stack(tmp) if args.embedded else production_stack(gunicorn, tmp)
        with stack as (port, database):
            drive(port, 4, 3.0, vote_once)  # warm up every worker and connection
            for n in voters:
                reference = drive(port, n, args.seconds, reference_once)
                votes = drive(port, n, args.seconds, vote_once)
                print(line(f"reference, {n} clients", reference))
                print(line(f"votes, {n} voters", votes, summary(reference)))
                for error in (reference.errors + votes.errors)[:5]:
                    print("   ", error)
            for path in ("/leaderboard/", "/api/v1/leaderboards/text/"):
                pages = drive(port, args.readers, args.seconds / 2, page_once(path))
                print(line(f"GET {path}, {args.readers} readers", pages))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
