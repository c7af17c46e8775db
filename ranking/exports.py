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

import numpy as np

from ranking.models import ModelRating, RatingSnapshot

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
            "votes": row.votes,
            "wins": row.wins,
            "ties": row.ties,
            "losses": row.losses,
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
    return [pairs[key] for key in sorted(pairs)]


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
