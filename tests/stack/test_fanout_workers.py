"""A snapshot's bootstrap fanned out over real Celery workers on Redis (1, then 3 worker
processes; ties as half, then Davidson): the replicates are bit-identical to the engine's in
one process. The computing command leaves every chunk to the workers
(RANKING_FANOUT_COORDINATOR_WAIT), so they do the work; the worker log names the chunks each
computed."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import numpy as np
import psycopg
import pytest

from ranking.stats import PairCounts, rate
from tests.stack.conftest import Stack, production_env, run_once

pytestmark = [pytest.mark.stack, pytest.mark.slow]

ROUNDS = 256  # several blocks of rounds at this size, each a chunk


def snapshot_row(database_url: str, seed: int) -> tuple:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(
            "SELECT s.key, s.data_file, s.params, s.anchored, "
            "(SELECT id FROM arena_aimodel WHERE key = s.params->'anchor'->>'model') "
            "FROM ranking_ratingsnapshot s WHERE s.seed = %s AND s.status = 'done'",
            [seed],
        ).fetchone()


def in_one_process(data: dict, params: dict, anchor_id: int | None, seed: int) -> np.ndarray:
    model_ids, cells = data["model_ids"].tolist(), data["cells"]
    counts = PairCounts(len(model_ids), cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3])
    anchor = None
    if anchor_id in model_ids:
        anchor = (model_ids.index(anchor_id), float(params["anchor"]["score"]))
    ratings = rate(counts, ties=params["ties"], rounds=params["rounds"], seed=seed, anchor=anchor)
    return ratings.replicates


@pytest.mark.parametrize("ties", ["half", "davidson"])
@pytest.mark.parametrize("processes", [1, 3])
def test_fanned_out_bootstrap_is_bit_identical_whatever_the_workers(
    tmp_path, throwaway_database, isolated_redis, processes, ties
):
    fanned_out(tmp_path, throwaway_database, isolated_redis, processes, ties, ROUNDS)


def test_a_worker_with_two_engine_cores_forks_its_blocks_and_gets_the_same_replicates(
    tmp_path, throwaway_database, isolated_redis
):
    # Chunks of four blocks (two chunks), each run by the Celery process and one bootstrap
    # worker forked from it (RANKING_ENGINE_THREADS = 2).
    stack = fanned_out(
        tmp_path,
        throwaway_database,
        isolated_redis,
        1,
        "half",
        8 * ROUNDS // 4,
        RANKING_ENGINE_THREADS="2",
        RANKING_FANOUT_CHUNK_BLOCKS="4",
    )
    assert "4 bootstrap blocks over this process and 1 forked" in stack.log("worker0")


def fanned_out(
    tmp_path: Path,
    database_url: str,
    redis: tuple[str, str],
    processes: int,
    ties: str,
    rounds: int,
    **settings: str,
) -> Stack:
    """A snapshot of ``rounds`` rounds computed in chunks by ``processes`` worker processes
    (with the ``settings``; a block a chunk by default) has the replicates of the engine in
    one process, and every chunk was computed once, by the workers; returns the stack, for
    its logs."""
    redis_url, queue = redis
    env = production_env(
        tmp_path,
        database_url,
        redis_url,
        queue,
        **{
            "RANKING_FANOUT_MIN_WORK": "1",
            "RANKING_FANOUT_CHUNK_BLOCKS": "1",
            "RANKING_FANOUT_COORDINATOR_WAIT": "600",
            **settings,
        },
    )
    run_once([sys.executable, "manage.py", "migrate", "--noinput"], env)
    run_once([sys.executable, "manage.py", "seed_demo", "--votes-per-month", "300"], env)
    stack = Stack(tmp_path, env)
    names = [f"worker{number}" for number in range(processes)]
    for name in names:
        stack.worker(name)
    seed = 100 + processes
    try:
        run_once(
            [sys.executable, "manage.py", "fit_ratings", "--modality", "text"]
            + ["--rounds", str(rounds), "--seed", str(seed), "--ties", ties],
            env,
        )
    finally:
        stack.stop()
    key, data_file, params, anchored, anchor_id = snapshot_row(database_url, seed)
    assert params["ties"] == ties
    data = dict(np.load(io.BytesIO((Path(env["MEDIA_ROOT"]) / data_file).read_bytes())))
    assert data["replicates"].shape[0] == rounds
    expected = in_one_process(data, params, anchor_id if anchored else None, seed)
    assert np.array_equal(data["replicates"], expected, equal_nan=True)
    # Every chunk computed once, by the workers.
    chunks = [
        int(re.search(r"chunk (\d+) of snapshot (\w+)", line).group(1))
        for line in "".join(stack.log(name) for name in names).splitlines()
        if "computed here" in line and key in line
    ]
    assert len(chunks) > 1 and sorted(chunks) == list(range(len(chunks)))
    # The coordinator removed its files and its folders.
    assert not (Path(env["MEDIA_ROOT"]) / "snapshots" / "fanout" / key).exists()
    return stack
