"""The streaming numbering of content ids: the same numbers as the whole-file reader's
dict, whatever the batches, in sorted arrays instead of a dict of every id."""

from __future__ import annotations

import io
import json
import random

from pairwise.formats import numbered, read_votes
from pairwise.occurrences import Occurrences
from pairwise.rows import Parsed


def _in_batches(ids: list[str], sizes: list[int]) -> list[int]:
    occurrences, numbers, start = Occurrences(), [], 0
    for size in sizes:
        numbers += occurrences.number(ids[start : start + size])
        start += size
    numbers += occurrences.number(ids[start:])
    return numbers


def test_the_first_time_an_id_is_seen_is_one_and_each_repeat_counts_on():
    assert _in_batches(["x", "y", "x", "x", "z", "y"], [2, 1, 3]) == [1, 1, 2, 3, 1, 2]


def test_numbers_agree_with_the_whole_file_reader_across_any_batches():
    rng = random.Random(7)
    battles = [
        {"model_a": "a", "model_b": "b", "winner": "tie", "tstamp": rng.randrange(400)}
        for _ in range(5_000)
    ]
    stream = io.BytesIO(json.dumps(battles).encode())
    rows = list(read_votes(stream, format_name="clean_battle", result=Parsed()))
    expected = [row.external_id for row in numbered(rows)]
    bases = [row.external_id for row in rows]
    for sizes in ([1] * 50, [rng.randrange(1, 900) for _ in range(20)], [5_000]):
        numbers = _in_batches(bases, sizes)
        assert [f"{base}:{n}" for base, n in zip(bases, numbers, strict=True)] == expected


def test_ids_are_kept_in_a_few_sorted_arrays_of_sixteen_bytes_an_id():
    occurrences = Occurrences()
    for batch in range(100):
        occurrences.number([f"battle:{batch}:{row}" for row in range(100)])
    assert len(occurrences) == 10_000
    levels = occurrences._levels
    assert len(levels) <= 7  # one array per bit of 100 batches at most
    assert sum(high.nbytes + low.nbytes for high, low in levels) == 16 * 10_000
    assert all((high[1:] >= high[:-1]).all() for high, _ in levels)


def test_an_empty_batch_numbers_nothing():
    assert Occurrences().number([]) == []
