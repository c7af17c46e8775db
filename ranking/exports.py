"""Snapshot downloads: the same numbers as CSV and JSON, with stable column names.

Pair counts have one column per outcome (``OUTCOME_COLUMNS``, in ``pairwise.outcomes.Outcome``
code order). CSV text cells that a spreadsheet would run as a formula (starting with = + - @,
a tab or a carriage return) are prefixed with an apostrophe; numbers are written as numbers.
An interval side the votes do not bound is ``inf`` / ``-inf`` in CSV and ``null`` in JSON
(which has no infinity): :func:`json_safe`. ``rank`` and ``rank_ub`` count only models of the
same ``component``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ranking.models import ModelRating, RatingSnapshot

if TYPE_CHECKING:
    from ranking.selectors import WinRates

RATING_COLUMNS = (
    "snapshot_id",
    "rank",
    "rank_ub",
    "component",
    "model",
    "display_name",
    "lab",
    "country",
    "score",
    "ci_low",
    "ci_high",
    "votes",
    "wins",
    "ties",
    "losses",
    "avg_win_rate",
    "provisional",
)
#: The pairs download's count column of each outcome, in :class:`Outcome` code order.
OUTCOME_COLUMNS = ("a_wins", "b_wins", "ties", "both_bad")
PAIR_COLUMNS = ("model_a", "model_b", *OUTCOME_COLUMNS, "battles")
#: The win-rate download, long form: one row per ordered pair of the snapshot's models.
WIN_RATE_COLUMNS = (
    "model_a",
    "model_b",
    "battles",
    "wins",
    "observed_win_rate",
    "predicted_win_rate",
)
#: The wide form's matrices (one K x K table each) and the long form's column of each.
MATRIX_COLUMNS = {
    "battles": "battles",
    "wins": "wins",
    "observed": "observed_win_rate",
    "predicted": "predicted_win_rate",
}
#: The wide CSV's corner cell: it has a space, so no model key can be equal to it.
MATRIX_CORNER = "model_a / model_b"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_safe(row[column]) for column in columns])
    return buffer.getvalue()


def rating_rows(
    snapshot: RatingSnapshot, board: list[ModelRating], *, provisional_votes: int
) -> list[dict]:
    return [
        {
            "snapshot_id": snapshot.pk,
            "rank": row.rank,
            "rank_ub": row.rank_ub,
            "component": row.component,
            "model": row.model.key,
            "display_name": row.model.display_name,
            "lab": row.model.lab.name,
            "country": row.model.lab.country,
            "score": round(row.score, 4),
            "ci_low": round(row.ci_low, 4),
            "ci_high": round(row.ci_high, 4),
            "votes": _count(row.votes),
            "wins": _count(row.wins),
            "ties": _count(row.ties),
            "losses": _count(row.losses),
            "avg_win_rate": round(row.avg_win_rate, 6),
            "provisional": row.votes < provisional_votes,
        }
        for row in board
    ]


def json_safe(rows: list[dict]) -> list[dict]:
    """The rows with infinite numbers (open interval sides) as ``None``."""
    return [
        {
            key: None if isinstance(value, float) and math.isinf(value) else value
            for key, value in row.items()
        }
        for row in rows
    ]


def pair_rows(keys_by_column: list[str], cells: np.ndarray) -> list[dict]:
    """Pairwise counts per ordered (A, B) pair as shown to voters."""
    pairs: dict[tuple[int, int], dict] = {}
    for a, b, outcome, count in cells.tolist():
        row = pairs.setdefault(
            (a, b),
            {
                "model_a": keys_by_column[a],
                "model_b": keys_by_column[b],
                **dict.fromkeys(OUTCOME_COLUMNS, 0),
            },
        )
        row[OUTCOME_COLUMNS[outcome]] += count
    for row in pairs.values():
        row["battles"] = sum(row[column] for column in OUTCOME_COLUMNS)
        row.update({column: _count(row[column]) for column in (*OUTCOME_COLUMNS, "battles")})
    return [pairs[key] for key in sorted(pairs)]


def _count(value: float) -> int | float:
    """A vote count as an integer; wins are half-integers when ties count half."""
    return int(value) if float(value).is_integer() else float(value)


def _rate(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 6)


def _matrix_values(rates: WinRates) -> dict[str, list[list[int | float | None]]]:
    """Each matrix of ``MATRIX_COLUMNS`` as nested lists of export values."""
    return {
        "battles": [[_count(v) for v in row] for row in rates.battles],
        "wins": [[_count(v) for v in row] for row in rates.wins],
        "observed": [[_rate(v) for v in row] for row in rates.observed],
        "predicted": [[_rate(v) for v in row] for row in rates.predicted],
    }


def win_rate_rows(rates: WinRates) -> list[dict]:
    """Long form: one row per ordered pair (A, B), A != B, in board order; a pair that never
    met has 0 battles and no observed win rate."""
    values = _matrix_values(rates)
    return [
        {
            "model_a": a,
            "model_b": b,
            **{column: values[name][i][j] for name, column in MATRIX_COLUMNS.items()},
        }
        for i, a in enumerate(rates.keys)
        for j, b in enumerate(rates.keys)
        if i != j
    ]


def win_rate_matrix(rates: WinRates, quantity: str) -> list[list[int | float | None]]:
    """Wide form: the (K, K) matrix of one of ``MATRIX_COLUMNS``, rows and columns in
    ``rates.keys`` order (row model A against column model B)."""
    return _matrix_values(rates)[quantity]


def matrix_csv(keys: list[str], matrix: list[list[int | float | None]]) -> str:
    """A square table with the model keys as its first row and first column. Model keys are
    made formula-safe here too, since they are headers; empty cells are missing values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([MATRIX_CORNER, *(spreadsheet_safe(key) for key in keys)])
    for key, row in zip(keys, matrix, strict=True):
        writer.writerow([spreadsheet_safe(key), *row])
    return buffer.getvalue()


def replicate_rows(
    keys_by_column: list[str], replicates: np.ndarray
) -> tuple[list[str], list[dict]]:
    columns = ["round", *keys_by_column]
    rows = [
        {
            "round": r,
            **{
                key: (None if np.isnan(v) else round(float(v), 3))
                for key, v in zip(keys_by_column, values, strict=True)
            },
        }
        for r, values in enumerate(replicates)
    ]
    return columns, rows
