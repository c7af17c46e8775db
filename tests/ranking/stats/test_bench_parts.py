"""bench/ratings.py's split of the bootstrap into parts: it wraps the engine's own functions,
so a renamed or bypassed one would leave its part at zero (no timing is asserted)."""

from __future__ import annotations

from bench.ratings import PARTS, Parts, bootstrap_cpu
from bench.synthetic import synthetic_arena
from ranking.stats import bootstrap


def test_every_part_of_a_checked_bootstrap_is_timed_and_every_round_steps():
    counts = synthetic_arena(12, 3000, seed=7, keep_votes=False).counts
    refits, solve = bootstrap._chord_block, bootstrap._ChordSolve.solve
    parts = Parts()
    bootstrap_cpu(counts, "half", 20, checked=True, parts=parts)
    assert set(parts.seconds) == set(PARTS)
    assert all(seconds > 0 for seconds in parts.seconds.values()), parts.seconds
    # Every round takes a first chord step, and a few more before it converges.
    assert 20 < parts.round_steps < 20 * 10
    # The engine's own functions are back once the bootstrap is timed.
    assert (bootstrap._chord_block, bootstrap._ChordSolve.solve) == (refits, solve)
