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

Each number of voters runs two ways. Closed loop: every session votes again as soon as its
vote is answered (the saturated rate; the mean latency is then voters ÷ rate). Open loop
(``--rate``, by default the goal's 150 votes a second, 50 embedded): the sessions together
offer that rate on a fixed schedule, and each iteration's latency counts from when it was
due, so a stall counts against every iteration that waited for it (as wrk2 measures; no
"coordinated omission"). The generator is one thread with an asyncio loop and raw HTTP/1.1
keep-alive, and each phase prints the processor time per iteration of the generator, the
web processes and (on PostgreSQL) the database backends serving them. Each voter sends an
address of its own (``X-Forwarded-For``, as behind a reverse proxy), as many people would.

    python -m bench.throughput                         # PostgreSQL, 16 and 32 voters
    python -m bench.throughput --voters 32 --seconds 20
    python -m bench.throughput --gunicorn "--workers 3"     # try another worker setup
    python -m bench.throughput --embedded --voters 32
    python -m bench.throughput --web-processes 2 --voters 32
    python -m bench.throughput --models 200 --votes 5000000 --voters 32   # real size

Every phase stops scheduling after ``--seconds`` (iterations under way finish, and the rate
counts the time they took); every request has a 30 s timeout.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Awaitable, Callable, Iterator
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
    # As behind a reverse proxy: each voter comes from an address (and a /24) of its own,
    # as many people do, not all from one. The limits above are lifted, but their counts
    # still run on every battle and vote, and with one address they would count every
    # battle of the run (the per-address windows are an hour long).
    "ARENA_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    "ARENA_TRUSTED_PROXY_COUNT": "1",
}


# --- the load generator ------------------------------------------------------------------
#
# One thread, one asyncio event loop, raw HTTP/1.1 with keep-alive: the generator shares
# the machine's cores with the server it measures, so it must cost little per request
# (32 threads of http.client cost a real share of them; docs/performance.md, "Third round").


@dataclass
class Tally:
    """What one phase saw: latencies in seconds, statuses, completed iterations."""

    iterations: int = 0
    latencies: list[float] = field(default_factory=list)  # per iteration (both requests)
    requests: list[float] = field(default_factory=list)  # per request
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    offered: float | None = None  # iterations a second scheduled (open loop), None: closed
    generator_cpu: float = 0.0  # the load generator's own processor time, seconds
    server_cpu: dict[str, float] = field(default_factory=dict)  # processor seconds by kind

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


class Client:
    """One browser: a keep-alive connection (reopened when the server closes it) and a
    cookie jar."""

    def __init__(self, port: int, tally: Tally, address: str) -> None:
        self.port = port
        self.tally = tally
        self.address = address  # what the reverse proxy would say the client's address is
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
            f"X-Forwarded-For: {self.address}\r\n"
        )
        if self.cookies:
            head += "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n"
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode()
            head += (
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                f"X-CSRFToken: {self.cookies.get('csrftoken', '')}\r\n"
            )
        started = time.perf_counter()
        try:
            status, headers, data = await asyncio.wait_for(
                self._exchange(head.encode() + b"\r\n" + payload), REQUEST_TIMEOUT
            )
        except (TimeoutError, OSError, EOFError, ValueError, asyncio.LimitOverrunError) as error:
            self.close()
            self.tally.errors.append(f"{method} {path}: {type(error).__name__}: {error}")
            self.tally.count(0)
            return 0, b""
        self.tally.requests.append(time.perf_counter() - started)
        self.tally.count(status)
        for name, value in headers:
            if name == "set-cookie":
                self.cookies |= {key: morsel.value for key, morsel in SimpleCookie(value).items()}
            elif name == "connection" and value.lower() == "close":
                self.close()
        if status >= 500:
            self.tally.errors.append(f"{method} {path}: {status} {data[:200]!r}")
        return status, data

    async def _exchange(self, message: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.writer.write(message)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
        status = int(status_line.split(" ", 2)[1])
        headers = []
        for header in lines:
            name, _, value = header.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        fields = dict(headers)
        if "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            data = await self._chunked()
        else:  # the body ends with the connection
            data = await self.reader.read()
            self.close()
        return status, headers, data

    async def _chunked(self) -> bytes:
        chunks = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")
        return b"".join(chunks)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


Iteration = Callable[[Client], Awaitable[bool]]


async def vote_once(client: Client) -> bool:
    """Fetch a battle and vote on it; True if the vote was recorded (201)."""
    status, body = await client.request("GET", "/api/v1/battles/next/?modality=text")
    if status != 200:
        return False
    token = json.loads(body)["token"]
    choice = ("a", "b", "tie", "both_bad")[secrets.randbelow(4)]
    status, _ = await client.request("POST", "/api/v1/votes/", {"token": token, "choice": choice})
    return status == 201


async def reference_once(client: Client) -> bool:
    """The reference: two requests, each inserting one row."""
    for _ in range(2):
        if (await client.request("POST", "/bench/insert/", {}))[0] != 201:
            return False
    return True


def page_once(path: str) -> Iteration:
    async def fetch(client: Client) -> bool:
        return (await client.request("GET", path))[0] == 200

    return fetch


async def _user(
    client: Client, iteration: Iteration, start: float, deadline: float, interval: float | None
) -> None:
    """Closed loop (``interval`` None): one iteration after the other until the deadline.
    Open loop: iterations scheduled every ``interval`` seconds from ``start``, each one's
    latency counted from its scheduled time, so that a stall delays and counts against
    every iteration due during it (no "coordinated omission")."""
    tally = client.tally
    scheduled, done = start, 0
    try:
        while scheduled < deadline:
            now = time.perf_counter()
            if interval is not None and scheduled > now:
                await asyncio.sleep(scheduled - now)
            began = scheduled if interval is not None else time.perf_counter()
            if await iteration(client):
                tally.iterations += 1
                tally.latencies.append(time.perf_counter() - began)
            done += 1
            scheduled = start + done * interval if interval is not None else time.perf_counter()
    finally:
        client.close()


async def _drive(
    ports: list[int], users: int, seconds: float, iteration: Iteration, rate: float | None
) -> Tally:
    tally = Tally(offered=rate)
    interval = users / rate if rate else None
    start = time.perf_counter() + 0.05
    deadline = start + seconds
    clients = [
        Client(ports[n % len(ports)], tally, f"10.{n // 256}.{n % 256}.7") for n in range(users)
    ]
    # Open loop: the users' schedules are staggered evenly over one interval.
    offsets = [(interval or 0) * n / users for n in range(users)]
    await asyncio.gather(
        *(
            _user(client, iteration, start + offset, deadline, interval)
            for client, offset in zip(clients, offsets, strict=True)
        )
    )
    # Iterations still running at the deadline finish; the rate counts the time they took.
    tally.seconds = max(seconds, time.perf_counter() - start)
    return tally


#: How often the server side's processes are read during a phase: a database connection
#: closed at its ``CONN_MAX_AGE`` takes with it only what it used since the last reading.
_CPU_SAMPLE_SECONDS = 0.5


def drive(
    ports: list[int],
    users: int,
    seconds: float,
    iteration: Iteration,
    rate: float | None = None,
    server: Callable[[], dict[str, dict[int, float]]] | None = None,
) -> Tally:
    """``users`` sessions, each its own client (of the servers on ``ports`` in turn),
    repeating ``iteration`` for ``seconds``: back to back, or with ``rate`` the users
    together offering that many iterations a second. ``server`` reads the server side's
    processor seconds per process by kind; the tally keeps what the phase cost it (read
    every ``_CPU_SAMPLE_SECONDS`` on a thread of its own, counting a process that started
    during the phase from zero)."""
    before = server() if server else {}
    seen: dict[str, dict[int, float]] = {kind: dict(used) for kind, used in before.items()}
    finished = threading.Event()

    def sample() -> None:
        while server and not finished.wait(_CPU_SAMPLE_SECONDS):
            for kind, used in server().items():
                seen.setdefault(kind, {}).update(used)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu = time.process_time()
    tally = asyncio.run(_drive(ports, users, seconds, iteration, rate))
    tally.generator_cpu = time.process_time() - cpu
    finished.set()
    sampler.join()
    for kind, used in (server() if server else {}).items():
        seen.setdefault(kind, {}).update(used)
    tally.server_cpu = {
        kind: sum(seconds - before.get(kind, {}).get(pid, 0.0) for pid, seconds in used.items())
        for kind, used in seen.items()
    }
    return tally


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


def cpu_seconds(pid: int) -> float:
    """A process's processor time so far (user + system), 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    after_name = stat.rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """A process and its children (gunicorn's master and workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(child) for child in children)]


@dataclass
class Stack:
    """The web servers' ports and how to read the processor time the server side used:
    the web processes' and, on PostgreSQL, the database's backends serving them."""

    ports: list[int]
    web_pids: list[int]
    database: str | None = None
    _admin: psycopg.Connection | None = None  # reads the backends' ids, opened on first use

    def cpu(self) -> dict[str, dict[int, float]]:
        """Processor seconds so far of each process, by kind ("web", "database")."""
        used = {"web": {p: cpu_seconds(p) for root in self.web_pids for p in process_tree(root)}}
        if self.database:
            if self._admin is None:
                admin = POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://")
                self._admin = psycopg.connect(admin, autocommit=True)
            pids = self._admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
            ).fetchall()
            used["database"] = {pid: cpu_seconds(pid) for (pid,) in pids}
        return used


@contextlib.contextmanager
def web_servers(
    command: Callable[[int], list[str]],
    env: dict[str, str],
    count: int,
    tmp: Path,
    database: str | None = None,
    first_port: int | None = None,
) -> Iterator[Stack]:
    """``count`` web servers, each ``command(port)`` on a port of its own (``first_port``
    and the next ones, or free ones the system picks)."""
    with contextlib.ExitStack() as stack:
        ports, pids = [], []
        for number in range(count):
            port = free_port() if first_port is None else first_port + number
            log = tmp / f"web{number}.log"
            pids.append(stack.enter_context(serving(command(port), env, port, log)))
            ports.append(port)
        served = Stack(ports, pids, database)
        try:
            yield served
        finally:
            if served._admin is not None:
                served._admin.close()


@contextlib.contextmanager
def serving(argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[int]:
    """Runs ``argv`` until the block ends; yields its process id once it answers."""
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
        yield process.pid
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
    port: int | None = None


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
def production_stack(setup: Setup, tmp: Path) -> Iterator[Stack]:
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

        database = database_url.rsplit("/", 1)[1]
        with web_servers(command, env, setup.web_processes, tmp, database, setup.port) as stack:
            yield stack


@contextlib.contextmanager
def embedded_stack(setup: Setup, tmp: Path) -> Iterator[Stack]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {"ARENA_VAR_DIR": str(tmp / "var"), **UNLIMITED}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    prepare(env, setup)
    with web_servers(
        lambda port: web_command(HOST, port, setup.gunicorn),
        env,
        setup.web_processes,
        tmp,
        first_port=setup.port,
    ) as stack:
        yield stack


# --- the run -----------------------------------------------------------------------------


def line(label: str, tally: Tally, reference: dict[str, float] | None = None) -> str:
    figures = summary(tally)
    text = (
        f"{label:<36} {figures['per_s']:7.1f}/s  p50 {figures['p50_ms']:7.1f} ms  "
        f"p99 {figures['p99_ms']:7.1f} ms"
    )
    if reference:
        text += (
            f"  (× ref: rate {figures['per_s'] / reference['per_s']:.2f}, "
            f"p99 {figures['p99_ms'] / reference['p99_ms']:.2f})"
        )
    if tally.iterations:
        per_iteration = {"generator": tally.generator_cpu, **tally.server_cpu}
        text += "  cpu ms/it: " + ", ".join(
            f"{kind} {seconds * 1000 / tally.iterations:.2f}"
            for kind, seconds in per_iteration.items()
        )
    bad = {status: n for status, n in sorted(tally.statuses.items()) if status >= 400 or not status}
    if bad:
        text += f"  non-2xx: {bad}"
    return text


def phases(stack: Stack, voters: list[int], seconds: float, rate: float) -> None:
    """Per number of voters: the reference and the votes back to back (closed loop), then
    both offered ``rate`` iterations a second (open loop) unless ``rate`` is 0."""

    def run(users: int, iteration: Iteration, offered: float | None = None) -> Tally:
        return drive(stack.ports, users, seconds, iteration, offered, stack.cpu)

    for n in voters:
        reference, votes = run(n, reference_once), run(n, vote_once)
        print(line(f"reference, {n} clients", reference))
        print(line(f"votes, {n} voters", votes, summary(reference)), flush=True)
        errors = reference.errors + votes.errors
        if rate:
            reference, votes = run(n, reference_once, rate), run(n, vote_once, rate)
            print(line(f"reference, {n} clients at {rate:g}/s", reference))
            print(line(f"votes, {n} voters at {rate:g}/s", votes, summary(reference)), flush=True)
            errors += reference.errors + votes.errors
        for error in errors[:5]:
            print("   ", error)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", default="16,32", help="comma-separated numbers of voters")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument(
        "--rate",
        type=float,
        help="iterations a second the voters offer together in the open-loop phases "
        "(default: the goal, 150 on PostgreSQL, 50 embedded; 0: no open-loop phase)",
    )
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
    parser.add_argument(
        "--port", type=int, help="first web server's port (default: a free one the system picks)"
    )
    args = parser.parse_args(argv)
    if args.models is not None and args.embedded:
        parser.error("--models seeds PostgreSQL only (bench/serving.py's generator)")
    voters = [int(n) for n in args.voters.split(",")]
    default = WEB_OPTIONS if args.embedded else compose_web_arguments()
    rate = args.rate if args.rate is not None else (50.0 if args.embedded else 150.0)
    setup = Setup(
        gunicorn=shlex.split(args.gunicorn) if args.gunicorn else default,
        web_processes=args.web_processes,
        models=args.models,
        votes=args.votes,
        database_prefix=args.database_prefix,
        redis_db=args.redis_db,
        port=args.port,
    )
    load = os.getloadavg()[0]
    server = f"{setup.web_processes} × gunicorn {shlex.join(setup.gunicorn)}"
    server += " on SQLite (runstack)" if args.embedded else " on PostgreSQL"
    size = "demo" if args.models is None else f"{args.models} models, {args.votes:,} votes"
    print(f"server: {server}; arena: {size}; load average before: {load:.2f}; ", end="")
    print(f"{os.cpu_count()} CPUs; {time.strftime('%H:%M:%S UTC', time.gmtime())}")
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as folder:
        tmp = Path(folder)
        stack = embedded_stack(setup, tmp) if args.embedded else production_stack(setup, tmp)
        with stack as served:
            print(f"seeded; load average {os.getloadavg()[0]:.2f}", flush=True)
            drive(served.ports, 4, 3.0, vote_once)  # warm up every worker and connection
            phases(served, voters, args.seconds, rate)
            for path in ("/leaderboard/", "/api/v1/leaderboards/text/"):
                pages = drive(
                    served.ports, args.readers, args.seconds / 2, page_once(path), None, served.cpu
                )
                print(line(f"GET {path}, {args.readers} readers", pages))
    after = time.strftime("%H:%M:%S UTC", time.gmtime())
    print(f"load average after: {os.getloadavg()[0]:.2f}; {after}")


if __name__ == "__main__":
    main()
