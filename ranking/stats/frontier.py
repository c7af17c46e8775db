"""The frontier between two groups of models: month by month, each group's best model, the gap
between them and how many months the trailing group lags. Pure over plain arrays.

A group (:class:`Group`) is a country, a set of countries, a licence class (open weights or
proprietary, worldwide) or both: "the US", "the US and the UK", "open weights", "China's
open-weights models". A model whose openness is unknown is in no licence group.

Definitions (``docs/frontier.md``): for groups ``a`` (default US) and ``b`` (default CN),

- ``top_a(m)``, ``top_b(m)``: the highest score among the month's listed models of that group
  that have at least ``min_votes`` votes (fewer: provisional, reported apart, never the top);
- ``gap(m) = top_a(m) - top_b(m)`` in rating points;
- ``lag(m) = m - m*`` in calendar months, where ``m*`` is the earliest month ``<= m`` with
  ``top_a(m*) >= top_b(m)``; 0 when ``top_b(m) >= top_a(m)`` (``b`` leads or ties). Months
  known to have no data at all (``empty``: no counted votes) are not steps of the lag. The lag
  is censored (a lower bound) when no data precede ``m*``: it is the first month, or the month
  before it (empty months skipped) is missing from the series.

Intervals come from bootstrap replicates: in each replicate the best of each group, then the
difference, then percentiles. The lag interval needs replicates that are the same draw in every
month (one fit scored over time: ``joint=True``); month-end fits are separate draws, put on one
scale by :func:`ranking.stats.linking.link_months`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from pairwise.months import month_ordinal
from pairwise.openness import LICENCE_CLASSES, UNKNOWN


@dataclass(frozen=True)
class Group:
    """A frontier side: the models of ``countries`` (ISO codes; empty: every country, blank
    ones included) whose openness is ``weights`` (``"open"``, ``"proprietary"``; ``None``:
    any, unknown included). ``code`` is its canonical spelling: ``US``, ``US,GB``, ``open``,
    ``CN:open``."""

    countries: tuple[str, ...] = ()
    weights: str | None = None

    def __post_init__(self) -> None:
        if self.weights is not None and self.weights not in LICENCE_CLASSES:
            raise ValueError(f"weights {self.weights!r} is not one of {LICENCE_CLASSES}")
        if not self.countries and self.weights is None:
            raise ValueError("a group needs a country or a licence class")

    @property
    def code(self) -> str:
        countries = ",".join(self.countries)
        if self.weights is None:
            return countries
        return f"{countries}:{self.weights}" if countries else self.weights

    def includes_country(self, country: str) -> bool:
        return not self.countries or country in self.countries

    def contains(self, country: str, weights: str) -> bool:
        """Whether a model of this country and openness belongs to the group."""
        return self.includes_country(country) and (self.weights is None or weights == self.weights)

    def leaves_out(self, country: str, weights: str) -> bool:
        """Whether a model would belong but for its unknown openness."""
        return self.weights is not None and self.includes_country(country) and weights == UNKNOWN

    def same_models(self, other: Group) -> bool:
        return set(self.countries) == set(other.countries) and self.weights == other.weights


def as_group(side: Group | str) -> Group:
    """A group as given, or a country code as the group of that one country (a spec such
    as ``CN:open`` is read by ``ranking.frontier_groups.parse_group``, not here)."""
    if isinstance(side, Group):
        return side
    if not side or set(side) & {":", ","}:
        raise ValueError(f"{side!r} is not a country code; pass a Group")
    return Group(countries=(side,))


@dataclass(frozen=True)
class MonthRatings:
    """One month's listed models. ``scores``, ``ci_low``, ``ci_high``: (n,); ``replicates``:
    (R, n) bootstrap scores on the same scale, NaN where a replicate has no value; ``votes``:
    (n,) each model's counted votes (``None``: unknown, every model counts); ``weights``:
    each model's openness (``pairwise.openness``; ``None``: every one unknown)."""

    month: str
    models: tuple[str, ...]
    countries: tuple[str, ...]
    scores: np.ndarray
    ci_low: np.ndarray | None = None
    ci_high: np.ndarray | None = None
    replicates: np.ndarray | None = None
    votes: np.ndarray | None = None
    weights: tuple[str, ...] | None = None

    def weights_of(self, k: int) -> str:
        return UNKNOWN if self.weights is None else self.weights[k]

    def in_group(self, k: int, group: Group) -> bool:
        return group.contains(self.countries[k], self.weights_of(k))


@dataclass(frozen=True)
class FrontierMonth:
    """One row. ``a_*`` and ``b_*`` are the two groups' best models with enough votes; any
    of them is ``None`` when the group has none that month (then so are gap and lag).
    ``a_provisional``/``b_provisional``: the group's best model with too few votes, when it
    scores above the counted best (or the group has no counted model), else ``None``.
    ``a_unknown_weights``/``b_unknown_weights``: the models with enough votes left out of a
    licence group because their openness is unknown."""

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
    leader: str  # a's or b's group code, "tie", or "" when neither has a model
    a_provisional: str | None = None
    a_provisional_score: float | None = None
    b_provisional: str | None = None
    b_provisional_score: float | None = None
    a_unknown_weights: tuple[str, ...] = ()
    b_unknown_weights: tuple[str, ...] = ()
    a_country: str | None = None  # the best model's country and openness
    a_weights: str | None = None
    b_country: str | None = None
    b_weights: str | None = None

    @property
    def tied(self) -> bool:
        """Statistically tied: the gap's interval contains 0 (False without an interval)."""
        if self.gap_low is None or self.gap_high is None:
            return False
        return self.gap_low <= 0.0 <= self.gap_high


@dataclass(frozen=True)
class Frontier:
    a: Group
    b: Group
    level: float
    months: tuple[FrontierMonth, ...]
    min_votes: float = 0.0


def monthly_frontier(
    months: Sequence[MonthRatings],
    *,
    a: Group | str = "US",
    b: Group | str = "CN",
    level: float = 0.95,
    joint: bool = False,
    min_votes: float = 0.0,
    empty: Collection[str] = (),
) -> Frontier:
    """The frontier rows of ``months`` (strictly increasing, gaps allowed) between groups
    ``a`` and ``b`` (a country code stands for that country's group; the two must not be
    the same models, but may overlap).

    Only models with at least ``min_votes`` votes can be a group's best; a better-scored
    model with fewer is reported as the month's provisional one. ``empty``: months known to
    have no data (no counted votes): not in ``months``, they do not count as lag time and
    do not censor it, whereas any other month absent from ``months`` does.

    Top intervals are percentiles of each replicate's group best when ``replicates`` are
    given, else the best model's own ``ci_low``/``ci_high``; the gap interval needs
    replicates. With ``joint`` (every month's replicate r comes from the same bootstrap draw,
    as in one fit scored over time) the lag is also computed per replicate and its percentile
    interval reported; censored replicate lags count at their lower bound.
    """
    ordinals = _data_ordinals(months, empty)
    a, b = as_group(a), as_group(b)
    if a.same_models(b):
        raise ValueError("compare two different groups")
    alpha = 1.0 - level
    best_a = _group_bests(months, a, alpha, min_votes)
    best_b = _group_bests(months, b, alpha, min_votes)
    lags, censored = _lags(ordinals, _best_scores(best_a), _best_scores(best_b))
    lag_intervals = _lag_intervals(ordinals, best_a, best_b, alpha) if joint else None
    rows = tuple(
        replace(
            _frontier_month(
                month.month,
                best_a[i],
                best_b[i],
                lag=lags[i, 0],
                censored=bool(censored[i, 0]),
                lag_interval=lag_intervals[i] if lag_intervals else _NO_LAG_INTERVAL,
                codes=(a.code, b.code),
                alpha=alpha,
            ),
            **_provisional(month, a, best_a[i], min_votes, prefix="a"),
            **_provisional(month, b, best_b[i], min_votes, prefix="b"),
            a_unknown_weights=_unknown_weights(month, a, min_votes),
            b_unknown_weights=_unknown_weights(month, b, min_votes),
        )
        for i, month in enumerate(months)
    )
    return Frontier(a=a, b=b, level=level, months=rows, min_votes=min_votes)


def running_frontier(
    months: Sequence[str],
    *,
    models: Sequence[str],
    countries: Sequence[str],
    entry: Sequence[str],
    scores: np.ndarray,
    replicates: np.ndarray | None = None,
    votes: np.ndarray | None = None,
    weights: Sequence[str] | None = None,
    a: Group | str = "US",
    b: Group | str = "CN",
    level: float = 0.95,
    min_votes: float = 0.0,
    empty: Collection[str] = (),
) -> Frontier:
    """One fit scored over time: model k counts from month ``entry[k]`` on (its release),
    so each group's top is a running best on one scale. ``scores``, ``votes``, ``weights``: (K,);
    ``replicates``: (R, K) from the same fit, which makes the lag interval possible.
    ``min_votes`` and ``empty`` as in :func:`monthly_frontier`."""
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
                votes=None if votes is None else np.asarray(votes)[listed],
                weights=None if weights is None else tuple(weights[k] for k in listed),
            )
        )
    return monthly_frontier(
        series,
        a=a,
        b=b,
        level=level,
        joint=replicates is not None,
        min_votes=min_votes,
        empty=empty,
    )


def has_enough_votes(month: MonthRatings, k: int, min_votes: float) -> bool:
    """Whether model k has enough votes to count; unknown votes (None, NaN) count."""
    return month.votes is None or not float(month.votes[k]) < min_votes


@dataclass(frozen=True, eq=False)
class _Best:
    """A group's best listed model in one month (``model`` None, ``score`` NaN: it has
    none), its interval, and ``replicates`` (R,): the group's best score in each bootstrap
    replicate (NaN where it has none), when the month has replicates."""

    model: str | None
    score: float
    low: float | None = None
    high: float | None = None
    replicates: np.ndarray | None = None
    country: str | None = None
    weights: str | None = None


_NO_LAG_INTERVAL: tuple[tuple[int | None, int | None], bool] = ((None, None), False)


def _data_ordinals(months: Sequence[MonthRatings], empty: Collection[str]) -> np.ndarray:
    """Month ordinals with the empty months taken out, so consecutive months with data
    differ by one even across months without any."""
    ordinals = np.array([month_ordinal(m.month) for m in months], dtype=np.int64)
    if len(ordinals) > 1 and np.any(np.diff(ordinals) <= 0):
        raise ValueError("months must be strictly increasing")
    skipped = np.array(sorted(month_ordinal(m) for m in set(empty)), dtype=np.int64)
    if np.isin(ordinals, skipped).any():
        raise ValueError("a month cannot both have data and be empty")
    return ordinals - np.searchsorted(skipped, ordinals)


def _eligible(month: MonthRatings, group: Group, min_votes: float) -> list[int]:
    """Indices of the group's models with enough votes."""
    return [
        k
        for k in range(len(month.models))
        if month.in_group(k, group) and has_enough_votes(month, k, min_votes)
    ]


def _unknown_weights(month: MonthRatings, group: Group, min_votes: float) -> tuple[str, ...]:
    """The models with enough votes that a licence group leaves out for unknown openness."""
    return tuple(
        month.models[k]
        for k in range(len(month.models))
        if group.leaves_out(month.countries[k], month.weights_of(k))
        and has_enough_votes(month, k, min_votes)
    )


def _group_bests(
    months: Sequence[MonthRatings], group: Group, alpha: float, min_votes: float
) -> list[_Best]:
    """The group's best of each month; with replicates in every month, each best also
    carries its replicate bests, and its interval is their percentile interval."""
    eligible = [_eligible(month, group, min_votes) for month in months]
    bests = [_best(month, mine) for month, mine in zip(months, eligible, strict=True)]
    if not months or any(month.replicates is None for month in months):
        return bests
    with_replicates = []
    for month, mine, best in zip(months, eligible, bests, strict=True):
        replicates = _replicate_best(month, mine)
        low, high = _percentiles(replicates, alpha) if best.model else (None, None)
        with_replicates.append(replace(best, low=low, high=high, replicates=replicates))
    return with_replicates


def _best_scores(bests: list[_Best]) -> np.ndarray:
    """(M, 1) the best scores, NaN where the group has no model: one "replicate"."""
    return np.array([best.score for best in bests], dtype=np.float64)[:, None]


def _best(month: MonthRatings, mine: list[int]) -> _Best:
    """The best of the models ``mine`` with its own interval; ties go to the first listed."""
    scores = np.asarray(month.scores, dtype=np.float64)
    mine = [k for k in mine if not np.isnan(scores[k])]
    if not mine:
        return _Best(None, np.nan)
    k = mine[int(np.argmax(scores[mine]))]
    best = _Best(
        month.models[k], float(scores[k]), country=month.countries[k], weights=month.weights_of(k)
    )
    if month.ci_low is None or month.ci_high is None:
        return best
    low, high = float(month.ci_low[k]), float(month.ci_high[k])
    return replace(best, low=None if np.isnan(low) else low, high=None if np.isnan(high) else high)


def _replicate_best(month: MonthRatings, mine: list[int]) -> np.ndarray:
    """(R,) the best score of the models ``mine`` in each replicate; NaN where none has one."""
    replicates = np.asarray(month.replicates, dtype=np.float64)
    if not mine:
        return np.full(len(replicates), np.nan)
    chosen = replicates[:, mine]
    best = np.full(len(replicates), np.nan)
    valid = ~np.all(np.isnan(chosen), axis=1)
    best[valid] = np.nanmax(chosen[valid], axis=1)
    return best


def _provisional(
    month: MonthRatings, group: Group, counted: _Best, min_votes: float, *, prefix: str
) -> dict[str, str | float | None]:
    """The group's best model with fewer than ``min_votes`` votes, when it scores above the
    counted best (or there is none): ``{prefix}_provisional`` and its score, else Nones."""
    fields: dict[str, str | float | None] = {
        f"{prefix}_provisional": None,
        f"{prefix}_provisional_score": None,
    }
    if month.votes is None:
        return fields
    scores = np.asarray(month.scores, dtype=np.float64)
    few = [
        k
        for k in range(len(month.models))
        if month.in_group(k, group)
        and not has_enough_votes(month, k, min_votes)
        and not np.isnan(scores[k])
    ]
    if not few:
        return fields
    k = few[int(np.argmax(scores[few]))]
    if counted.model is None or scores[k] > counted.score:
        fields |= {
            f"{prefix}_provisional": month.models[k],
            f"{prefix}_provisional_score": float(scores[k]),
        }
    return fields


def _frontier_month(
    month: str,
    best_a: _Best,
    best_b: _Best,
    *,
    lag: float,
    censored: bool,
    lag_interval: tuple[tuple[int | None, int | None], bool],
    codes: tuple[str, str],
    alpha: float,
) -> FrontierMonth:
    both = best_a.model is not None and best_b.model is not None
    gap_low = gap_high = None
    if both and best_a.replicates is not None:
        gap_low, gap_high = _percentiles(best_a.replicates - best_b.replicates, alpha)
    (lag_low, lag_high), lag_high_censored = lag_interval
    return FrontierMonth(
        month=month,
        a_model=best_a.model,
        a_country=best_a.country,
        a_weights=best_a.weights,
        a_score=None if best_a.model is None else best_a.score,
        a_low=best_a.low,
        a_high=best_a.high,
        b_model=best_b.model,
        b_country=best_b.country,
        b_weights=best_b.weights,
        b_score=None if best_b.model is None else best_b.score,
        b_low=best_b.low,
        b_high=best_b.high,
        gap=best_a.score - best_b.score if both else None,
        gap_low=gap_low,
        gap_high=gap_high,
        lag=None if np.isnan(lag) else int(lag),
        lag_censored=censored,
        lag_low=lag_low,
        lag_high=lag_high,
        lag_high_censored=lag_high_censored,
        leader=_leader(*codes, best_a.score, best_b.score),
    )


def _lag_intervals(
    ordinals: np.ndarray, best_a: list[_Best], best_b: list[_Best], alpha: float
) -> list[tuple[tuple[int | None, int | None], bool]] | None:
    """Per month, the percentile interval of the replicate lags and whether its upper end is
    censored; ``None`` unless every month has replicates of one common draw (same R)."""
    replicates_a = [best.replicates for best in best_a]
    if not replicates_a or replicates_a[0] is None or len({len(r) for r in replicates_a}) != 1:
        return None
    replicates_b = np.stack([best.replicates for best in best_b])
    lags, censored = _lags(ordinals, np.stack(replicates_a), replicates_b)
    return [
        _NO_LAG_INTERVAL if best.model is None else _lag_interval(lags[i], censored[i], alpha)
        for i, best in enumerate(best_b)
    ]


def _lags(ordinals: np.ndarray, top_a: np.ndarray, top_b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Lag and censoring for each month and replicate. ``top_a``, ``top_b``: (M, R) with NaN
    where a group has no model. Returns lags (M, R) as float (NaN: undefined) and
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
