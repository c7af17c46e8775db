"""The frontier between two countries from finished snapshots (reads only; a constant number
of queries, plus one file read per snapshot for its bootstrap replicates).

- as-of: one month-end snapshot per month, each on its own anchored scale;
- current: the latest current snapshot, each model counted from its release month.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from arena.countries import country_name
from pairwise.months import month_closed_by, month_ends, month_range
from ranking.aggregation import counted_votes
from ranking.models import ModelRating, RatingSnapshot
from ranking.selectors import leaderboard_latest, snapshots_done
from ranking.stats import Frontier, MonthRatings, frontier_summary, monthly_frontier
from ranking.stats.frontier import running_frontier
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


def frontier_row(row, *, a: str, b: str, scale: str, snapshot_id: int | None) -> dict:  # noqa: ANN001
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
    anchor = snapshot.params.get("anchor")
    anchored = anchor and not any(w.startswith("anchor ") for w in snapshot.warnings)
    return f"{anchor['model']} = {anchor['score']:g}" if anchored else "mean 1000"


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


def _ratings(snapshot_ids: list[int]) -> list[tuple]:
    return list(
        ModelRating.objects.filter(snapshot_id__in=snapshot_ids)
        .order_by("snapshot_id", "column")
        .values_list(
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
    )


def _asof(scope: dict, *, a: str, b: str, now: datetime) -> FrontierReport:
    snapshots: dict[str, RatingSnapshot] = {}
    for snapshot in snapshots_done(**scope, kind=RatingSnapshot.Kind.MONTH_END):
        snapshots.setdefault(month_closed_by(snapshot.cutoff), snapshot)  # newest first: keep it
    months = sorted(snapshots)
    by_snapshot: dict[int, list[tuple]] = {}
    for rating in _ratings([s.pk for s in snapshots.values()]):
        by_snapshot.setdefault(rating[0], []).append(rating)
    span = _scope_votes(scope, cutoff=now).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    expected = (
        [month_closed_by(end) for end in month_ends(span["first"], span["last"], now=now)]
        if span["first"]
        else []
    )
    missing = [m for m in expected if m not in snapshots]
    series, names, notes = [], {}, []
    for month in months:
        rows = by_snapshot.get(snapshots[month].pk, [])
        series.append(_month_ratings(month, rows, _replicates(snapshots[month], notes)))
        names.update({r[5]: r[6] for r in rows})
    scales = [_scale(snapshots[m]) for m in months]
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
        snapshot_ids=[snapshots[m].pk for m in months],
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


def _month_ratings(month: str, rows: list[tuple], replicates: np.ndarray) -> MonthRatings:
    columns = [r[1] for r in rows]
    return MonthRatings(
        month=month,
        models=tuple(r[5] for r in rows),
        countries=tuple(r[7] for r in rows),
        scores=np.array([r[2] for r in rows], dtype=np.float64),
        ci_low=np.array([r[3] for r in rows], dtype=np.float64),
        ci_high=np.array([r[4] for r in rows], dtype=np.float64),
        replicates=replicates[:, columns] if replicates.size else None,
    )


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
    rows = _ratings([snapshot.pk])
    if not rows:
        return empty
    undated = [r[9] for r in rows if r[8] is None]
    first = _first_votes(scope, undated, snapshot.cutoff) if undated else {}
    entry = [
        f"{r[8]:%Y-%m}" if r[8] is not None else f"{first.get(r[9], snapshot.cutoff):%Y-%m}"
        for r in rows
    ]
    # Up to the last counted vote (not the cutoff, which is "now"): after it nothing was
    # measured, and flat months would only make the lag grow.
    last_vote = (
        _scope_votes(scope, cutoff=snapshot.cutoff)
        .filter(id__lte=snapshot.max_vote_id)
        .aggregate(at=Max("created_at"))["at"]
    )
    last = f"{last_vote:%Y-%m}" if last_vote else month_closed_by(snapshot.cutoff)
    months = month_range(min(entry), max(max(entry), last))
    notes = []
    replicates = _replicates(snapshot, notes)
    frontier = running_frontier(
        months,
        models=[r[5] for r in rows],
        countries=[r[7] for r in rows],
        entry=entry,
        scores=np.array([r[2] for r in rows], dtype=np.float64),
        replicates=replicates[:, [r[1] for r in rows]] if replicates.size else None,
        a=a,
        b=b,
    )
    if undated:
        notes.append(
            f"{len(undated)} model(s) have no release date: they count from the month of "
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
        display_names={r[5]: r[6] for r in rows},
        notes=notes,
    )


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
