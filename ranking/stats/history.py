"""Reading a published rating history (CSV: month, model, country, score[, ci_low, ci_high]
[, votes][, licence][, open_weights]) into the frontier's monthly ratings. Every bad line is
reported, not only the first."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

import numpy as np

from pairwise.months import month_ordinal
from pairwise.openness import weights_of
from ranking.stats.frontier import MonthRatings

_COUNTRY = re.compile(r"^[A-Z]{2}$")


class HistoryError(ValueError):
    """A rating-history file that cannot be read; ``errors`` names each bad line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


HISTORY_COLUMNS = ("month", "model", "country", "score")


def has_openness(header: Iterable[str]) -> bool:
    """Whether a history's columns say anything of openness (``licence``, ``open_weights``)."""
    return bool({"licence", "open_weights"} & {h.strip() for h in header})


def read_rating_history(lines: Iterable[str]) -> list[MonthRatings]:
    """A published rating history as CSV: ``month,model,country,score[,ci_low,ci_high]
    [,votes][,licence][,open_weights]``, one row per model per month, ``month`` as YYYY-MM; a
    blank ``votes`` cell is unknown (the model counts). Openness, when either of the last two
    columns is there, is the ``open_weights`` cell, or what the licence implies
    (``pairwise.openness.weights_of``); without either, every model's is unknown (then no
    model is in a licence group). Raises :class:`HistoryError` listing every bad line (line 1
    is the header)."""
    reader = csv.DictReader(lines)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in HISTORY_COLUMNS if c not in header]
    if missing:
        raise HistoryError([f"line 1: missing column(s) {', '.join(missing)}"])
    reader.fieldnames = header
    with_ci = "ci_low" in header and "ci_high" in header
    with_votes = "votes" in header
    with_weights = has_openness(header)
    errors: list[str] = []
    by_month: dict[str, dict[str, tuple]] = {}
    for row in reader:
        line = reader.line_num
        parsed = _history_row(row, with_ci, with_votes)
        if isinstance(parsed, str):
            errors.append(f"line {line}: {parsed}")
            continue
        month, model, country, values = parsed
        try:
            weights = weights_of(row.get("open_weights") or "", row.get("licence") or "")
        except ValueError as error:
            errors.append(f"line {line}: open_weights {error}")
            continue
        if model in by_month.setdefault(month, {}):
            errors.append(f"line {line}: {model} appears twice in {month}")
            continue
        by_month[month][model] = (country, *values, weights)
    if not errors and not by_month:
        errors.append("no rows after the header")
    if errors:
        raise HistoryError(errors)
    return [
        _month_ratings_from_history(month, by_month[month], with_votes, with_weights)
        for month in sorted(by_month)
    ]


def _history_row(row: dict, with_ci: bool, with_votes: bool) -> tuple | str:
    """(month, model, country, [score, ci_low, ci_high]) of one line, or what is wrong with it."""
    if None in row or any(row.get(c) is None for c in HISTORY_COLUMNS):
        return "wrong number of fields"
    month, model = row["month"].strip(), row["model"].strip()
    country = row["country"].strip().upper()
    try:
        month_ordinal(month)
    except ValueError:
        return f"month {month!r} is not YYYY-MM"
    if not model:
        return "model is blank"
    if country and not _COUNTRY.match(country):
        return f"country {country!r} is not a two-letter ISO code (or blank)"
    values = _history_values(row, with_ci)
    if isinstance(values, str):
        return values
    score, low, high = values
    if not np.isnan(low) and not np.isnan(high) and not low <= score <= high:
        return f"expected ci_low <= score <= ci_high, got {low} <= {score} <= {high}"
    votes = _history_votes(row) if with_votes else np.nan
    if isinstance(votes, str):
        return votes
    return month, model, country, [*values, votes]


def _history_votes(row: dict) -> float | str:
    """The votes cell: a number 0 or more, NaN when blank (unknown), or what is wrong."""
    text = (row.get("votes") or "").strip()
    if not text:
        return np.nan
    try:
        votes = float(text)
    except ValueError:
        return f"votes {text!r} is not a number"
    if not np.isfinite(votes) or votes < 0:
        return f"votes {text!r} is not a count"
    return votes


def _history_values(row: dict, with_ci: bool) -> list[float] | str:
    """[score, ci_low, ci_high] of one line (a blank or absent bound is NaN), or what is
    wrong with them."""
    values = []
    for column in ("score", "ci_low", "ci_high") if with_ci else ("score",):
        text = (row.get(column) or "").strip()
        if not text and column != "score":
            values.append(np.nan)
            continue
        try:
            value = float(text)
        except ValueError:
            return f"{column} {text!r} is not a number"
        if not np.isfinite(value):
            return f"{column} {text!r} is not a finite number"
        values.append(value)
    return values if with_ci else [*values, np.nan, np.nan]


def _month_ratings_from_history(
    month: str, rows: dict[str, tuple], with_votes: bool, with_weights: bool
) -> MonthRatings:
    """``rows``: model -> (country, score, ci_low, ci_high, votes, weights)."""
    models = tuple(rows)
    return MonthRatings(
        month=month,
        models=models,
        countries=tuple(rows[m][0] for m in models),
        scores=np.array([rows[m][1] for m in models]),
        ci_low=np.array([rows[m][2] for m in models]),
        ci_high=np.array([rows[m][3] for m in models]),
        votes=np.array([rows[m][4] for m in models]) if with_votes else None,
        weights=tuple(rows[m][5] for m in models) if with_weights else None,
    )
