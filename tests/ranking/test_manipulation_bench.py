"""A small run of bench/manipulation.py: the real services and snapshot pipeline, on the
real ratings, and the defences doing their job (no timing is measured or asserted)."""

from __future__ import annotations

import pytest

from bench.manipulation import run
from tests.support import shared_data

pytestmark = pytest.mark.django_db


def test_the_defences_stop_a_careful_rigger_and_spare_honest_voters():
    shared_data("lmsys_2024_08/pair_counts_20240814.csv")
    _, before, outcomes = run(
        n_models=6, honest_votes=300, budgets=[60], attacks=("careful",), sessions=6, rounds=0
    )
    off, on = outcomes
    assert (off.defences, on.defences) == ("off", "on")
    # Without the checks the rigger's votes all count and lift the target well past its
    # interval; with them almost all are excluded and the target stays within it.
    assert off.attacker_excluded == 0 and off.shift > off.half_width
    assert on.attacker_excluded >= 0.9
    assert abs(on.shift) < on.half_width and abs(on.rank_shift) <= 1
    assert on.honest_excluded <= 0.005
