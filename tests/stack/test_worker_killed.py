"""A Celery worker killed in the middle of a fit, for real: the message goes back to Redis
(late acknowledgement), another worker picks it up after the visibility timeout, reclaims
the abandoned snapshot in PostgreSQL and computes it. Exactly one snapshot comes out.

The first worker's fit waits at a gate (tests/stack/gated_worker.py) until it is killed, so
the kill always lands mid-fit, however busy the machine is; the redelivered fit is small
(a fraction of a second) against a hard limit of 20 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from tests.stack.conftest import ROOT, production_env, run_once, stop, wait_for

pytestmark = [pytest.mark.stack, pytest.mark.slow]

TIME_LIMIT = 20  # hard limit; the visibility timeout is twice this
ROUNDS = 100  # the redelivered fit takes well under a second even on a loaded machine


def snapshot_rows(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(
            "SELECT s.id, s.status, s.attempts, s.n_models, "
            "(SELECT count(*) FROM ranking_modelrating r WHERE r.snapshot_id = s.id) "
            "FROM ranking_ratingsnapshot s ORDER BY s.id"
        ).fetchall()


def start_worker(env: dict[str, str], log, *, gated: bool = False) -> subprocess.Popen:
    program = ["tests.stack.gated_worker"] if gated else ["celery", "-A", "config", "worker"]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            *program,
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--hostname",
            f"worker-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_worker_killed_mid_fit_leads_to_exactly_one_snapshot(
    tmp_path, throwaway_database, isolated_redis
):
    redis_url, queue = isolated_redis
    gate = tmp_path / "fit-started"
    env = production_env(
        tmp_path,
        throwaway_database,
        redis_url,
        queue,
        CELERY_TASK_TIME_LIMIT=str(TIME_LIMIT),
        RANKING_BOOTSTRAP_ROUNDS=str(ROUNDS),
        ARENA_TEST_FIT_GATE=str(gate),
    )
    run_once([sys.executable, "manage.py", "migrate", "--noinput"], env)
    run_once([sys.executable, "manage.py", "seed_demo", "--votes-per-month", "300"], env)
    log = tmp_path / "workers.log"
    first = start_worker(env, log, gated=True)
    second = None
    try:
        run_once(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from ranking.services import SnapshotSpec, snapshot_schedule; "
                "snapshot_schedule(spec=SnapshotSpec(modality='text'))",
            ],
            env,
        )
        wait_for(gate.exists, seconds=120, what="the first worker to start the fit", logs=[log])
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker, pool included
        first.wait(timeout=10)
        [(_, status, attempts, _, ratings)] = snapshot_rows(throwaway_database)
        assert (status, attempts, ratings) == ("running", 1, 0), "killed before it finished"

        second = start_worker(env, log)
        wait_for(
            lambda: snapshot_rows(throwaway_database)[0][1] == "done",
            seconds=TIME_LIMIT * 2 + 90,
            what="the redelivered task to finish",
            logs=[log],
        )
    finally:
        stop([process for process in (first, second) if process is not None])
    rows = snapshot_rows(throwaway_database)
    assert len(rows) == 1
    [(_, status, attempts, n_models, ratings)] = rows
    assert status == "done" and attempts == 2
    assert n_models == ratings > 0
