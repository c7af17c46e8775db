"""Reading vote files into integer-indexed counts, for the CLI, tests and benchmarks.

Labels exist only here, at the boundary: models are indexed in sorted label order.
Every malformed row raises :class:`InputError` naming the file line.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pairwise.outcomes import Outcome
from ranking.stats.types import PairCounts

WINNER_VALUES: dict[str, Outcome] = {
    "model_a": Outcome.A_WINS,
    "model_b": Outcome.B_WINS,
    "tie": Outcome.TIE,
    "tie (bothbad)": Outcome.BOTH_BAD,
}
VOTE_COLUMNS = ("model_a", "model_b", "winner")
PAIR_COUNT_COLUMNS = ("model_i", "model_j", "wins_i", "wins_j", "ties", "ties_bothbad")


class InputError(ValueError):
    """A vote file that cannot be read; the message names the file and line."""


@dataclass(frozen=True, eq=False)
class LabelledVotes:
    """labels: K model names; votes in file order as (n,) arrays; counts: their aggregate."""

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


def _rows(path: Path, required: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, str]]], str]:
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot open ({error.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in required if column not in header]
        if missing:
            raise InputError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        rows = []
        for row in reader:
            if None in row or any(row[column] is None for column in required):
                raise InputError(f"{path}: line {reader.line_num}: wrong number of fields")
            rows.append((reader.line_num, row))
    return rows, str(path)


def _from_labelled(
    a_labels: list[str], b_labels: list[str], outcome: list[int], count: np.ndarray | None
) -> LabelledVotes:
    labels = tuple(sorted(set(a_labels) | set(b_labels)))
    position = {label: i for i, label in enumerate(labels)}
    model_a = np.array([position[x] for x in a_labels], dtype=np.int64)
    model_b = np.array([position[x] for x in b_labels], dtype=np.int64)
    outcome_array = np.array(outcome, dtype=np.int8)
    weight = np.ones(model_a.size) if count is None else count
    counts = PairCounts(max(len(labels), 1), model_a, model_b, outcome_array, weight)
    return LabelledVotes(labels, model_a, model_b, outcome_array, counts)


def read_votes_csv(path: str | Path) -> LabelledVotes:
    """A CSV with columns model_a, model_b, winner (model_a | model_b | tie | tie (bothbad))."""
    rows, name = _rows(Path(path), VOTE_COLUMNS)
    a_labels, b_labels, outcome = [], [], []
    for line, row in rows:
        a, b, winner = row["model_a"].strip(), row["model_b"].strip(), row["winner"].strip()
        if not a or not b:
            raise InputError(f"{name}: line {line}: empty model name")
        if a == b:
            raise InputError(f"{name}: line {line}: model {a!r} compared with itself")
        if winner not in WINNER_VALUES:
            raise InputError(
                f"{name}: line {line}: unknown winner {winner!r} "
                f"(expected one of {', '.join(WINNER_VALUES)})"
            )
        a_labels.append(a)
        b_labels.append(b)
        outcome.append(int(WINNER_VALUES[winner]))
    return _from_labelled(a_labels, b_labels, outcome, None)


def _count(value: str, column: str, name: str, line: int) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{name}: line {line}: {column} is not a number: {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"{name}: line {line}: {column} must be a non-negative count: {value!r}")
    return number


def read_pair_counts_csv(path: str | Path) -> LabelledVotes:
    """A CSV with model_i, model_j, wins_i, wins_j, ties, ties_bothbad (and optionally n).

    Model i is recorded as A. The per-vote arrays of the result hold one entry per cell.
    """
    rows, name = _rows(Path(path), PAIR_COUNT_COLUMNS)
    a_labels, b_labels, outcome, count = [], [], [], []
    for line, row in rows:
        i, j = row["model_i"].strip(), row["model_j"].strip()
        if not i or not j:
            raise InputError(f"{name}: line {line}: empty model name")
        if i == j:
            raise InputError(f"{name}: line {line}: model {i!r} compared with itself")
        values = [_count(row[c], c, name, line) for c in PAIR_COUNT_COLUMNS[2:]]
        if row.get("n") not in (None, ""):
            total = _count(row["n"], "n", name, line)
            if abs(total - sum(values)) > 1e-9:
                raise InputError(f"{name}: line {line}: n={row['n']} is not the sum of the counts")
        for code, value in enumerate(values):
            a_labels.append(i)
            b_labels.append(j)
            outcome.append(code)
            count.append(value)
    return _from_labelled(a_labels, b_labels, outcome, np.array(count, dtype=np.float64))


def read_battles_json(path: str | Path, *, anonymous_only: bool = False) -> LabelledVotes:
    """Chatbot Arena ``clean_battle`` JSON: a list of {model_a, model_b, winner, anony, tstamp}.

    Battles of a model against itself are skipped and counted in ``skipped_self``.

    Votes are put in time order (``tstamp``) so the arrays suit :func:`elo_online`.
    """
    path = Path(path)
    try:
        battles = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: cannot read JSON ({error})") from None
    if not isinstance(battles, list):
        raise InputError(f"{path}: expected a list of battles")
    kept = []
    skipped_self = 0
    for position, battle in enumerate(battles):
        try:
            a, b, winner = battle["model_a"], battle["model_b"], battle["winner"]
        except (KeyError, TypeError):
            raise InputError(f"{path}: battle {position}: missing model_a/model_b/winner") from None
        if winner not in WINNER_VALUES:
            raise InputError(f"{path}: battle {position}: unknown winner {winner!r}")
        if anonymous_only and not battle.get("anony", False):
            continue
        if a == b:
            # A model against itself says nothing about relative strength.
            skipped_self += 1
            continue
        kept.append((float(battle.get("tstamp", position)), position, a, b, WINNER_VALUES[winner]))
    kept.sort()
    votes = _from_labelled(
        [x[2] for x in kept], [x[3] for x in kept], [int(x[4]) for x in kept], None
    )
    return dataclasses.replace(votes, skipped_self=skipped_self)
