"""Faults injected into the real stack (production settings; gunicorn, Celery worker,
housekeeper and beat as separate processes): Redis killed with fits queued, a worker's
pool process killed mid-fit, fits holding every worker slot, two beats, PostgreSQL
restarted. After each: every acknowledged vote is stored, every snapshot is done exactly
once, nothing stays pending or running. (The whole worker killed mid-fit:
test_worker_killed.py.)

Leases are short here (5 s, swept every second) so recovery is quick; every wait is for a
condition, with a generous deadline, never a duration."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from tests.stack.conftest import (
    FAULT_SETTINGS,
    Stack,
    Voter,
    all_snapshots_done,
    assert_one_finished_snapshot_per_key,
    database_rows,
    free_port,
    get,
    production_env,
    run_once,
    schedule_overall,
    votes_stored,
    wait_for,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]

MONTHS = "2025-01"  # month-end snapshots from here on: a few fits, not dozens


def prepared(
    tmp_path, database_url: str, redis_url: str, queue: str, *, seed: bool = False, **extra: str
) -> Stack:
    """The stack's environment; ``seed``: migrate and seed the demo first (a database not
    copied from the seeded template)."""
    env = production_env(tmp_path, database_url, redis_url, queue, **FAULT_SETTINGS | extra)
    if seed:
        run_once([sys.executable, "manage.py", "migrate", "--noinput"], env)
        run_once([sys.executable, "manage.py", "seed_demo", "--votes-per-month", "40"], env)
    return Stack(tmp_path, env)


def gated_stack(
    tmp_path, database_url: str, redis_url: str, queue: str, *, concurrency: int = 1
) -> tuple[Stack, Path]:
    """A running stack whose fits wait at a gate folder until it opens (gated_worker): a
    worker of ``concurrency`` slots, the housekeeper and beat. The stack and its gate."""
    gate = tmp_path / "gate"
    gate.mkdir()
    stack = prepared(tmp_path, database_url, redis_url, queue, ARENA_TEST_FIT_GATE=str(gate))
    stack.worker(concurrency=concurrency, gated=True)
    stack.housekeeper()
    stack.beat()
    return stack, gate


def backfill(stack: Stack) -> int:
    """Request the month-end snapshots (queued for the workers): how many."""
    run_once(
        [
            sys.executable,
            "manage.py",
            "backfill_snapshots",
            "--modality",
            "text",
            "--monthly",
            "--since",
            MONTHS,
        ],
        stack.env,
    )
    [(count,)] = database_rows(
        stack.env["DATABASE_URL"], "SELECT count(*) FROM ranking_ratingsnapshot"
    )
    assert count >= 2
    return count


class Voting:
    """Voters casting votes through gunicorn in a thread, until stopped; keeps the tokens
    of the votes the server acknowledged (201)."""

    def __init__(self, base_url: str) -> None:
        self.base_url, self.acknowledged, self.refused = base_url, [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            token = Voter(self.base_url).vote()
            if token is None:
                self.refused += 1
                self._stop.wait(0.1)
            else:
                self.acknowledged.append(token)

    def __enter__(self) -> Voting:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def no_record_left_behind(database_url: str) -> None:
    for table in ("ranking_ratingsnapshot", "arena_upload"):
        assert (
            database_rows(
                database_url,
                f"SELECT id, status FROM {table} WHERE status IN ('pending', 'running')",
            )
            == []
        )


def test_snapshots_queued_when_redis_dies_are_computed_once_it_is_back(
    tmp_path, seeded_database, private_redis
):
    stack = prepared(tmp_path, seeded_database, private_redis.url, "faults")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    stack.web(port)
    try:
        wait_for(
            lambda: get(f"{base_url}/healthz")[0] == 200,
            seconds=90,
            what="gunicorn",
            logs=stack.logs,
        )
        requested = backfill(stack)  # no worker yet: the messages wait in Redis
        assert private_redis.queued("faults") == requested
        with Voting(base_url) as voting:
            wait_for(
                lambda: len(voting.acknowledged) >= 5, seconds=120, what="votes", logs=stack.logs
            )
            private_redis.kill()  # the queued messages are gone with it
            at_the_kill = len(voting.acknowledged)
            stack.note(f"redis killed ({at_the_kill} votes acknowledged so far)")
            wait_for(  # Redis holds the queue and the cache only: voting goes on
                lambda: len(voting.acknowledged) >= at_the_kill + 10,
                seconds=120,
                what="votes while Redis is down",
                logs=stack.logs,
            )
            private_redis.start()  # empty
            assert private_redis.queued("faults") == 0
            stack.worker()
            stack.housekeeper()
            stack.beat()
            stack.note(
                f"redis back (empty); worker, housekeeper and beat started "
                f"({len(voting.acknowledged)} votes acknowledged so far)"
            )
            wait_for(
                lambda: all_snapshots_done(seeded_database, requested),
                seconds=240,
                what="the lost snapshots to be sent again and computed",
                logs=stack.logs,
            )
            stack.note(f"all {requested} snapshots done")
        stack.note(f"{len(voting.acknowledged)} votes acknowledged, {voting.refused} refused")
        assert votes_stored(seeded_database, voting.acknowledged) == len(voting.acknowledged)
        assert_one_finished_snapshot_per_key(seeded_database)
        no_record_left_behind(seeded_database)
    finally:
        stack.stop()


def test_a_pool_process_killed_mid_fit_is_taken_over_after_its_lease(
    tmp_path, seeded_database, isolated_redis
):
    redis_url, queue = isolated_redis
    stack, gate = gated_stack(tmp_path, seeded_database, redis_url, queue)
    try:
        schedule_overall(stack)
        [first] = wait_for(
            lambda: list(gate.glob("fit-*")), seconds=120, what="the fit to start", logs=stack.logs
        )
        pool_pid = int(first.name.rsplit("-", 1)[1])
        assert pool_pid != stack.processes["worker"].pid
        os.kill(pool_pid, signal.SIGKILL)  # the pool process only; Celery starts another
        stack.note("pool process killed")
        # The message comes back at once (reject_on_worker_lost) but finds the lease alive;
        # once the lease runs out the sweep sends the snapshot again, to a new pool process.
        wait_for(
            lambda: len(list(gate.glob("fit-*"))) == 2,
            seconds=120,
            what="the snapshot to be taken over",
            logs=stack.logs,
        )
        stack.note("taken over by a new pool process")
        (gate / "open").write_text("")
        wait_for(
            lambda: all_snapshots_done(seeded_database, 1),
            seconds=120,
            what="the fit to finish",
            logs=stack.logs,
        )
    finally:
        stack.stop()
    [(_, _, attempts, _, _)] = assert_one_finished_snapshot_per_key(seeded_database)
    assert attempts == 2
    no_record_left_behind(seeded_database)


def test_fits_holding_every_worker_slot_do_not_stall_the_heartbeat_or_their_leases(
    tmp_path, seeded_database, isolated_redis
):
    redis_url, queue = isolated_redis
    stack, gate = gated_stack(tmp_path, seeded_database, redis_url, queue, concurrency=2)
    try:
        requested = backfill(stack)
        wait_for(
            lambda: len(list(gate.glob("fit-*"))) == 2,
            seconds=120,
            what="two fits holding both slots",
            logs=stack.logs,
        )
        [(held_since,)] = database_rows(seeded_database, "SELECT now()")

        def heartbeat_and_leases_renewed() -> bool:
            [(beats,)] = database_rows(
                seeded_database,
                "SELECT count(*) FROM arena_workerheartbeat WHERE seen_at > %s + interval '6 s'",
                held_since,
            )
            running = database_rows(
                seeded_database,
                "SELECT attempts, lease_until > %s + interval '6 s' FROM ranking_ratingsnapshot "
                "WHERE status = 'running'",
                held_since,
            )
            return beats == 1 and running == [(1, True), (1, True)]

        # Later than the first leases would have run out: renewed, not taken over.
        wait_for(
            heartbeat_and_leases_renewed,
            seconds=120,
            what="a heartbeat and renewed leases while both slots are busy",
            logs=stack.logs,
        )
        (gate / "open").write_text("")
        wait_for(
            lambda: all_snapshots_done(seeded_database, requested),
            seconds=180,
            what="the fits to finish",
            logs=stack.logs,
        )
    finally:
        stack.stop()
    assert_one_finished_snapshot_per_key(seeded_database)


def test_a_second_beat_stands_by_and_takes_over_when_the_first_dies(
    tmp_path, seeded_database, isolated_redis
):
    redis_url, queue = isolated_redis
    # A lease long against a loaded machine's pauses, so the standby never takes over early.
    stack = prepared(tmp_path, seeded_database, redis_url, queue, ARENA_LEASE_SECONDS="15")
    stack.housekeeper()
    stack.beat("beat-1")
    try:
        wait_for(
            lambda: "holds the lease" in stack.log("beat-1"),
            seconds=90,
            what="the first beat to hold the lease",
            logs=stack.logs,
        )
        stack.beat("beat-2")
        wait_for(
            lambda: "standing by" in stack.log("beat-2"),
            seconds=90,
            what="the second beat to stand by",
            logs=stack.logs,
        )
        wait_for(
            lambda: stack.log("housekeeper").count("worker_heartbeat_task") >= 10,
            seconds=120,
            what="heartbeats",
            logs=stack.logs,
        )
        assert "Sending due task" in stack.log("beat-1")
        assert "Sending due task" not in stack.log("beat-2")
        stack.kill("beat-1")
        stack.note("beat-1 killed")
        wait_for(
            lambda: "Sending due task" in stack.log("beat-2"),
            seconds=120,
            what="the second beat to take over",
            logs=stack.logs,
        )
        stack.note("beat-2 sending")
    finally:
        stack.stop()


def test_a_postgresql_restart_loses_no_vote_and_leaves_no_snapshot_behind(
    tmp_path, private_postgres, isolated_redis
):
    redis_url, queue = isolated_redis
    stack = prepared(tmp_path, private_postgres.url, redis_url, queue, seed=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    stack.web(port)
    stack.worker(concurrency=2)
    stack.housekeeper()
    stack.beat()
    try:
        wait_for(
            lambda: get(f"{base_url}/healthz")[0] == 200,
            seconds=90,
            what="gunicorn",
            logs=stack.logs,
        )
        with Voting(base_url) as voting:
            wait_for(
                lambda: len(voting.acknowledged) >= 5, seconds=120, what="votes", logs=stack.logs
            )
            requested = backfill(stack)
            at_the_restart = len(voting.acknowledged)
            stack.note(f"postgresql restarting ({at_the_restart} votes acknowledged so far)")
            private_postgres.pg_ctl("restart", "-m", "fast")
            stack.note("postgresql restarted")
            wait_for(
                lambda: len(voting.acknowledged) >= at_the_restart + 10,
                seconds=180,
                what="votes after the restart",
                logs=stack.logs,
            )
        wait_for(
            lambda: all_snapshots_done(private_postgres.url, requested),
            seconds=240,
            what="every snapshot done after the restart",
            logs=stack.logs,
        )
        stack.note(f"all {requested} snapshots done")
        [(since,)] = database_rows(private_postgres.url, "SELECT now()")
        wait_for(
            lambda: database_rows(
                private_postgres.url,
                "SELECT count(*) FROM arena_workerheartbeat WHERE seen_at > %s",
                since,
            )[0][0],
            seconds=120,
            what="heartbeats after the restart",
            logs=stack.logs,
        )
        stack.note(f"{len(voting.acknowledged)} votes acknowledged, {voting.refused} refused")
        assert votes_stored(private_postgres.url, voting.acknowledged) == len(voting.acknowledged)
        assert_one_finished_snapshot_per_key(private_postgres.url)
        no_record_left_behind(private_postgres.url)
    finally:
        stack.stop()
