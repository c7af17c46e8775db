"""Votes per second through the production stack, beside a reference in the same run.

Starts the product as deployed (gunicorn with ``config.settings.production`` on a throwaway
PostgreSQL database and a Redis database of its own, the web command of docker-compose.yml),
or with ``--embedded`` the embedded default (what ``make run`` serves: ``runstack``'s
gunicorn on SQLite), seeds the demo data (or, with ``--models`` and ``--votes``, that many
models answering a 10-prompt set and that many votes, as bench/serving.py makes them; on
PostgreSQL only) and one snapshot, then drives it with a load generator of its own: N voter
sessions, each in a loop fetching a battle (``GET /api/v1/battles/next/``) and voting on it
(``POST /api/v1/votes/``), for a bounded time. ``--web-processes 2`` starts two web servers
(two gunicorn masters on two ports, as two web containers behind a proxy would be) and
splits the voters between them round-robin.

The reference is the same server answering a view that inserts one row (``/bench/insert/``,
only routed with ``ARENA_BENCH_VIEWS=true``), driven the same way: two requests per
iteration, as a vote has two. Because this machine is shared, compare the ratio of the
vote figures to the reference figures of the same run rather than the absolute numbers.

    python -m bench.throughput                         # PostgreSQL, 16 and 32 voters
    python -m bench.throughput --voters 32 --seconds 20
    python -m bench.throughput --gunicorn "--workers 3"     # try another worker setup
    python -m bench.throughput --embedded --voters 32
    python -m bench.throughput --web-processes 2 --voters 32
    python -m bench.throughput --models 200 --votes 5000000 --voters 32   # real size

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

from arena.management.commands.runstack import WEB_OPTIONS, web_command
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


def drive(
    ports: list[int], users: int, seconds: float, iteration: Callable[[Client], bool]
) -> Tally:
    """``users`` threads, each its own client (of the servers on ``ports`` in turn),
    repeating ``iteration`` for ``seconds``."""
    total = Tally()
    tallies = [Tally() for _ in range(users)]
    start = threading.Barrier(users + 1)
    deadline = [0.0]

    def user(port: int, tally: Tally) -> None:
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

    threads = [
        threading.Thread(target=user, args=(ports[n % len(ports)], tally), daemon=True)
        for n, tally in enumerate(tallies)
    ]
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


def run(argv: list[str], env: dict[str, str], timeout: float = 600) -> None:
    result = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise SystemExit(f"{shlex.join(argv)} failed:\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    name = f"{prefix}{secrets.token_hex(4)}"
    admin = POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def throwaway_redis(number: int | None) -> Iterator[tuple[str, str]]:
    number = 15 - secrets.randbelow(4) if number is None else number
    queue = f"arena-bench-{secrets.token_hex(4)}"
    url = f"{REDIS_TEST_URL}/{number}"
    try:
        yield url, queue
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter("*arena*"):
            client.delete(key)


@contextlib.contextmanager
def web_servers(
    command: Callable[[int], list[str]], env: dict[str, str], count: int, tmp: Path
) -> Iterator[list[int]]:
    """``count`` web servers, each ``command(port)`` on a port of its own."""
    with contextlib.ExitStack() as stack:
        ports = []
        for number in range(count):
            port = free_port()
            stack.enter_context(serving(command(port), env, port, tmp / f"web{number}.log"))
            ports.append(port)
        yield ports


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


@dataclass(frozen=True)
class Setup:
    """What to start: the web server's gunicorn options, how many web servers, and the
    arena's size (``models`` None: the demo)."""

    gunicorn: list[str]
    web_processes: int = 1
    models: int | None = None
    votes: int = 0
    database_prefix: str = "arena_bench_"
    redis_db: int | None = None


#: Seeds a real-size arena the way bench/serving.py does (``populate_big``), then builds
#: its serving plan with every vote counted, as the worker would.
_POPULATE = (
    "import sys, django; django.setup(); "
    "from bench.serving import populate_big; "
    "from arena.serving_plan import serving_plan_refresh; "
    "populate_big(int(sys.argv[1]), int(sys.argv[2])); "
    "serving_plan_refresh('text', recount=True)"
)


def prepare(env: dict[str, str], setup: Setup) -> None:
    python = sys.executable
    run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([python, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    if setup.models is None:
        run([python, "manage.py", "seed_demo"], env)
    else:
        # 5 M votes take minutes to insert and index on a busy machine.
        run([python, "-c", _POPULATE, str(setup.models), str(setup.votes)], env, timeout=3600)
    run([python, "manage.py", "fit_ratings", "--modality", "text", "--rounds", "0"], env)


@contextlib.contextmanager
def production_stack(setup: Setup, tmp: Path) -> Iterator[list[int]]:
    with (
        throwaway_postgres(setup.database_prefix) as database_url,
        throwaway_redis(setup.redis_db) as (redis_url, queue),
    ):
        env = production_env(tmp, database_url, redis_url, queue, SECURE_SSL_REDIRECT="false")
        env |= UNLIMITED
        prepare(env, setup)

        def command(port: int) -> list[str]:
            return ["gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{port}"] + (
                setup.gunicorn
            )

        with web_servers(command, env, setup.web_processes, tmp) as ports:
            yield ports


@contextlib.contextmanager
def embedded_stack(setup: Setup, tmp: Path) -> Iterator[list[int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {"ARENA_VAR_DIR": str(tmp / "var"), **UNLIMITED}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    prepare(env, setup)
    with web_servers(
        lambda port: web_command(HOST, port, setup.gunicorn), env, setup.web_processes, tmp
    ) as ports:
        yield ports


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
    parser.add_argument(
        "--embedded", action="store_true", help="runstack's web server on SQLite (make run)"
    )
    parser.add_argument(
        "--gunicorn",
        default=None,
        help="gunicorn options instead of docker-compose.yml's (or runstack's with "
        "--embedded), e.g. '--workers 3'",
    )
    parser.add_argument(
        "--web-processes", type=int, default=1, help="web servers, voters split between them"
    )
    parser.add_argument("--models", type=int, help="seed this many models instead of the demo")
    parser.add_argument("--votes", type=int, default=5_000_000, help="votes with --models")
    parser.add_argument("--readers", type=int, default=16, help="leaderboard readers")
    parser.add_argument("--database-prefix", default="arena_bench_", help="throwaway database")
    parser.add_argument("--redis-db", type=int, help="Redis database (default: one of 12-15)")
    args = parser.parse_args(argv)
    if args.models is not None and args.embedded:
        parser.error("--models seeds PostgreSQL only (bench/serving.py's generator)")
    voters = [int(n) for n in args.voters.split(",")]
    default = WEB_OPTIONS if args.embedded else compose_web_arguments()
    setup = Setup(
        gunicorn=shlex.split(args.gunicorn) if args.gunicorn else default,
        web_processes=args.web_processes,
        models=args.models,
        votes=args.votes,
        database_prefix=args.database_prefix,
        redis_db=args.redis_db,
    )
    load = os.getloadavg()[0]
    server = f"{setup.web_processes} × gunicorn {shlex.join(setup.gunicorn)}"
    server += " on SQLite (runstack)" if args.embedded else " on PostgreSQL"
    size = "demo" if args.models is None else f"{args.models} models, {args.votes:,} votes"
    print(f"server: {server}; arena: {size}; load average before: {load:.2f}; ", end="")
    print(f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as folder:
        tmp = Path(folder)
        stack = embedded_stack(setup, tmp) if args.embedded else production_stack(setup, tmp)
        with stack as ports:
            print(f"seeded; load average {os.getloadavg()[0]:.2f}", flush=True)
            drive(ports, 4, 3.0, vote_once)  # warm up every worker and connection
            for n in voters:
                reference = drive(ports, n, args.seconds, reference_once)
                votes = drive(ports, n, args.seconds, vote_once)
                print(line(f"reference, {n} clients", reference))
                print(line(f"votes, {n} voters", votes, summary(reference)))
                for error in (reference.errors + votes.errors)[:5]:
                    print("   ", error)
            for path in ("/leaderboard/", "/api/v1/leaderboards/text/"):
                pages = drive(ports, args.readers, args.seconds / 2, page_once(path))
                print(line(f"GET {path}, {args.readers} readers", pages))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
