"""The engine's fast paths give exactly what the plain paths give: the integer Poisson
sampler the floating-point inversion's draws of the same 32-bit uniforms, float32 draws the
float64 ones, and the plain
pair-counts reader the full reader's votes (docs/performance.md, "Faster engine")."""

import math

import numpy as np
import pytest

from ranking.stats import io as stats_io
from ranking.stats import resample
from ranking.stats.resample import PoissonTable, uniform_bits


def test_uniform_bits_are_both_halves_of_the_generators_words():
    bits = uniform_bits(np.random.default_rng(5), (3, 1001))
    words = np.random.default_rng(5).bit_generator.random_raw(1502)
    assert bits.dtype == np.uint32
    assert np.array_equal(bits.ravel(), words.view(np.uint32)[:3003])


def test_uniform_bits_of_other_generators_are_their_32_bit_integers():
    bits = uniform_bits(np.random.Generator(np.random.MT19937(5)), (3, 1000))
    expected = np.random.Generator(np.random.MT19937(5)).integers(0, 2**32, (3, 1000), np.uint32)
    assert np.array_equal(bits, expected)


def float_inversion(table: PoissonTable, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """Table-guided inversion of the sampler's uniforms in floating point, one point at a
    time."""
    u = uniform_bits(rng, (rounds, table.cell_guide_start.size)) / 2.0**32
    index = table.guide[(u * table.cell_buckets).astype(np.int64) + table.cell_guide_start]
    while True:
        below = u >= table.cdf[index]
        if not below.any():
            return (index + table.cell_value_offset).astype(np.float64)
        index[below] += 1


def test_integer_sampler_draws_what_the_floating_point_inversion_draws():
    # Small and large counts: small ones put many draws in the lower tail, which bisects.
    count = np.array([1.0, 2.0, 5.0, 17.0, 30.0, 64.0, 250.0, 4000.0, 90000.0] * 20)
    table = PoissonTable.for_counts(count)
    expected = float_inversion(table, 400, np.random.default_rng(11))
    assert np.array_equal(table.sample(400, np.random.default_rng(11)), expected)


def test_bisection_lands_where_walking_one_point_at_a_time_lands(monkeypatch):
    count = np.arange(1.0, 300.0)
    table = PoissonTable.for_counts(count)
    walked = table.sample(300, np.random.default_rng(3))
    monkeypatch.setattr(resample, "_LINEAR_STEPS", 0)
    assert np.array_equal(table.sample(300, np.random.default_rng(3)), walked)


def test_multinomial_draws_in_float32_are_the_float64_draws(monkeypatch):
    # Many single votes (removed votes are then located by segments) and a few large
    # counts; over 40 rounds votes are both removed (a Poisson round above N) and added.
    count = np.concatenate([np.ones(300_000), [40.0, 2_500.0, 25_000.0] * 3])
    table = PoissonTable.for_counts(count)
    assert resample.multinomial_dtype(int(count.sum())) is np.float32
    assert resample.multinomial_dtype(2**23 + 1) is np.float64
    monkeypatch.setattr(resample, "multinomial_dtype", lambda total: np.float64)
    wide = resample.multinomial_counts(count, 40, np.random.default_rng(8), table)
    monkeypatch.undo()
    narrow = resample.multinomial_counts(count, 40, np.random.default_rng(8), table)
    assert narrow.dtype == np.float32
    assert np.array_equal(narrow, wide)
    assert np.all(narrow.sum(axis=1, dtype=np.float64) == count.sum())


def test_the_cells_of_votes_are_those_of_a_search_in_the_cumulative_counts():
    count = np.random.default_rng(4).integers(1, 400, 5000).astype(np.float64)
    count[::7] = 1.0
    table = PoissonTable.for_counts(count)
    votes = np.arange(int(count.sum()))
    expected = np.searchsorted(np.cumsum(count), votes, side="right")
    assert np.array_equal(table.cells_of_votes(votes), expected)


def test_multinomial_rounds_above_n_lose_votes_uniformly(monkeypatch):
    # Poisson rounds not drawn short of N exceed it half the time: votes are then removed.
    # Each cell's count is then Binomial(N, p): its frequencies within 4 standard errors.
    monkeypatch.setattr(resample, "_SHORT_BY", 0.0)
    count = np.array([1.0, 2.0, 3.0])
    draws = resample.multinomial_counts(count, 20000, np.random.default_rng(2))
    n = int(count.sum())
    assert np.all(draws.sum(axis=1) == n)
    for cell, p in enumerate(count / n):
        binomial = [math.comb(n, x) * p**x * (1 - p) ** (n - x) for x in range(n + 1)]
        frequency = np.bincount(draws[:, cell].astype(np.int64), minlength=n + 1) / 20000
        assert np.max(np.abs(frequency - binomial)) < 4 * np.sqrt(0.25 / 20000)


PAIR_COUNT_FILES = {
    "six columns": (
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\n"
        "b,a,3,0,1,0\nc,a,0,0,0,0\nd,b,10,7,0,2\n\nc,d,1,1,1,1\n"
    ),
    "with n": "model_i,model_j,wins_i,wins_j,ties,ties_bothbad,n\nzeta,Ålpha,4,5,0,1,10\n",
    "a pair of zero counts only": (
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,y,0,0,0,0\nx,z,0,2,0,0\n"
    ),
    "quoted names and CRLF (the csv module's path)": (
        'model_i,model_j,wins_i,wins_j,ties,ties_bothbad\r\n"a, b",c,1,2,0,0\r\nc,d,0,1,1,0\r\n'
    ),
}


@pytest.mark.parametrize("name", PAIR_COUNT_FILES)
def test_plain_pair_counts_are_read_as_the_full_reader_reads_them(tmp_path, name):
    path = tmp_path / "counts.csv"
    path.write_text(PAIR_COUNT_FILES[name], encoding="utf-8")
    fast = stats_io._plain_pair_counts(path.read_bytes())
    full = stats_io._labelled(stats_io._read(path, stats_io.parse_pair_counts_csv, place="line"))
    assert fast is not None
    assert fast.labels == full.labels
    for field in ("model_a", "model_b", "outcome"):
        assert getattr(fast, field).dtype == getattr(full, field).dtype
        assert np.array_equal(getattr(fast, field), getattr(full, field))
    for field in ("model_a", "model_b", "outcome", "count"):
        assert np.array_equal(getattr(fast.counts, field), getattr(full.counts, field))


@pytest.mark.parametrize(
    "text",
    [
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,y,3,two,0,0\n",
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx, y,3,1,0,0\n",
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,x,3,1,0,0\n",
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,y,3,1,0,0\ny,x,1,1,1,1\n",
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,y,3,1,0\n",
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad,n\nx,y,3,1,0,0,5\n",
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,y,３,1,0,0\n",
        "model_j,model_i,wins_i,wins_j,ties,ties_bothbad\nx,y,3,1,0,0\n",
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,y,99999999999999999999,1,0,0\n",
    ],
)
def test_anything_not_plainly_valid_goes_to_the_full_reader(text):
    assert stats_io._plain_pair_counts(text.encode()) is None
