"""Resampled cell counts for the bootstrap: multinomial (votes with replacement) and Poisson.

Resampling N votes with replacement is a multinomial draw of N over the distinct cells with
probabilities ``count / N``. The Poisson bootstrap (Hanley and MacGibbon 2006; Chamandy et al.
2012) instead gives every vote an independent Poisson(1) weight, i.e. every cell an independent
Poisson(count): the total is no longer fixed at N (it varies by about sqrt(N)).

Both are drawn here through one fast exact sampler: Poisson variates by table-guided inversion
(Chen and Asau 1974) of the Poisson CDF of each distinct integer count, and the multinomial as
the Poisson vector conditioned on its total. The conditioning is exact and cheap: given its
total T, a Poisson vector is Multinomial(T, p); removing ``T - N`` of its T votes uniformly at
random, or adding an independent Multinomial(N - T, p), leaves exactly Multinomial(N, p).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ranking.stats.incidence import distinct_keys

Resample = Literal["multinomial", "poisson"]
RESAMPLE: tuple[str, ...] = ("multinomial", "poisson")


@dataclass(frozen=True, eq=False)
class PoissonTable:
    """Inversion tables for Poisson(count[c]) of each cell c, for integer counts.

    ``cdf`` concatenates, per distinct count v, ``F_v(x)`` for x in ``[low_v, high_v]`` (the
    last entry set to +inf); ``guide`` holds, per distinct v and bucket b of ``[0, 1)`` split in
    ``buckets_v`` parts, the index in ``cdf`` of the smallest x with ``F_v(x) > b / buckets_v``.

    The sampler works on 32-bit uniforms as integers (see :func:`uniform_bits`; two per 64-bit
    word of the bit generator): a uniform ``u = k / 2**32`` satisfies ``u >= F`` exactly when
    ``k > ceil(F * 2**32) - 1`` (``cdf_limit``), and its bucket ``floor(u * 2**m)`` is
    ``k >> (32 - m)`` (``cell_shift``), so the draws are those of the floating-point inversion
    of these uniforms, without its float-to-integer conversions. The 32-bit resolution moves
    each point's probability by less than ``2**-32`` (ratings.md, "Why a sampler of our own").
    """

    cdf: np.ndarray
    guide: np.ndarray
    cell_guide_start: np.ndarray
    cell_buckets: np.ndarray
    cell_value_offset: np.ndarray
    cell_cdf_last: np.ndarray
    #: ``cumsum(count / sum(count))``: where the multinomial adds votes to a round short of
    #: N (kept here, built once, rather than summed again for every block of rounds).
    cumulative_p: np.ndarray

    @functools.cached_property
    def cdf_limit(self) -> np.ndarray:
        """``ceil(cdf * 2**32) - 1`` as uint32 (2**32 - 1, which no uniform exceeds, for +inf
        and for the last points of a segment whose CDF rounds to 1)."""
        scaled = np.ceil(np.minimum(self.cdf, 2.0) * _UNIFORM_SCALE) - 1.0
        return np.clip(scaled, 0.0, _UNIFORM_SCALE - 1.0).astype(np.uint32)

    @functools.cached_property
    def cell_shift(self) -> np.ndarray:
        """``32 - log2(buckets)`` per cell (the buckets are powers of two), uint32."""
        return (_UNIFORM_BITS - np.log2(self.cell_buckets)).astype(np.uint32)

    @functools.cached_property
    def cell_guide_start32(self) -> np.ndarray:
        return self.cell_guide_start.astype(np.uint32)

    @functools.cached_property
    def marked_guide(self) -> np.ndarray:
        """``guide``, each entry whose bucket holds a point of the CDF (a uniform of the bucket
        may lie above the guide's value) bitwise inverted (negative), int32: the other
        buckets' draws are their guide's value, and need no look-up of the CDF (most draws:
        a segment's few likely points fall in few of its buckets)."""
        # Any cell of a segment will do: its buckets and shift are the segment's.
        starts, segment_of_cell = distinct_keys(self.cell_guide_start, self.guide.size)
        segment_cell = np.empty(starts.size, dtype=np.int64)
        segment_cell[segment_of_cell] = np.arange(segment_of_cell.size)
        buckets = self.cell_buckets[segment_cell].astype(np.int64)
        segment = np.repeat(np.arange(starts.size), buckets)
        bucket = np.arange(self.guide.size) - starts[segment]
        shift = self.cell_shift[segment_cell].astype(np.int64)[segment]
        bucket_last_bits = ((bucket + 1) << shift) - 1
        settled = self.cdf_limit[self.guide] >= bucket_last_bits
        return np.where(settled, self.guide, ~self.guide).astype(np.int32)

    @classmethod
    def for_counts(cls, count: np.ndarray) -> PoissonTable:
        """Tables for every distinct integer count, built in vectorised passes over groups of
        counts (the number of distinct counts grows with the number of votes; groups bound
        the temporaries)."""
        integral = count.astype(np.int64)
        values, cell_value = distinct_keys(integral, int(integral.max(initial=0)) + 1)
        cdf_parts, guide_parts, bucket_parts, offset_parts = [], [], [], []
        cdf_used = 0
        for first in range(0, values.size, _TABLE_GROUP):
            cdf, guide, buckets, offset = _tables(values[first : first + _TABLE_GROUP])
            cdf_parts.append(cdf)
            guide_parts.append((guide + cdf_used).astype(np.int32))
            bucket_parts.append(buckets)
            offset_parts.append(offset - cdf_used)
            cdf_used += cdf.size
        buckets = np.concatenate(bucket_parts)
        guide_starts = np.cumsum(buckets) - buckets
        cdf = np.concatenate(cdf_parts)
        return cls(
            cdf,
            np.concatenate(guide_parts),
            guide_starts[cell_value],
            buckets[cell_value].astype(np.float64),
            # int32 like the guide's indices (the sum is the draw): numpy adds two int32
            # arrays into the float output twice as fast as int32 and int64.
            np.concatenate(offset_parts)[cell_value].astype(np.int32),
            np.flatnonzero(np.isinf(cdf))[cell_value],
            np.cumsum(count / count.sum()),
        )

    def sample(self, rounds: int, rng: np.random.Generator, dtype: type = np.float64) -> np.ndarray:
        """(rounds, c) independent Poisson(count[c]) draws, float64 or (when the caller knows
        every count and sum it makes stays below 2**24) float32."""
        cells = self.cell_guide_start.size
        out = np.empty((rounds, cells), dtype)
        # Small blocks keep the temporaries in cache and reuse their pages.
        block = max(1, _BLOCK_ELEMENTS // max(cells, 1))
        bucket = np.empty((block, cells), np.uint32)
        index = np.empty(block * cells, self.guide.dtype)
        limit, shift, guide_start = self.cdf_limit, self.cell_shift, self.cell_guide_start32
        for start in range(0, rounds, block):
            stop = min(rounds, start + block)
            n = stop - start
            bits = uniform_bits(rng, (n, cells))
            bucket_n = bucket[:n]
            np.right_shift(bits, shift, out=bucket_n)
            bucket_n += guide_start
            index_n = index[: n * cells]
            np.take(self.marked_guide, bucket_n.ravel(), out=index_n)
            flat_bits = bits.ravel()
            # Only a draw whose bucket holds a point of the CDF can lie above its guide.
            todo = np.flatnonzero(index_n < 0)
            index_n[todo] = ~index_n[todo]
            todo = todo[flat_bits[todo] > limit[index_n[todo]]]
            for _ in range(_LINEAR_STEPS):
                if not todo.size:
                    break
                index_n[todo] += 1
                todo = todo[flat_bits[todo] > limit[index_n[todo]]]
            if todo.size:
                index_n[todo] = self._search(flat_bits[todo], index_n[todo], todo % cells)
            np.add(
                index_n.reshape(n, cells),
                self.cell_value_offset,
                out=out[start:stop],
                casting="unsafe",
            )
        return out

    def _search(self, bits: np.ndarray, low: np.ndarray, cell: np.ndarray) -> np.ndarray:
        """The smallest index ``x >= low`` of each draw's CDF segment with ``bits <=
        cdf_limit[x]``, by bisection: the few draws a bucket leaves far from their value
        (mostly the lower tail, whose bucket 0 starts at the segment's first point) take a
        dozen vectorised passes instead of one pass per point walked."""
        limit = self.cdf_limit
        high = self.cell_cdf_last[cell]
        while True:
            open_ = np.flatnonzero(low < high)
            if not open_.size:
                return low
            middle = (low[open_] + high[open_]) >> 1
            above = bits[open_] > limit[middle]
            low[open_] = np.where(above, middle + 1, low[open_])
            high[open_] = np.where(above, high[open_], middle)


#: Points walked one at a time before bisecting (most draws need none or one).
_LINEAR_STEPS = 2
_UNIFORM_BITS = 32
_UNIFORM_SCALE = float(2**_UNIFORM_BITS)
#: Bit generators whose raw outputs are 64 random bits (numpy's PCG64 default, among others).
_RAW_64 = (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox)


def uniform_bits(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """uint32 ``k``, ``k / 2**32`` uniform on [0, 1): the two halves of each 64-bit word of
    the bit generator (half the generator's work of a 53-bit double per draw), or
    ``rng.integers`` for bit generators with other raw outputs."""
    size = shape[0] * shape[1]
    if isinstance(rng.bit_generator, _RAW_64):
        words = rng.bit_generator.random_raw((size + 1) // 2)
        return words.view(np.uint32)[:size].reshape(shape)
    return rng.integers(0, 2**_UNIFORM_BITS, size=shape, dtype=np.uint32)


_BLOCK_ELEMENTS = 1 << 19


_TABLE_GROUP = 256


def _tables(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CDF segments, guide tables (indices local to the returned cdf), buckets per value and
    ``low - start`` per value, for distinct integer counts ``values`` (d,)."""
    lam = values.astype(np.float64)
    spread = 12.0 * np.sqrt(lam) + 25.0
    low = np.maximum(0, (lam - spread).astype(np.int64))
    sizes = (lam + spread).astype(np.int64) + 1 - low
    starts = np.cumsum(sizes) - sizes
    segment = np.repeat(np.arange(values.size), sizes)
    xs = low[segment] + np.arange(segment.size) - starts[segment]
    pmf = np.exp(xs * np.log(lam[segment]) - lam[segment] - _log_factorial(xs))
    running = np.cumsum(pmf)
    # The mass below a segment (x < low, 12 standard deviations and 25 below the mean) is
    # under exp(-72) (Chernoff), far below the 2**-32 resolution of the uniforms: left out,
    # no draw changes (the limits ceil(F * 2**32) and the guide are the same with it).
    cdf = running - (running[starts] - pmf[starts])[segment]
    cdf[starts + sizes - 1] = np.inf
    buckets = 2 ** np.ceil(np.log2(np.maximum(64, 2 * sizes))).astype(np.int64)
    guide_starts = np.cumsum(buckets) - buckets
    # guide[b] = start + #{x : F(x) <= b / M} = start + #{x : ceil(F(x) M) <= b}: a histogram
    # of ceil(F M) per segment, cumulated, instead of a search per bucket.
    finite = np.isfinite(cdf)
    scaled = np.ceil(cdf[finite] * buckets[segment[finite]]).astype(np.int64)
    in_range = scaled < buckets[segment[finite]]
    bins = (guide_starts[segment[finite]] + scaled)[in_range]
    histogram = np.bincount(bins, minlength=int(buckets.sum()))
    running_count = np.cumsum(histogram)
    guide_segment = np.repeat(np.arange(values.size), buckets)
    before = running_count[guide_starts] - histogram[guide_starts]
    guide = running_count - before[guide_segment] + starts[guide_segment]
    return cdf, guide, buckets, low - starts


def _log_factorial(xs: np.ndarray) -> np.ndarray:
    """``log(x!)`` of non-negative integers ``xs`` (float64), by ``math.lgamma`` of each
    distinct value (few: the segments' points overlap), where scipy's ``gammaln`` would
    import scipy (a third of a second) for one call."""
    values, inverse = np.unique(xs, return_inverse=True)
    return np.array([math.lgamma(value + 1.0) for value in values.tolist()])[inverse]


def is_integral(count: np.ndarray) -> bool:
    return bool(np.all(count == np.round(count)))


def poisson_counts(
    count: np.ndarray,
    rounds: int,
    rng: np.random.Generator,
    table: PoissonTable | None = None,
    dtype: type = np.float64,
) -> np.ndarray:
    """(rounds, c) Poisson-bootstrap counts: cell c gets Poisson(count[c]); float64 unless
    the caller asks for float32 (the multinomial, whose sums it bounds)."""
    if table is None and not is_integral(count):
        return rng.poisson(count, size=(rounds, count.size)).astype(np.float64)
    table = table or PoissonTable.for_counts(count)
    return table.sample(rounds, rng, dtype)


#: Half-integers up to 2**23 are exact in float32 (24-bit significand).
_FLOAT32_EXACT = 2**23


def multinomial_dtype(total: int) -> type:
    """float32 when ``total`` votes are few enough that every count, every partial sum of
    counts and every partial sum of half-counts (a tie's credit) is exact in float32, so
    that sums over float32 draws equal those over float64 draws bit for bit; float64
    otherwise. Half the bytes for the sampler to write and the refits to read."""
    return np.float32 if total <= _FLOAT32_EXACT else np.float64


def multinomial_counts(
    count: np.ndarray, rounds: int, rng: np.random.Generator, table: PoissonTable | None = None
) -> np.ndarray:
    """(rounds, c) counts of ``N = sum(count)`` votes drawn with replacement, float32 or
    float64 (:func:`multinomial_dtype`: the same values either way).

    Each row is exactly Multinomial(N, count / N). Non-integer counts (weighted votes) use
    N = round(sum(count)) and numpy's multinomial sampler.
    """
    total = int(round(float(count.sum())))
    if table is None and not is_integral(count):
        probabilities = count / count.sum()
        return rng.multinomial(total, probabilities, size=rounds).astype(np.float64)
    table = table or PoissonTable.for_counts(count)
    draws = poisson_counts(count, rounds, rng, table, multinomial_dtype(total))
    cumulative_p = table.cumulative_p
    for r in range(rounds):
        row = draws[r]
        # Summed in float64: a Poisson round's total is not bounded by N.
        excess = int(row.sum(dtype=np.float64)) - total
        if excess > 0:
            # Sorted, the searches below walk forward (numpy's search starts from the
            # previous key's place): several times faster, and the same cells.
            position = np.sort(rng.choice(total + excess, size=excess, replace=False))
            if position.size * _SEGMENT * 4 < row.size:
                cells = _cells_holding(row, position)
            else:
                # Integer cumulative sum: the same values, several times faster than in
                # floating point (whose additions are one long dependency chain).
                cells = np.searchsorted(np.cumsum(row.astype(np.int64)), position, side="right")
            # A typed scalar: with a float64 one, numpy's ufunc.at takes its slow path on
            # float32 rows.
            np.subtract.at(row, cells, row.dtype.type(1.0))
        elif excess < 0:
            cells = np.searchsorted(cumulative_p, np.sort(rng.random(-excess)), side="right")
            np.add.at(row, np.minimum(cells, row.size - 1), row.dtype.type(1.0))
    return draws


_SEGMENT = 64


def _cells_holding(row: np.ndarray, position: np.ndarray) -> np.ndarray:
    """``np.searchsorted(np.cumsum(row), position, side="right")`` for integer-valued ``row``
    and ``0 <= position < row.sum()``, without the full cumulative sum (the slowest pass of a
    multinomial round when there are a million cells and a few thousand positions): sums per
    segment of ``_SEGMENT`` cells locate each position's segment, and only those segments are
    cumulated (in integers, faster than floating point and as exact)."""
    starts = np.arange(0, row.size, _SEGMENT)
    # Exact in float32 too (multinomial_dtype): 64 draws of at most count + 12 sqrt(count) + 25
    # each add up to less than N + 64 * 35,000 < 2**24 for N <= 2**23.
    segment_sum = np.add.reduceat(row, starts)
    segment_end = np.cumsum(segment_sum.astype(np.int64))
    segment = np.searchsorted(segment_end, position, side="right")
    before = segment_end[segment] - segment_sum[segment]
    cell = starts[segment][:, None] + np.arange(_SEGMENT)
    inside = cell < row.size
    values = np.where(inside, row[np.minimum(cell, row.size - 1)], 0.0)
    running = np.cumsum(values.astype(np.int64), axis=1) + before[:, None]
    return starts[segment] + np.count_nonzero(running <= position[:, None], axis=1)
