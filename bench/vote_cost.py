"""What a vote iteration costs in processor time, in process: the web side (this process)
and the PostgreSQL backend serving it, beside the reference of ``bench/throughput.py``.

    python -m bench.vote_cost [--database votes_cost] [--keep] [--blocks 5] [--iterations 200]
                              [--profile FILE]

The WSGI application of the production settings is called in a loop (the real middleware,
DRF, sessions and CSRF, no HTTP server): 8 voter sessions with addresses of their own, each
iteration a ``GET /api/v1/battles/next/`` and a ``POST /api/v1/votes/``; the reference
iteration is two ``POST /bench/insert/`` (one row each). Blocks of votes and of reference
alternate; each prints the processor time per iteration of this process and of its database
backend (read from ``/proc``, which the machine's load inflates far less than wall time),
and the best block of each is the result. Queries per iteration are counted once.

The throwaway database is seeded with the demo (as ``bench/throughput.py`` seeds it) unless
``--keep`` finds it already there, so that two checkouts can be measured alternately on the
same data; ``--keep`` also leaves it in place afterwards. ``--profile FILE`` writes a cProfile
of the vote iterations of one more block (``python -m pstats FILE``); that block also counts
the Python function calls per vote iteration, which the machine's load does not change.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg

from bench.throughput import UNLIMITED, cpu_seconds, run
from tests.stack.conftest import production_env
from tests.support import POSTGRES_ADMIN_URL, REDIS_TEST_URL

VOTERS = 8


class Voter:
    """One browser calling the WSGI application: its cookies and its address."""

    def __init__(self, application: object, address: str) -> None:
        self.application = application
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        data = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_X_FORWARDED_FOR": self.address,
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if "csrftoken" in self.cookies:
            environ["HTTP_X_CSRFTOKEN"] = self.cookies["csrftoken"]
        answer: dict = {}

        def start_response(status: str, headers: list, exc_info: object = None) -> None:
            answer["status"] = int(status.split()[0])
            answer["headers"] = headers

        result = self.application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        return answer["status"], content

    def vote(self) -> None:
        status, body = self.request("GET", "/api/v1/battles/next/?modality=text")
        assert status == 200, (status, body[:300])
        token = json.loads(body)["token"]
        status, body = self.request("POST", "/api/v1/votes/", {"token": token, "choice": "a"})
        assert status == 201, (status, body[:300])

    def reference(self) -> None:
        for _ in range(2):
            status, body = self.request("POST", "/bench/insert/", {})
            assert status == 201, (status, body[:300])


def _measure(blocks: int, iterations: int, profile: str | None) -> dict:
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    application = get_wsgi_application()
    voters = [Voter(application, f"10.{n}.0.1") for n in range(VOTERS)]

    def backend() -> int:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    def block(kind: str) -> tuple[float, float]:
        """Processor ms per iteration: this process, its database backend."""
        pid = backend()
        web, database = time.process_time(), cpu_seconds(pid)
        for n in range(iterations):
            getattr(voters[n % VOTERS], kind)()
        web, database = time.process_time() - web, cpu_seconds(pid) - database
        assert backend() == pid, "the database connection was replaced during the block"
        return web / iterations * 1000, database / iterations * 1000

    for kind in ("vote", "reference"):  # warm: plans, caches, connections, sessions
        for n in range(3 * VOTERS):
            getattr(voters[n % VOTERS], kind)()
    queries = {}
    for kind in ("vote", "reference"):
        with CaptureQueriesContext(connection) as captured:
            getattr(voters[0], kind)()
        queries[kind] = [query["sql"] for query in captured.captured_queries]
    results: dict[str, list] = {"vote": [], "reference": []}
    for _ in range(blocks):
        for kind in ("vote", "reference"):
            results[kind].append(block(kind))
            print(kind, *(f"{ms:.2f}" for ms in results[kind][-1]), file=sys.stderr, flush=True)
    # Python function calls per vote iteration: a measure of the web side's work that the
    # machine's load does not change at all.
    profiler = cProfile.Profile(time.process_time)  # processor time, not waits
    profiler.enable()
    for n in range(iterations):
        voters[n % VOTERS].vote()
    profiler.disable()
    calls = pstats.Stats(profiler).total_calls / iterations
    if profile:
        profiler.dump_stats(profile)
    best = {kind: min(rows, key=sum) for kind, rows in results.items()}
    return {
        "vote_web_ms": round(best["vote"][0], 2),
        "vote_db_ms": round(best["vote"][1], 2),
        "reference_web_ms": round(best["reference"][0], 2),
        "reference_db_ms": round(best["reference"][1], 2),
        "ratio": round(sum(best["vote"]) / sum(best["reference"]), 2),
        "calls": round(calls),
        "queries": {kind: len(sql) for kind, sql in queries.items()},
        "vote_sql": queries["vote"],
    }


def _admin(sql: str) -> list:
    admin = POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if sql.startswith("SELECT") else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_vote_cost")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="reuse and keep the database")
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--profile", help="write a cProfile of the vote iterations here")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.blocks, args.iterations, args.profile)))
        return
    exists = _admin(f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'")
    if exists and not args.keep:
        _admin(f'DROP DATABASE "{args.database}" WITH (FORCE)')
    database_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{args.database}"
    with tempfile.TemporaryDirectory(prefix="bench-vote-cost-") as tmp:
        env = production_env(
            Path(tmp),
            database_url,
            f"{REDIS_TEST_URL}/{args.redis_db}",
            "arena-bench-vote-cost",
            SECURE_SSL_REDIRECT="false",
            CONN_MAX_AGE="3600",  # one backend for the whole measurement
        )
        env |= UNLIMITED
        try:
            if not (exists and args.keep):
                _admin(f'CREATE DATABASE "{args.database}"')
                python = sys.executable
                run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
                run([python, "manage.py", "seed_demo"], env)
                fit = ["fit_ratings", "--modality", "text", "--rounds", "0"]
                run([python, "manage.py", *fit], env)
            argv = [sys.executable, "-m", "bench.vote_cost", "--measure"]
            argv += [f"--blocks={args.blocks}", f"--iterations={args.iterations}"]
            argv += [f"--profile={args.profile}"] if args.profile else []
            load = os.getloadavg()[0]
            out = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True, check=True)
        finally:
            if not args.keep:
                _admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"load average {load:.2f} → {os.getloadavg()[0]:.2f}")
    print(
        f"vote iteration: web {result['vote_web_ms']} ms, database {result['vote_db_ms']} ms, "
        f"{result['queries']['vote']} queries; reference: web {result['reference_web_ms']} ms, "
        f"database {result['reference_db_ms']} ms; vote ÷ reference {result['ratio']}; "
        f"{result['calls']:,} Python calls per vote iteration"
    )
    for sql in result["vote_sql"]:
        print("  ", sql[:160])


if __name__ == "__main__":
    main()
