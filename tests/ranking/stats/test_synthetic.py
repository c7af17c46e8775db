import numpy as np
import pytest
from scipy.stats import spearmanr

from bench.coverage import coverage
from bench.synthetic import synthetic_arena
from ranking.stats import rate


def test_the_generator_is_seeded():
    first = synthetic_arena(5, 1000, seed=1)
    second = synthetic_arena(5, 1000, seed=1)
    assert np.array_equal(first.true_scores, second.true_scores)
    assert np.array_equal(first.counts.count, second.counts.count)


def test_known_strengths_are_recovered_in_order():
    arena = synthetic_arena(20, 200000, seed=2, keep_votes=False)
    ratings = rate(arena.counts, rounds=100)
    assert spearmanr(ratings.score, arena.true_scores).statistic > 0.99
    assert np.max(np.abs(ratings.score - arena.true_scores)) < 15


def test_windowed_pairing_only_compares_nearby_models():
    arena = synthetic_arena(50, 20000, seed=3, window=5)
    assert np.max(np.abs(arena.model_a - arena.model_b)) < 5


@pytest.mark.slow
def test_bootstrap_intervals_cover_the_true_score_about_95_percent_of_the_time():
    results = coverage(arenas=150, models=12, votes=4000, rounds=1000, methods=("multinomial",))
    assert 0.93 <= results[0].rate <= 0.97
