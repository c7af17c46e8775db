"""The frontier between two countries from finished snapshots (reads only; a constant number
of queries, plus one file read per snapshot for its bootstrap replicates).

- as-of: one month-end snapshot per month, each on its own anchored scale;
- current: the latest current snapshot, each model counted from its release month.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import NamedTuple

import numpy as np
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from arena.countries import country_name
from pairwise.months import month_closed_by, month_ends, month_of, month_range
from ranking.aggregation import counted_votes
from ranking.models import ModelRating, RatingSnapshot
from ranking.selectors import leaderboard_latest, snapshots_done
from ranking.stats.frontier import (
    Frontier,
    FrontierMonth,
    MonthRatings,
    monthly_frontier,
    running_frontier,
)
from ranking.stats.sentences import frontier_summary
from ranking.storage import snapshot_data

MODES = ("asof", "current")
SENTENCE_NAMES = {"US": "the US", "GB": "the UK", "AE": "the UAE", "NL": "the Netherlands"}
COLUMNS = (
    "month",
    "a_country",
    "a_model",
    "a_score",
    "a_ci_low",
    "a_ci_high",
    "b_country",
    "b_model",
    "b_score",
    "b_ci_low",
    "b_ci_high",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "lag_months",
    "lag_censored",
    "lag_ci_low",
    "lag_ci_high",
    "lag_ci_high_censored",
    "leader",
    "scale",
    "snapshot_id",
)


@dataclass(frozen=True)
class FrontierReport:
    """What the page, the API, the CSV and the command show."""

    modality: str
    mode: str
    category: str
    language: str
    a: str
    b: str
    frontier: Frontier | None
    scales: list[str] = field(default_factory=list)  # per row: what fixed the level
    snapshot_ids: list[int] = field(default_factory=list)  # per row
    display_names: dict[str, str] = field(default_factory=dict)
    missing_months: list[str] = field(default_factory=list)
    hint: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.frontier is None or not self.frontier.months:
            return ""
        return frontier_summary(self.frontier, names=sentence_names(self.a, self.b))

    def rows(self) -> list[dict]:
        """One flat dict per month with the ``COLUMNS`` keys, rounded for display."""
        if self.frontier is None:
            return []
        return [
            frontier_row(row, a=self.a, b=self.b, scale=scale, snapshot_id=snapshot_id)
            for row, scale, snapshot_id in zip(
                self.frontier.months, self.scales, self.snapshot_ids, strict=True
            )
        ]


def sentence_names(*codes: str) -> dict[str, str]:
    return {code: SENTENCE_NAMES.get(code, country_name(code) or code) for code in codes}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def frontier_row(
    row: FrontierMonth, *, a: str, b: str, scale: str, snapshot_id: int | None
) -> dict:
    return {
        "month": row.month,
        "a_country": a,
        "a_model": row.a_model,
        "a_score": _round(row.a_score),
        "a_ci_low": _round(row.a_low),
        "a_ci_high": _round(row.a_high),
        "b_country": b,
        "b_model": row.b_model,
        "b_score": _round(row.b_score),
        "b_ci_low": _round(row.b_low),
        "b_ci_high": _round(row.b_high),
        "gap": _round(row.gap),
        "gap_ci_low": _round(row.gap_low),
        "gap_ci_high": _round(row.gap_high),
        "lag_months": row.lag,
        "lag_censored": row.lag_censored,
        "lag_ci_low": row.lag_low,
        "lag_ci_high": row.lag_high,
        "lag_ci_high_censored": row.lag_high_censored,
        "leader": row.leader,
        "scale": scale,
        "snapshot_id": snapshot_id,
    }


def frontier_monthly(
    *,
    modality: str,
    mode: str = "asof",
    category: str = "",
    language: str = "",
    a: str = "US",
    b: str = "CN",
    now: datetime | None = None,
) -> FrontierReport:
    """The frontier of a modality (and optionally a category and language) between countries
    ``a`` and ``b``. Never raises for missing data: the report says what to run instead."""
    scope = dict(modality=modality, category=category, language=language)
    if mode == "current":
        return _current(scope, a=a, b=b)
    return _asof(scope, a=a, b=b, now=now or timezone.now())


def _scale(snapshot: RatingSnapshot) -> str:
    """What fixed the snapshot's level: its anchor, if the fit applied it, else the mean."""
    if not snapshot.anchored:
        return "mean 1000"
    anchor = snapshot.params["anchor"]
    return f"{anchor['model']} = {anchor['score']:g}"


def _backfill_hint(modality: str, category: str, language: str) -> str:
    if category or language:
        return (
            "Month-end snapshots are made for the overall scope only "
            f"(python manage.py backfill_snapshots --modality {modality} --monthly); "
            "use mode=current for a category or language."
        )
    return (
        f"Create the missing month-end snapshots with "
        f"`python manage.py backfill_snapshots --modality {modality} --monthly`."
    )


class RatingRow(NamedTuple):
    """One model's row of a snapshot, as the frontier reads it (one query for many snapshots)."""

    snapshot_id: int
    column: int
    score: float
    ci_low: float
    ci_high: float
    model_key: str
    display_name: str
    country: str
    release_date: date | None
    model_id: int


_RATING_ROW_FIELDS = (
    "snapshot_id",
    "column",
    "score",
    "ci_low",
    "ci_high",
    "model__key",
    "model__display_name",
    "model__lab__country",
    "model__release_date",
    "model_id",
)


def _rating_rows(snapshot_ids: list[int]) -> list[RatingRow]:
    """The rows of the snapshots, by snapshot and then column."""
    values = (
        ModelRating.objects.filter(snapshot_id__in=snapshot_ids)
        .order_by("snapshot_id", "column")
        .values_list(*_RATING_ROW_FIELDS)
    )
    return [RatingRow._make(row) for row in values]


def _month_end_snapshots(scope: dict) -> dict[str, RatingSnapshot]:
    """The newest finished month-end snapshot of each month, by month, months in order."""
    snapshots: dict[str, RatingSnapshot] = {}
    for snapshot in snapshots_done(**scope, kind=RatingSnapshot.Kind.MONTH_END):
        snapshots.setdefault(month_closed_by(snapshot.cutoff), snapshot)  # newest first: keep it
    return dict(sorted(snapshots.items()))


def _months_with_votes(scope: dict, now: datetime) -> list[str]:
    """Every month that has ended by ``now``, from the scope's first counted vote to its last."""
    span = _scope_votes(scope, cutoff=now).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    if not span["first"]:
        return []
    return [month_closed_by(end) for end in month_ends(span["first"], span["last"], now=now)]


def _asof(scope: dict, *, a: str, b: str, now: datetime) -> FrontierReport:
    snapshots = _month_end_snapshots(scope)
    by_snapshot: dict[int, list[RatingRow]] = {}
    for row in _rating_rows([s.pk for s in snapshots.values()]):
        by_snapshot.setdefault(row.snapshot_id, []).append(row)
    missing = [m for m in _months_with_votes(scope, now) if m not in snapshots]
    series, names, notes = [], {}, []
    for month, snapshot in snapshots.items():
        rows = by_snapshot.get(snapshot.pk, [])
        series.append(_month_ratings_of_snapshot(month, rows, _replicates(snapshot, notes)))
        names.update({row.model_key: row.display_name for row in rows})
    scales = [_scale(snapshot) for snapshot in snapshots.values()]
    if len(set(scales)) > 1:
        notes.append(
            "Not every month is on the same scale: months marked 'mean 1000' were fitted "
            "before the anchor model had votes, so their level floats with the field. Gaps "
            "within a month are unaffected; lags that compare those months with anchored "
            "ones are approximate."
        )
    return FrontierReport(
        **scope,
        mode="asof",
        a=a,
        b=b,
        frontier=monthly_frontier(series, a=a, b=b) if series else None,
        scales=scales,
        snapshot_ids=[snapshot.pk for snapshot in snapshots.values()],
        display_names=names,
        missing_months=missing,
        hint=_backfill_hint(**scope) if missing or not series else "",
        notes=notes,
    )


def _replicates(snapshot: RatingSnapshot, notes: list[str]) -> np.ndarray:
    """The snapshot's (R, K) bootstrap replicates; empty, with a note, if its file is gone
    (then the intervals are the top models' own and the gap has none)."""
    try:
        return snapshot_data(snapshot)["replicates"]
    except (OSError, ValueError, KeyError) as error:
        notes.append(
            f"Snapshot {snapshot.pk}'s replicates cannot be read ({error}): no gap interval."
        )
        return np.zeros((0, snapshot.n_models), dtype=np.float32)


def _month_ratings_of_snapshot(
    month: str, rows: list[RatingRow], replicates: np.ndarray
) -> MonthRatings:
    """One month-end snapshot's rows and replicates as the frontier's month."""
    return MonthRatings(
        month=month,
        models=tuple(row.model_key for row in rows),
        countries=tuple(row.country for row in rows),
        scores=np.array([row.score for row in rows], dtype=np.float64),
        ci_low=np.array([row.ci_low for row in rows], dtype=np.float64),
        ci_high=np.array([row.ci_high for row in rows], dtype=np.float64),
        replicates=_columns(replicates, rows),
    )


def _columns(replicates: np.ndarray, rows: list[RatingRow]) -> np.ndarray | None:
    """The rows' columns of a snapshot's (R, K) replicates; ``None`` when it has none."""
    return replicates[:, [row.column for row in rows]] if replicates.size else None


def _scope_votes(scope: dict, *, cutoff: datetime) -> QuerySet:
    """The counted votes of a scope cast before ``cutoff``."""
    return counted_votes(**scope, cutoff=cutoff)


def _first_votes(scope: dict, model_ids: list[int], cutoff: datetime) -> dict[int, datetime]:
    """When each model first appeared in a counted vote of the scope (two GROUP BYs)."""
    votes = _scope_votes(scope, cutoff=cutoff)
    first: dict[int, datetime] = {}
    for side in ("model_a_id", "model_b_id"):
        rows = (
            votes.filter(**{f"{side}__in": model_ids})
            .values_list(side)
            .annotate(at=Min("created_at"))
            .order_by()
        )
        for model_id, at in rows:
            first[model_id] = min(at, first.get(model_id, at))
    return first


def _current(scope: dict, *, a: str, b: str) -> FrontierReport:
    snapshot = leaderboard_latest(**scope)
    empty = FrontierReport(**scope, mode="current", a=a, b=b, frontier=None)
    if snapshot is None:
        return replace(
            empty,
            hint=(
                f"No current {scope['modality']} snapshot for this scope yet: workers make one "
                f"every few minutes once votes arrive (or run `python manage.py fit_ratings "
                f"--modality {scope['modality']}`)."
            ),
        )
    rows = _rating_rows([snapshot.pk])
    if not rows:
        return empty
    entry, undated = _entry_months(scope, rows, snapshot)
    months = month_range(min(entry), max(max(entry), _last_month(scope, snapshot)))
    notes = []
    frontier = running_frontier(
        months,
        models=[row.model_key for row in rows],
        countries=[row.country for row in rows],
        entry=entry,
        scores=np.array([row.score for row in rows], dtype=np.float64),
        replicates=_columns(_replicates(snapshot, notes), rows),
        a=a,
        b=b,
    )
    if undated:
        notes.append(
            f"{undated} model(s) have no release date: they count from the month of "
            "their first vote in this scope."
        )
    return FrontierReport(
        **scope,
        mode="current",
        a=a,
        b=b,
        frontier=frontier,
        scales=[_scale(snapshot)] * len(months),
        snapshot_ids=[snapshot.pk] * len(months),
        display_names={row.model_key: row.display_name for row in rows},
        notes=notes,
    )


def _entry_months(
    scope: dict, rows: list[RatingRow], snapshot: RatingSnapshot
) -> tuple[list[str], int]:
    """The month each model enters the running best: its release month, or for a model
    without a release date the month of its first counted vote in the scope. Also how many
    models had no release date."""
    undated = [row.model_id for row in rows if row.release_date is None]
    first = _first_votes(scope, undated, snapshot.cutoff) if undated else {}
    entry = [month_of(row.release_date or first.get(row.model_id, snapshot.cutoff)) for row in rows]
    return entry, len(undated)


def _last_month(scope: dict, snapshot: RatingSnapshot) -> str:
    """The month of the snapshot's last counted vote (not the cutoff, which is "now"): after
    it nothing was measured, and flat months would only make the lag grow."""
    last_vote = (
        _scope_votes(scope, cutoff=snapshot.cutoff)
        .filter(id__lte=snapshot.max_vote_id)
        .aggregate(at=Max("created_at"))["at"]
    )
    return month_of(last_vote) if last_vote else month_closed_by(snapshot.cutoff)


def frontier_json(report: FrontierReport) -> dict:
    """The API's and the command's JSON body."""
    return {
        "modality": report.modality,
        "mode": report.mode,
        "category": report.category,
        "language": report.language,
        "a": report.a,
        "b": report.b,
        "level": report.frontier.level if report.frontier else 0.95,
        "summary": report.summary,
        "missing_months": report.missing_months,
        "hint": report.hint,
        "notes": report.notes,
        "rows": report.rows(),
    }
