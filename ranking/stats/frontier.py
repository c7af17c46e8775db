"""The frontier between two countries: month by month, each country's best model, the gap
between them and how many months the trailing country lags. Pure over plain arrays.

Definitions (``docs/frontier.md``): for country ``a`` (default US) and ``b`` (default CN),

- ``top_a(m)``, ``top_b(m)``: the highest score among the month's listed models of that country;
- ``gap(m) = top_a(m) - top_b(m)`` in rating points;
- ``lag(m) = m - m*`` in calendar months, where ``m*`` is the earliest month ``<= m`` with
  ``top_a(m*) >= top_b(m)``; 0 when ``top_b(m) >= top_a(m)`` (``b`` leads or ties). The lag is
  censored (a lower bound) when no data precede ``m*``: it is the first month, or the calendar
  month before it is missing from the series.

Intervals come from bootstrap replicates: in each replicate the best of each country, then the
difference, then percentiles. The lag interval needs replicates that are the same draw in every
month (one fit scored over time: ``joint=True``); month-end fits are separate draws.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pairwise.months import month_ordinal

_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class MonthRatings:
    """One month's listed models. ``scores``, ``ci_low``, ``ci_high``: (n,); ``replicates``:
    (R, n) bootstrap scores on the same scale, NaN where a replicate has no value."""

    month: str
    models: tuple[str, ...]
    countries: tuple[str, ...]
    scores: np.ndarray
    ci_low: np.ndarray | None = None
    ci_high: np.ndarray | None = None
    replicates: np.ndarray | None = None


@dataclass(frozen=True)
class FrontierMonth:
    """One row. ``a_*`` and ``b_*`` are the two countries' best models; any of them is
    ``None`` when the country has no listed model that month (then so are gap and lag)."""

    month: str
    a_model: str | None
    a_score: float | None
    a_low: float | None
    a_high: float | None
    b_model: str | None
    b_score: float | None
    b_low: float | None
    b_high: float | None
    gap: float | None
    gap_low: float | None
    gap_high: float | None
    lag: int | None
    lag_censored: bool
    lag_low: int | None
    lag_high: int | None
    lag_high_censored: bool
    leader: str  # a's or b's country code, "tie", or "" when neither has a model


@dataclass(frozen=True)
class Frontier:
    a: str
    b: str
    level: float
    months: tuple[FrontierMonth, ...]


class HistoryError(ValueError):
    """A rating-history file that cannot be read; ``errors`` names each bad line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def monthly_frontier(
    months: Sequence[MonthRatings],
    *,
    a: str = "US",
    b: str = "CN",
    level: float = 0.95,
    joint: bool = False,
) -> Frontier:
    """The frontier rows of ``months`` (strictly increasing, gaps allowed).

    Top intervals are percentiles of each replicate's country best when ``replicates`` are
    given, else the best model's own ``ci_low``/``ci_high``; the gap interval needs
    replicates. With ``joint`` (every month's replicate r comes from the same bootstrap draw,
    as in one fit scored over time) the lag is also computed per replicate and its percentile
    interval reported; censored replicate lags count at their lower bound.
    """
    ordinals = np.array([month_ordinal(m.month) for m in months], dtype=np.int64)
    if len(ordinals) > 1 and np.any(np.diff(ordinals) <= 0):
        raise ValueError("months must be strictly increasing")
    if a == b:
        raise ValueError("compare two different countries")
    alpha = 1.0 - level
    tops = [(_best(m, a), _best(m, b)) for m in months]
    top_a = np.array([t[0][1] for t in tops], dtype=np.float64)
    top_b = np.array([t[1][1] for t in tops], dtype=np.float64)
    lags, censored = _lags(ordinals, top_a[:, None], top_b[:, None])
    rep_a = rep_b = None
    if all(m.replicates is not None for m in months) and months:
        rep_a = [_replicate_best(m, a) for m in months]
        rep_b = [_replicate_best(m, b) for m in months]
    rep_lags = rep_censored = None
    if joint and rep_a is not None and len({len(r) for r in rep_a}) == 1:
        rep_lags, rep_censored = _lags(ordinals, np.stack(rep_a), np.stack(rep_b))
    rows = []
    for i, month in enumerate(months):
        (a_model, a_score, a_ci), (b_model, b_score, b_ci) = tops[i]
        if rep_a is not None:
            a_ci = _percentiles(rep_a[i], alpha) if a_model else (None, None)
            b_ci = _percentiles(rep_b[i], alpha) if b_model else (None, None)
        both = a_model is not None and b_model is not None
        gap = a_score - b_score if both else None
        gap_ci = (
            _percentiles(rep_a[i] - rep_b[i], alpha) if both and rep_a is not None else (None, None)
        )
        lag_ci, high_censored = (None, None), False
        if rep_lags is not None and b_model is not None:
            lag_ci, high_censored = _lag_interval(rep_lags[i], rep_censored[i], alpha)
        rows.append(
            FrontierMonth(
                month=month.month,
                a_model=a_model,
                a_score=None if a_model is None else a_score,
                a_low=a_ci[0],
                a_high=a_ci[1],
                b_model=b_model,
                b_score=None if b_model is None else b_score,
                b_low=b_ci[0],
                b_high=b_ci[1],
                gap=gap,
                gap_low=gap_ci[0],
                gap_high=gap_ci[1],
                lag=None if np.isnan(lags[i, 0]) else int(lags[i, 0]),
                lag_censored=bool(censored[i, 0]),
                lag_low=lag_ci[0],
                lag_high=lag_ci[1],
                lag_high_censored=high_censored,
                leader=_leader(a, b, a_score, b_score),
            )
        )
    return Frontier(a=a, b=b, level=level, months=tuple(rows))


def running_frontier(
    months: Sequence[str],
    *,
    models: Sequence[str],
    countries: Sequence[str],
    entry: Sequence[str],
    scores: np.ndarray,
    replicates: np.ndarray | None = None,
    a: str = "US",
    b: str = "CN",
    level: float = 0.95,
) -> Frontier:
    """One fit scored over time: model k counts from month ``entry[k]`` on (its release),
    so each country's top is a running best on one scale. ``scores``: (K,); ``replicates``:
    (R, K) from the same fit, which makes the lag interval possible."""
    entry_ordinals = np.array([month_ordinal(e) for e in entry], dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    series = []
    for month in months:
        listed = np.flatnonzero(entry_ordinals <= month_ordinal(month))
        series.append(
            MonthRatings(
                month=month,
                models=tuple(models[k] for k in listed),
                countries=tuple(countries[k] for k in listed),
                scores=scores[listed],
                replicates=None if replicates is None else replicates[:, listed],
            )
        )
    return monthly_frontier(series, a=a, b=b, level=level, joint=replicates is not None)


def _best(
    month: MonthRatings, country: str
) -> tuple[str | None, float, tuple[float | None, float | None]]:
    """(model, score, (ci_low, ci_high)) of the country's best; ties go to the first listed."""
    mine = [k for k, c in enumerate(month.countries) if c == country]
    scores = np.asarray(month.scores, dtype=np.float64)
    mine = [k for k in mine if not np.isnan(scores[k])]
    if not mine:
        return None, np.nan, (None, None)
    k = mine[int(np.argmax(scores[mine]))]
    ci = (None, None)
    if month.ci_low is not None and month.ci_high is not None:
        low, high = float(month.ci_low[k]), float(month.ci_high[k])
        ci = (None if np.isnan(low) else low, None if np.isnan(high) else high)
    return month.models[k], float(scores[k]), ci


def _replicate_best(month: MonthRatings, country: str) -> np.ndarray:
    """(R,) the country's best score in each replicate; NaN where it has none."""
    replicates = np.asarray(month.replicates, dtype=np.float64)
    mine = [k for k, c in enumerate(month.countries) if c == country]
    if not mine:
        return np.full(len(replicates), np.nan)
    chosen = replicates[:, mine]
    best = np.full(len(replicates), np.nan)
    valid = ~np.all(np.isnan(chosen), axis=1)
    best[valid] = np.nanmax(chosen[valid], axis=1)
    return best


def _lags(ordinals: np.ndarray, top_a: np.ndarray, top_b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Lag and censoring for each month and replicate. ``top_a``, ``top_b``: (M, R) with NaN
    where a country has no model. Returns lags (M, R) as float (NaN: undefined) and
    censored (M, R) bool."""
    n_months, n_reps = top_b.shape
    lags = np.full((n_months, n_reps), np.nan)
    censored = np.zeros((n_months, n_reps), dtype=bool)
    # A month reached at m* with nothing observed the month before may have been reached earlier.
    unobserved_before = np.ones(n_months, dtype=bool)
    unobserved_before[1:] = np.diff(ordinals) != 1
    for i in range(n_months):
        target = top_b[i]
        defined = ~np.isnan(target)
        leads = defined & (np.isnan(top_a[i]) | (target >= top_a[i]))
        with np.errstate(invalid="ignore"):
            reached = top_a[: i + 1] >= target[None, :]
        trailing = defined & ~leads
        first = np.argmax(reached, axis=0)
        lags[i, leads] = 0.0
        lags[i, trailing] = (ordinals[i] - ordinals[first])[trailing]
        censored[i, trailing] = unobserved_before[first][trailing]
    return lags, censored


def _percentiles(values: np.ndarray, alpha: float) -> tuple[float | None, float | None]:
    values = values[~np.isnan(values)]
    if not len(values):
        return None, None
    low, high = np.percentile(values, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def _lag_interval(
    lags: np.ndarray, censored: np.ndarray, alpha: float
) -> tuple[tuple[int | None, int | None], bool]:
    """Percentile interval of the replicate lags (whole months). A censored replicate lag is
    the largest lag that month can show, so the upper end is itself only a lower bound when
    at least alpha/2 of the replicates are censored."""
    defined = ~np.isnan(lags)
    if not defined.any():
        return (None, None), False
    values = lags[defined]
    low = int(np.quantile(values, alpha / 2, method="lower"))
    high = int(np.quantile(values, 1 - alpha / 2, method="higher"))
    return (low, high), bool(censored[defined].mean() >= alpha / 2)


def _leader(a: str, b: str, a_score: float, b_score: float) -> str:
    if np.isnan(a_score) and np.isnan(b_score):
        return ""
    if np.isnan(b_score) or a_score > b_score:
        return a
    if np.isnan(a_score) or b_score > a_score:
        return b
    return "tie"


def frontier_summary(frontier: Frontier, *, names: dict[str, str], month: str | None = None) -> str:
    """One plain sentence about ``month`` (default the last): 'In 2025-01 China's best,
    deepseek-r1, trailed the US's best by 24 points, a lag of 2 months.' ``names`` maps the
    two country codes to how a sentence names them ("the US", "China")."""
    rows = [r for r in frontier.months if month is None or r.month == month]
    if not rows:
        return "No months with data."
    row = rows[-1]
    a_name, b_name = names.get(frontier.a, frontier.a), names.get(frontier.b, frontier.b)
    if row.b_model is None and row.a_model is None:
        return f"In {row.month} neither {a_name} nor {b_name} had a listed model."
    if row.b_model is None:
        return f"In {row.month} {b_name} had no listed model; {a_name}'s best was {row.a_model}."
    if row.a_model is None:
        return f"In {row.month} {a_name} had no listed model; {b_name}'s best was {row.b_model}."
    points = abs(round(row.gap))
    if row.leader == "tie":
        return (
            f"In {row.month} {b_name}'s best, {row.b_model}, tied {a_name}'s best, {row.a_model}."
        )
    if row.leader == frontier.b:
        return (
            f"In {row.month} {b_name}'s best, {row.b_model}, led {a_name}'s best by "
            f"{points} point{'s' if points != 1 else ''}: no lag."
        )
    lag = f"{'at least ' if row.lag_censored else ''}{row.lag} month{'s' if row.lag != 1 else ''}"
    return (
        f"In {row.month} {b_name}'s best, {row.b_model}, trailed {a_name}'s best by "
        f"{points} point{'s' if points != 1 else ''}, a lag of {lag}."
    )


HISTORY_COLUMNS = ("month", "model", "country", "score")


def read_rating_history(lines: Iterable[str]) -> list[MonthRatings]:
    """A published rating history as CSV: ``month,model,country,score[,ci_low,ci_high]``,
    one row per model per month, ``month`` as YYYY-MM. Raises :class:`HistoryError` listing
    every bad line (line 1 is the header)."""
    reader = csv.DictReader(lines)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in HISTORY_COLUMNS if c not in header]
    if missing:
        raise HistoryError([f"line 1: missing column(s) {', '.join(missing)}"])
    reader.fieldnames = header
    with_ci = "ci_low" in header and "ci_high" in header
    errors: list[str] = []
    by_month: dict[str, dict[str, tuple[str, float, float, float]]] = {}
    for row in reader:
        line = reader.line_num
        parsed = _history_row(row, with_ci)
        if isinstance(parsed, str):
            errors.append(f"line {line}: {parsed}")
            continue
        month, model, country, values = parsed
        if model in by_month.setdefault(month, {}):
            errors.append(f"line {line}: {model} appears twice in {month}")
            continue
        by_month[month][model] = (country, *values)
    if not errors and not by_month:
        errors.append("no rows after the header")
    if errors:
        raise HistoryError(errors)
    return [_month_ratings(month, by_month[month]) for month in sorted(by_month)]


def _history_row(row: dict, with_ci: bool) -> tuple | str:
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
    if not with_ci:
        values += [np.nan, np.nan]
    score, low, high = values
    if not np.isnan(low) and not np.isnan(high) and not low <= score <= high:
        return f"expected ci_low <= score <= ci_high, got {low} <= {score} <= {high}"
    return month, model, country, values


def _month_ratings(month: str, rows: dict[str, tuple[str, float, float, float]]) -> MonthRatings:
    models = tuple(rows)
    return MonthRatings(
        month=month,
        models=models,
        countries=tuple(rows[m][0] for m in models),
        scores=np.array([rows[m][1] for m in models]),
        ci_low=np.array([rows[m][2] for m in models]),
        ci_high=np.array([rows[m][3] for m in models]),
    )
