"""Reading vote files into integer-indexed counts, for the CLI, tests and benchmarks.

The formats and their rules are :mod:`pairwise.formats`, the same as ``manage.py
import_votes`` reads; this module only adapts them: labels become indices (in sorted label
order), the first problem of a file becomes an :class:`InputError` naming the file and its
line, and votes are put in time order for :func:`elo_online`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from pairwise.formats import (
    PAIR_COUNT_CELLS,
    PAIR_COUNT_COLUMNS,
    Skip,
    VoteRow,
    parse_clean_battle_json,
    parse_pair_counts_csv,
    parse_votes_csv,
)
from pairwise.rows import Parsed
from ranking.stats.types import PairCounts


class InputError(ValueError):
    """A vote file that cannot be read; the message names the file and line."""


@dataclass(frozen=True, eq=False)
class LabelledVotes:
    """labels: K model names; votes (or pair-count cells) as (n,) arrays, in time order when
    every vote has a time, else in file order; counts: their aggregate."""

    labels: tuple[str, ...]
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    counts: PairCounts
    skipped_self: int = 0

    def index(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise InputError(f"unknown model {label!r}") from None


def read_votes_csv(path: str | Path) -> LabelledVotes:
    """A CSV with columns model_a, model_b, winner and optionally timestamp, category,
    language (``pairwise.formats.parse_votes_csv``)."""
    return _labelled(_read(Path(path), parse_votes_csv, place="line"))


def read_pair_counts_csv(path: str | Path) -> LabelledVotes:
    """A CSV with model_i, model_j, wins_i, wins_j, ties, ties_bothbad (and optionally n).

    Model i is recorded as A. The per-vote arrays of the result hold one entry per non-zero
    cell, weighted by its count. A plainly valid file (the six columns, every model name and
    count already clean) is read in a few vectorised passes; any other goes through the full
    reader of ``pairwise.formats``, which names the first problem (the same result for the
    files both accept: tested).
    """
    path = Path(path)
    return _plain_pair_counts(_bytes(path)) or _labelled(
        _read(path, parse_pair_counts_csv, place="line")
    )


def read_battles_json(path: str | Path, *, anonymous_only: bool = False) -> LabelledVotes:
    """Chatbot Arena ``clean_battle`` JSON: a list of {model_a, model_b, winner, anony, tstamp}.

    With ``anonymous_only``, battles marked ``"anony": false`` are left out (one without
    ``anony`` is anonymous). Battles of a model against itself are skipped and counted in
    ``skipped_self``. A battle's place in an error is its position in the list (``row``).
    """
    parse = partial(parse_clean_battle_json, include_named=not anonymous_only)
    return _labelled(_read(Path(path), parse, place="row"))


#: Format name (as ``manage.py import_votes --format``) -> reader.
READERS: dict[str, Callable[[str | Path], LabelledVotes]] = {
    "clean_battle": read_battles_json,
    "csv": read_votes_csv,
    "pair_counts": read_pair_counts_csv,
}


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot open ({error.strerror})") from None


def _read(path: Path, parse: Callable[[bytes], Parsed[VoteRow]], *, place: str) -> Parsed[VoteRow]:
    parsed = parse(_bytes(path))
    if parsed.errors:
        raise InputError(f"{path}: {parsed.errors[0].at(place)}")
    return parsed


def _labelled(parsed: Parsed[VoteRow]) -> LabelledVotes:
    rows = parsed.rows
    if all(row.created_at is not None for row in rows):
        # A stable sort: votes at the same instant keep their file order.
        rows = sorted(rows, key=lambda row: row.created_at)
    labels = tuple(sorted({row.model_a for row in rows} | {row.model_b for row in rows}))
    position = {label: i for i, label in enumerate(labels)}
    model_a = np.array([position[row.model_a] for row in rows], dtype=np.int64)
    model_b = np.array([position[row.model_b] for row in rows], dtype=np.int64)
    outcome = np.array([int(row.outcome) for row in rows], dtype=np.int8)
    count = np.array([row.count for row in rows], dtype=np.float64)
    counts = PairCounts(max(len(labels), 1), model_a, model_b, outcome, count)
    skipped_self = parsed.skipped.get(Skip.SELF, 0)
    return LabelledVotes(labels, model_a, model_b, outcome, counts, skipped_self)


def _records(text: str) -> list[list[str]]:
    """The CSV records of ``text``, blank lines left out. Text without quotes, carriage
    returns or NUL is split on newlines and commas, which is what the csv module does with
    it, three times faster."""
    if '"' in text or "\r" in text or "\x00" in text:
        return [record for record in csv.reader(io.StringIO(text, newline="")) if record]
    return [line.split(",") for line in text.split("\n") if line]


def _plain_pair_counts(data: bytes) -> LabelledVotes | None:
    """Pair counts read without building a row object per cell, or None when the file is
    not plainly valid (the full reader then decides, and names any problem): UTF-8, the
    header exactly the six columns (or seven with ``n``), every record as many cells, model
    names non-empty without surrounding spaces, two different models, each pair once,
    counts plain ASCII digits (and ``n`` their sum)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    records = _records(text)
    header = tuple(records[0]) if records else ()
    if header not in (PAIR_COUNT_COLUMNS, (*PAIR_COUNT_COLUMNS, "n")):
        return None
    body = records[1:]
    if any(len(record) != len(header) for record in body):
        return None
    first = [record[0] for record in body]
    second = [record[1] for record in body]
    names = first + second
    if not all(names) or any(name != name.strip() for name in names):
        return None
    name_index = {name: i for i, name in enumerate(sorted(set(names)))}
    low, high = np.sort(np.array([name_index[name] for name in names]).reshape(2, -1), axis=0)
    # Each unordered pair once, of two different models.
    if np.any(low == high) or np.unique(low * len(name_index) + high).size != len(body):
        return None
    cells = [value for record in body for value in record[2:]]
    joined = "".join(cells)
    if not all(cells) or not (joined.isascii() and joined.isdigit()):
        return None
    try:
        numbers = np.array(cells, dtype=np.int64).astype(np.float64)
    except (OverflowError, ValueError):  # beyond int64: the full reader decides
        return None
    table = numbers.reshape(len(body), len(header) - 2)
    if table.shape[1] == 5:  # n, which must be the sum of the four counts
        if not np.array_equal(table[:, :4].sum(axis=1), table[:, 4]):
            return None
        table = table[:, :4]
    row, column = np.nonzero(table)
    if not row.size:
        return None
    used = np.unique(row)
    labels = tuple(sorted({first[i] for i in used} | {second[i] for i in used}))
    position = {label: i for i, label in enumerate(labels)}
    index_first = np.zeros(len(body), dtype=np.int64)
    index_second = np.zeros(len(body), dtype=np.int64)
    index_first[used] = [position[first[i]] for i in used]
    index_second[used] = [position[second[i]] for i in used]
    model_a, model_b = index_first[row], index_second[row]
    outcome = np.array(list(PAIR_COUNT_CELLS.values()), dtype=np.int8)[column]
    count = table[row, column]
    counts = PairCounts(len(labels), model_a, model_b, outcome, count)
    return LabelledVotes(labels, model_a, model_b, outcome, counts)
