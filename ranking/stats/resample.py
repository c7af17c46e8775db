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

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import gammaln, pdtr

Resample = Literal["multinomial", "poisson"]
RESAMPLE: tuple[str, ...] = ("multinomial", "poisson")


@dataclass(frozen=True, eq=False)
class PoissonTable:
    """Inversion tables for Poisson(count[c]) of each cell c, for integer counts.

    ``cdf`` concatenates, per distinct count v, ``F_v(x)`` for x in ``[low_v, high_v]`` (the
    last entry set to +inf); ``guide`` holds, per distinct v and bucket b of ``[0, 1)`` split in
    ``buckets_v`` parts, the index in ``cdf`` of the smallest x with ``F_v(x) > b / buckets_v``.
    """

    cdf: np.ndarray
    guide: np.ndarray
    cell_guide_start: np.ndarray
    cell_buckets: np.ndarray
    cell_value_offset: np.ndarray

    @classmethod
    def for_counts(cls, count: np.ndarray) -> PoissonTable:
        """Tables for every distinct integer count, built in vectorised passes over groups of
        counts (the number of distinct counts grows with the number of votes; groups bound
        the temporaries)."""
        values, cell_value = np.unique(count.astype(np.int64), return_inverse=True)
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
        return cls(
            np.concatenate(cdf_parts),
            np.concatenate(guide_parts),
            guide_starts[cell_value],
            buckets[cell_value].astype(np.float64),
            np.concatenate(offset_parts)[cell_value],
        )

    def sample(self, rounds: int, rng: np.random.Generator) -> np.ndarray:
        """(rounds, c) float64 independent Poisson(count[c]) draws."""
        cells = self.cell_guide_start.size
        out = np.empty((rounds, cells))
        # Small blocks keep the temporaries in cache and reuse their pages.
        block = max(1, _BLOCK_ELEMENTS // max(cells, 1))
        u = np.empty((block, cells))
        scaled = np.empty((block, cells))
        bucket = np.empty((block, cells), np.int64)
        for start in range(0, rounds, block):
            stop = min(rounds, start + block)
            n = stop - start
            rng.random(out=u[:n])
            np.multiply(u[:n], self.cell_buckets, out=scaled[:n])
            bucket_n = bucket[:n]
            np.copyto(bucket_n, scaled[:n], casting="unsafe")
            bucket_n += self.cell_guide_start
            index = self.guide[bucket_n].ravel()
            flat_u = u[:n].ravel()
            todo = np.flatnonzero(flat_u >= self.cdf[index])
            while todo.size:
                index[todo] += 1
                todo = todo[flat_u[todo] >= self.cdf[index[todo]]]
            np.add(
                index.reshape(n, cells),
                self.cell_value_offset,
                out=out[start:stop],
                casting="unsafe",
            )
        return out


_BLOCK_ELEMENTS = 1 << 17


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
    pmf = np.exp(xs * np.log(lam[segment]) - lam[segment] - gammaln(xs + 1.0))
    running = np.cumsum(pmf)
    left_tail = np.where(low > 0, pdtr(low - 1, lam), 0.0)
    cdf = running - (running[starts] - pmf[starts] - left_tail)[segment]
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


def is_integral(count: np.ndarray) -> bool:
    return bool(np.all(count == np.round(count)))


def poisson_counts(
    count: np.ndarray, rounds: int, rng: np.random.Generator, table: PoissonTable | None = None
) -> np.ndarray:
    """(rounds, c) float64 Poisson-bootstrap counts: cell c gets Poisson(count[c])."""
    if table is None and not is_integral(count):
        return rng.poisson(count, size=(rounds, count.size)).astype(np.float64)
    table = table or PoissonTable.for_counts(count)
    return table.sample(rounds, rng)


def multinomial_counts(
    count: np.ndarray, rounds: int, rng: np.random.Generator, table: PoissonTable | None = None
) -> np.ndarray:
    """(rounds, c) float64 counts of ``N = sum(count)`` votes drawn with replacement.

    Each row is exactly Multinomial(N, count / N). Non-integer counts (weighted votes) use
    N = round(sum(count)) and numpy's multinomial sampler.
    """
    total = int(round(float(count.sum())))
    probabilities = count / count.sum()
    if table is None and not is_integral(count):
        return rng.multinomial(total, probabilities, size=rounds).astype(np.float64)
    draws = poisson_counts(count, rounds, rng, table)
    cumulative_p = np.cumsum(probabilities)
    for r in range(rounds):
        row = draws[r]
        excess = int(row.sum()) - total
        if excess > 0:
            position = rng.choice(total + excess, size=excess, replace=False)
            if position.size * _SEGMENT * 4 < row.size:
                cells = _cells_holding(row, position)
            else:
                cells = np.searchsorted(np.cumsum(row), position, side="right")
            np.subtract.at(row, cells, 1.0)
        elif excess < 0:
            cells = np.searchsorted(cumulative_p, rng.random(-excess), side="right")
            np.add.at(row, np.minimum(cells, row.size - 1), 1.0)
    return draws


_SEGMENT = 64


def _cells_holding(row: np.ndarray, position: np.ndarray) -> np.ndarray:
    """``np.searchsorted(np.cumsum(row), position, side="right")`` for integer-valued ``row``
    and ``0 <= position < row.sum()``, without the full cumulative sum (the slowest pass of a
    multinomial round when there are a million cells and a few thousand positions): sums per
    segment of ``_SEGMENT`` cells locate each position's segment, and only those segments are
    cumulated. Integer-valued float sums are exact, so the cells are the same."""
    starts = np.arange(0, row.size, _SEGMENT)
    segment_sum = np.add.reduceat(row, starts)
    segment_end = np.cumsum(segment_sum)
    segment = np.searchsorted(segment_end, position, side="right")
    before = segment_end[segment] - segment_sum[segment]
    cell = starts[segment][:, None] + np.arange(_SEGMENT)
    inside = cell < row.size
    values = np.where(inside, row[np.minimum(cell, row.size - 1)], 0.0)
    running = np.cumsum(values, axis=1) + before[:, None]
    return starts[segment] + np.count_nonzero(running <= position[:, None], axis=1)
