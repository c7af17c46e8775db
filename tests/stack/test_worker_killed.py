"""A whole Celery worker killed in the middle of a fit, for real (SIGKILL to the worker and
its pool): the snapshot's lease is no longer renewed, the sweep (beat, housekeeper) takes it
back once the lease runs out and sends it again; another worker computes it. Exactly one
snapshot comes out. The broker's visibility timeout is set far beyond the test's waits, so
the recovery comes from the lease, not from Redis handing the message back.

The first worker's fit waits at a gate (tests/stack/gated_worker.py) until it is killed, so
the kill always lands mid-fit, however busy the machine is."""

from __future__ import annotations

import pytest

from tests.stack.conftest import (
    FAULT_SETTINGS,
    Stack,
    all_snapshots_done,
    assert_one_finished_snapshot_per_key,
    production_env,
    schedule_overall,
    snapshot_states,
    wait_for,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def test_a_worker_killed_mid_fit_leads_to_exactly_one_snapshot(
    tmp_path, seeded_database, isolated_redis
):
    redis_url, queue = isolated_redis
    gate = tmp_path / "gate"
    gate.mkdir()
    env = production_env(
        tmp_path,
        seeded_database,
        redis_url,
        queue,
        **FAULT_SETTINGS,
        ARENA_TEST_FIT_GATE=str(gate),
    )
    stack = Stack(tmp_path, env)
    stack.worker("first", gated=True)
    stack.housekeeper()
    stack.beat()
    try:
        schedule_overall(stack)
        wait_for(
            lambda: list(gate.glob("fit-*")),
            seconds=120,
            what="the first worker to start the fit",
            logs=stack.logs,
        )
        stack.kill("first")  # the whole worker, pool included
        stack.note("worker killed")
        [(_, status, attempts, _, ratings)] = snapshot_states(seeded_database)
        assert (status, attempts, ratings) == ("running", 1, 0), "killed before it finished"

        stack.worker("second")
        wait_for(
            lambda: all_snapshots_done(seeded_database, 1),
            seconds=180,
            what="the snapshot to be taken back and computed",
            logs=stack.logs,
        )
        stack.note("snapshot done")
    finally:
        stack.stop()
    [(_, _, attempts, _, _)] = assert_one_finished_snapshot_per_key(seeded_database)
    assert attempts == 2
