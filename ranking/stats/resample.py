"""Resampled cell counts for the bootstrap: multinomial (votes with replacement) and Poisson.

Resampling N votes with replacement is a multinomial draw of N over the distinct cells with
probabilities ``count / N``. The Poisson bootstrap (Hanley and MacGibbon 2006; Chamandy et al.
2012) instead gives every vote an independent Poisson(1) weight, i.e. every cell an independent
Poisson(count): the total is no longer fixed at N (it varies by about sqrt(N)).

Both are drawn here through one fast exact sampler: Poisson variates by table-guided inversion
(Chen and Asau 1974) of the Poisson CDF of each distinct integer count, and the multinomial as
a Poisson vector conditioned on its total. The conditioning is exact and cheap: given its
total T, a vector of independent Poisson(q count) is Multinomial(T, p) whatever q > 0;
adding an independent Multinomial(N - T, p), or removing ``T - N`` of its T votes uniformly
at random, leaves exactly Multinomial(N, p). With q three standard deviations short of 1,
nearly every round adds a few thousand votes (each a uniform vote's cell) and no round needs
a pass over its cells to find votes to remove.
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
    """Inversion tables for Poisson(scale count[c]) of each cell c, for integer counts.

    ``cdf`` concatenates, per distinct count v, ``F_v(x)`` for x in ``[low_v, high_v]`` (the
    last entry set to +inf); ``guide`` holds, per distinct v and bucket b of ``[0, 1)`` split in
    ``buckets_v`` parts, the index in ``cdf`` of the smallest x with ``F_v(x) > b / buckets_v``.

    The sampler works on 32-bit uniforms as integers (see :func:`uniform_bits`; two per 64-bit
    word of the bit generator): a uniform ``u = k / 2**32`` satisfies ``u >= F`` exactly when
    ``k > ceil(F * 2**32) - 1`` (``cdf_limit``), and its bucket ``floor(u * 2**m)`` is
    ``k >> (32 - m)`` (``cell_shift``), so the draws are those of the floating-point inversion
    of these uniforms, without its float-to-integer conversions. The 32-bit resolution moves
    each point's probability by less than ``2**-32`` (ratings.md, "Why a sampler of our own").

    Most buckets hold at most one point of the CDF, and a draw is then one look-up and one
    comparison (:meth:`guide_steps`): with the guide's point ``x`` and ``F(x) > b / buckets``,
    a uniform of the bucket inverts to ``x`` when ``k <= cdf_limit[x]`` and else to ``x + 1``
    (whose CDF lies beyond the bucket). Only the draws of buckets holding several points walk
    the CDF, the same inversion: the draws are those of the plain inversion bit for bit.
    """

    cdf: np.ndarray
    guide: np.ndarray
    cell_guide_start: np.ndarray
    cell_buckets: np.ndarray
    cell_value_offset: np.ndarray
    cell_cdf_last: np.ndarray
    #: ``cumsum(count)`` (int64): the cells of votes numbered cell by cell, where the
    #: multinomial adds votes to a round short of N (:meth:`cells_of_votes`).
    cumulative_count: np.ndarray

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
    def guide_steps(self) -> tuple[np.ndarray, np.ndarray]:
        """Per ``guide`` entry, the draw of a uniform ``k`` of its bucket as ``value + (k >
        limit)`` (float32 when every value is exact in it, below 2**24 in magnitude, else
        float64; uint32), where the bucket holds at most one point of the CDF:

        * no point (every uniform of the bucket inverts to the guide's point): ``value`` is
          that point's draw, ``limit`` is ``2**32 - 1``, which no ``k`` exceeds;
        * one point, the guide's: its draw and its ``cdf_limit`` (a uniform above it inverts
          to the next point, whose CDF exceeds the bucket's uniforms);
        * more (under 1% of the draws: the tails, whose points crowd a few buckets):
          ``value`` is ``-1 - guide``, negative, and the draw looks the CDF up from there.
        """
        # Any cell of a segment will do: its buckets, shift and offset are the segment's.
        starts, segment_of_cell = distinct_keys(self.cell_guide_start, self.guide.size)
        segment_cell = np.empty(starts.size, dtype=np.int64)
        segment_cell[segment_of_cell] = np.arange(segment_of_cell.size)
        buckets = self.cell_buckets[segment_cell].astype(np.int64)
        segment = np.repeat(np.arange(starts.size), buckets)
        bucket = np.arange(self.guide.size) - starts[segment]
        shift = self.cell_shift[segment_cell].astype(np.int64)[segment]
        bucket_last_bits = ((bucket + 1) << shift) - 1
        limit = self.cdf_limit
        settled = limit[self.guide] >= bucket_last_bits
        # A segment's last point (+inf) is always settled: the next index is the segment's.
        next_settled = limit[np.minimum(self.guide + 1, limit.size - 1)] >= bucket_last_bits
        value = self.guide + self.cell_value_offset[segment_cell][segment]
        value = np.where(settled | next_settled, value, -1.0 - self.guide)
        step_limit = np.where(settled | ~next_settled, _UNIFORM_SCALE - 1.0, limit[self.guide])
        # float32 halves the table the draws gather from, whatever the draws' type.
        narrow = np.abs(value).max(initial=0.0) < 2 * _FLOAT32_EXACT
        return value.astype(np.float32 if narrow else np.float64), step_limit.astype(np.uint32)

    @functools.cached_property
    def short(self) -> PoissonTable:
        """The tables of Poisson(q count), ``q = 1 - 3 / sqrt(N)`` (at least 1/2) for ``N =
        sum(count)`` votes: rounds whose total falls short of N in all but 0.13% of rounds
        (three standard deviations), for the multinomial to fill up."""
        total = int(self.cumulative_count[-1]) if self.cumulative_count.size else 0
        scale = max(0.5, 1.0 - _SHORT_BY / math.sqrt(max(total, 1)))
        return PoissonTable.for_counts(np.diff(self.cumulative_count, prepend=0), scale)

    @functools.cached_property
    def _vote_guide(self) -> tuple[int, np.ndarray]:
        """``(shift, guide)``: ``guide[b]`` is the cell of vote ``b << shift``, for buckets of
        ``2**shift`` votes, a power of two no larger than the mean count (one or two cells
        a bucket)."""
        total = int(self.cumulative_count[-1]) if self.cumulative_count.size else 0
        shift = max(0, (total // max(self.cumulative_count.size, 1)).bit_length() - 1)
        first_votes = np.arange(0, total, 1 << shift)
        return shift, np.searchsorted(self.cumulative_count, first_votes, side="right")

    def cells_of_votes(self, votes: np.ndarray) -> np.ndarray:
        """The cell of each of ``votes``, integers in ``[0, N)`` numbering the votes cell by
        cell (``searchsorted(cumulative_count, votes, side="right")``): from its bucket's
        cell, walking forward the cells whose votes end at or before it."""
        shift, guide = self._vote_guide
        cumulative = self.cumulative_count
        cell = guide[votes >> shift]
        walking = np.flatnonzero(cumulative[cell] <= votes)
        while walking.size:
            cell[walking] += 1
            walking = walking[cumulative[cell[walking]] <= votes[walking]]
        return cell

    @classmethod
    def for_counts(cls, count: np.ndarray, scale: float = 1.0) -> PoissonTable:
        """Tables of Poisson(scale count) for every distinct integer count, built in
        vectorised passes over groups of counts (the number of distinct counts grows with
        the number of votes; groups bound the temporaries)."""
        integral = count.astype(np.int64)
        values, cell_value = distinct_keys(integral, int(integral.max(initial=0)) + 1)
        cdf_parts, guide_parts, bucket_parts, offset_parts = [], [], [], []
        cdf_used = 0
        for first in range(0, values.size, _TABLE_GROUP):
            cdf, guide, buckets, offset = _tables(scale * values[first : first + _TABLE_GROUP])
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
            np.concatenate(offset_parts)[cell_value].astype(np.int32),
            np.flatnonzero(np.isinf(cdf))[cell_value],
            np.cumsum(integral),
        )

    def sample(self, rounds: int, rng: np.random.Generator, dtype: type = np.float64) -> np.ndarray:
        """(rounds, c) independent Poisson(scale count[c]) draws, float64 or (when the
        caller knows every count and sum it makes stays below 2**24) float32, laid out in
        memory as (c, rounds) (the transpose of a C-contiguous array): the refits' layout."""
        cells = self.cell_guide_start.size
        out = np.empty((cells, rounds), dtype).T
        if not out.size:
            return out
        value, step_limit = self.guide_steps
        # The uniforms of `block` rounds per call of the generator (the draws of a seed do not
        # depend on how the cells are walked below).
        block = max(1, _BLOCK_ELEMENTS // max(cells, 1))
        bits = [
            row
            for start in range(0, rounds, block)
            for row in uniform_bits(rng, (min(rounds, start + block) - start, cells))
        ]
        # Chunks of cells, every round of a chunk in turn: the temporaries and the chunk's
        # part of `out` stay in cache.
        chunk = min(cells, max(_CHUNK_CELLS, _CHUNK_ELEMENTS // rounds))
        bucket = np.empty(chunk, np.intp)
        drawn = np.empty(chunk, value.dtype)
        bucket_limit = np.empty(chunk, np.uint32)
        above = np.empty(chunk, bool)
        # Draws whose buckets hold several points: place in `out`'s memory, uniform, mark.
        places: list[np.ndarray] = []
        crowded_bits: list[np.ndarray] = []
        marks: list[np.ndarray] = []
        for first in range(0, cells, chunk):
            last = min(cells, first + chunk)
            size = last - first
            shift, guide_start = self.cell_shift[first:last], self.cell_guide_start[first:last]
            for r, round_bits in enumerate(bits):
                k = round_bits[first:last]
                np.right_shift(k, shift, out=bucket[:size])
                bucket[:size] += guide_start
                np.take(value, bucket[:size], out=drawn[:size], mode="clip")
                np.take(step_limit, bucket[:size], out=bucket_limit[:size], mode="clip")
                np.greater(k, bucket_limit[:size], out=above[:size])
                np.add(drawn[:size], above[:size], out=out[r, first:last])
                todo = np.flatnonzero(drawn[:size] < 0)
                places.append((first + todo) * rounds + r)
                crowded_bits.append(k[todo])
                marks.append(drawn[todo])
        # Looked up all at once: a few thousand draws a round.
        place = np.concatenate(places)
        out.T.reshape(-1)[place] = self._walk(
            np.concatenate(crowded_bits), np.concatenate(marks), place // rounds
        )
        return out

    def _walk(self, bits: np.ndarray, marked: np.ndarray, cell: np.ndarray) -> np.ndarray:
        """The draws of ``cell`` for uniforms ``bits`` whose bucket holds several points of
        the CDF, from the bucket's marked value ``-1 - guide``: walking the CDF a point at a
        time, then bisecting."""
        index = (-1.0 - marked).astype(np.int64)
        limit = self.cdf_limit
        walking = np.flatnonzero(bits > limit[index])
        for _ in range(_LINEAR_STEPS):
            if not walking.size:
                break
            index[walking] += 1
            walking = walking[bits[walking] > limit[index[walking]]]
        if walking.size:
            index[walking] = self._search(bits[walking], index[walking], cell[walking])
        return index + self.cell_value_offset[cell]

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
#: Cells inverted at a time: at least _CHUNK_CELLS, and _CHUNK_ELEMENTS draws over all rounds.
#: Smaller chunks (2**18 draws) fitted one core's cache better but made a block of a K = 200
#: board 144 short numpy calls, and two threads then queued for the interpreter: two
#: threads drew no faster than one (0.69 against 0.79 s for 1,000 multinomial rounds, main's
#: sampler 0.58); with 2**20, 0.55. K = 1,000 is the same either way (14.6-15.2 s).
_CHUNK_CELLS = 1 << 12
_CHUNK_ELEMENTS = 1 << 20


_TABLE_GROUP = 256
#: Standard deviations by which the multinomial's Poisson rounds fall short of N.
_SHORT_BY = 3.0


def _tables(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CDF segments, guide tables (indices local to the returned cdf), buckets per value and
    ``low - start`` per value, for distinct Poisson means ``lam`` (d,)."""
    spread = 12.0 * np.sqrt(lam) + 25.0
    low = np.maximum(0, (lam - spread).astype(np.int64))
    sizes = (lam + spread).astype(np.int64) + 1 - low
    starts = np.cumsum(sizes) - sizes
    segment = np.repeat(np.arange(lam.size), sizes)
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
    guide_segment = np.repeat(np.arange(lam.size), buckets)
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
    # Poisson rounds short of N but rarely (PoissonTable.short), filled up to N.
    draws = table.short.sample(rounds, rng, multinomial_dtype(total))
    # Votes are added in the draws' memory, (cells, rounds): ufunc.at takes its slow path on
    # a strided row, and on float32 with a float64 scalar.
    memory = draws.T.reshape(-1)
    one = draws.dtype.type(1.0)
    for r, drawn in enumerate(_round_totals(draws)):
        if drawn < total:
            votes = rng.integers(0, total, size=total - drawn)
            np.add.at(memory, table.cells_of_votes(votes) * rounds + r, one)
        elif drawn > total:
            # Sorted, the search walks forward (numpy's search starts from the previous
            # key's place): several times faster, and the same cells.
            position = np.sort(rng.choice(drawn, size=drawn - total, replace=False))
            # Integer cumulative sum: the same values, several times faster than in floating
            # point (whose additions are one long dependency chain).
            cumulative = np.cumsum(draws[r].astype(np.int64))
            cells = np.searchsorted(cumulative, position, side="right")
            np.subtract.at(memory, cells * rounds + r, one)
    return draws


def _round_totals(draws: np.ndarray) -> list[int]:
    """Each round's total of (rounds, c) integer-valued draws, exact: a product with ones
    (one pass over the draws in whatever layout), whose float32 partial sums of
    non-negative integers are exact below 2**24 in any order; a float32 total at or above
    2**24 (which no smaller true total rounds to) is summed again in float64."""
    totals = draws @ np.ones(draws.shape[1], draws.dtype)
    rounded = (totals >= 2 * _FLOAT32_EXACT) & (draws.dtype == np.float32)
    return [
        int(draws[r].sum(dtype=np.float64) if rounded[r] else total)
        for r, total in enumerate(totals.tolist())
    ]
