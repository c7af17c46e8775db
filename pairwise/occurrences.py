"""Which occurrence of its content id each row of a long file is, in bounded memory: the
streaming twin of :func:`pairwise.formats.numbered`, for files too big to hold a dict of
every id (5 M battles: several hundred MB of Python strings; here 16 bytes an id, 80 MB).

Each id is kept as the 128-bit BLAKE2b digest of its text (two 64-bit halves; two ids of a
5 M-row file share a digest with probability about 10^-25), in sorted arrays merged like a
binary counter (a log-structured merge): adding n ids costs O(n log n) in all, and looking
up a batch costs one binary search per array, of which there are O(log n).
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

import numpy as np


class Occurrences:
    """The ids seen so far, each as many times as it was seen."""

    def __init__(self) -> None:
        # (high halves sorted, low halves in the same order), largest first.
        self._levels: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(high) for high, _ in self._levels)

    def number(self, ids: Sequence[str]) -> list[int]:
        """The occurrence of each of ``ids`` (1 for the first time an id is seen), counting
        the ids of earlier calls and those before it in ``ids``; records them all."""
        if not ids:
            return []
        digests = b"".join(
            blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest() for text in ids
        )
        halves = np.frombuffer(digests, dtype=">u8").astype(np.uint64).reshape(-1, 2)
        high, low = halves[:, 0].copy(), halves[:, 1].copy()
        occurrence = self._earlier(high, low) + _rank_within(high, low)
        self._add(high, low)
        return occurrence.tolist()

    def _earlier(self, high: np.ndarray, low: np.ndarray) -> np.ndarray:
        """How many times each (high, low) was recorded before."""
        counts = np.zeros(len(high), dtype=np.int64)
        for level_high, level_low in self._levels:
            start = np.searchsorted(level_high, high)
            inside = start < len(level_high)
            hit = np.zeros(len(high), dtype=bool)
            hit[inside] = level_high[start[inside]] == high[inside]
            # Equal high halves are rare (a duplicate row, or one chance in 2^64): their low
            # halves are compared one id at a time.
            for index in np.flatnonzero(hit):
                end = np.searchsorted(level_high, high[index], side="right")
                same = level_low[start[index] : end] == low[index]
                counts[index] += int(np.count_nonzero(same))
        return counts

    def _add(self, high: np.ndarray, low: np.ndarray) -> None:
        order = np.argsort(high, kind="stable")
        self._levels.append((high[order], low[order]))
        # Merge while the newest array is at least as long as the one before: sizes stay
        # geometric, so there are O(log n) arrays and each id is merged O(log n) times.
        while len(self._levels) > 1 and len(self._levels[-2][0]) <= len(self._levels[-1][0]):
            newer = self._levels.pop()
            older = self._levels.pop()
            self._levels.append(_merge(older, newer))


def _rank_within(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """For each id, 1 + the number of equal ids before it in the same batch."""
    position = np.arange(len(high))
    order = np.lexsort((position, low, high))
    sorted_high, sorted_low = high[order], low[order]
    starts = np.ones(len(high), dtype=bool)
    starts[1:] = (sorted_high[1:] != sorted_high[:-1]) | (sorted_low[1:] != sorted_low[:-1])
    group_start = np.maximum.accumulate(np.where(starts, position, 0))
    rank = np.empty(len(high), dtype=np.int64)
    rank[order] = position - group_start + 1
    return rank


def _merge(
    older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted levels as one, in linear memory (no sort of the whole)."""
    (older_high, older_low), (newer_high, newer_low) = older, newer
    size = len(older_high) + len(newer_high)
    places = np.searchsorted(older_high, newer_high, side="right") + np.arange(len(newer_high))
    from_older = np.ones(size, dtype=bool)
    from_older[places] = False
    merged = []
    for old, new in ((older_high, newer_high), (older_low, newer_low)):
        values = np.empty(size, dtype=np.uint64)
        values[places] = new
        values[from_older] = old
        merged.append(values)
    return merged[0], merged[1]
