"""The frontier between two groups of models (countries, licence classes, both) from finished
snapshots (reads only; a constant number
of queries, plus one file read per snapshot for its bootstrap replicates).

- as-of: one month-end snapshot per month with counted votes, linked onto the last month's
  scale;
- current: the latest current snapshot, each model counted from its release month.

In both, a month without counted votes is a gap (not a step of the lag) and the series ends
at the last month with counted votes; only models with ``RANKING_FRONTIER_MIN_VOTES`` votes
can be a group's best. A model's openness is its catalogue value today
(``AIModel.weights``), in both modes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.db.models import Min, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from arena.models import AIModel
from pairwise.months import month_closed_by, month_end, month_of, month_range
from ranking.aggregation import counted_votes
from ranking.frontier_groups import COMPARISONS, Comparison, parse_group, parse_pair
from ranking.frontier_rows import FrontierReport, MonthSource
from ranking.models import ModelRating, RatingSnapshot
from ranking.selectors import leaderboard_latest, snapshots_done, snapshots_under_way
from ranking.stats.frontier import (
    Frontier,
    Group,
    MonthRatings,
    monthly_frontier,
    running_frontier,
)
from ranking.stats.linking import MonthLink, link_months
from ranking.stats.sentences import ROUNDINGS
from ranking.storage import snapshot_data

MODES = ("asof", "current")  # as of each month-end; one current fit


def frontier_monthly(
    *,
    modality: str,
    mode: str = "asof",
    category: str = "",
    language: str = "",
    a: Group | str = "US",
    b: Group | str = "CN",
    now: datetime | None = None,
    min_votes: float | None = None,
    rounding: str = "nearest",
) -> FrontierReport:
    """The frontier of a modality (and optionally a category and language) between groups
    ``a`` and ``b`` (or their specs: ``US``, ``CN:open``...). Never raises for
    missing data: the report's hint says, in plain words, what is coming. ``min_votes`` defaults to
    ``RANKING_FRONTIER_MIN_VOTES``; ``rounding`` is one of ``ROUNDINGS`` and applies to the
    shown scores, bounds and gaps."""
    (report,) = frontier_comparisons(
        modality=modality,
        mode=mode,
        category=category,
        language=language,
        pairs=[(a, b)],
        now=now,
        min_votes=min_votes,
        rounding=rounding,
    )
    return report


def _group(side: Group | str) -> Group:
    """A group as given, or as a spec names it (``US``, ``CN:open``...)."""
    return side if isinstance(side, Group) else parse_group(side)


def frontier_summaries(**params: object) -> list[tuple[Comparison, FrontierReport]]:
    """Every named comparison (``COMPARISONS``) with its report, from one read of the
    snapshots; ``params`` as :func:`frontier_comparisons` takes them, without ``pairs``."""
    pairs = [parse_pair(comparison.a, comparison.b) for comparison in COMPARISONS]
    reports = frontier_comparisons(**params, pairs=pairs)
    return list(zip(COMPARISONS, reports, strict=True))


def frontier_comparisons(
    *,
    modality: str,
    pairs: Sequence[tuple[Group | str, Group | str]],
    mode: str = "asof",
    category: str = "",
    language: str = "",
    now: datetime | None = None,
    min_votes: float | None = None,
    rounding: str = "nearest",
) -> list[FrontierReport]:
    """One report per pair of groups, as :func:`frontier_monthly` gives it, from one read of
    the snapshots (the summary page compares several pairs)."""
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding {rounding!r} is not one of {ROUNDINGS}")
    scope = dict(modality=modality, category=category, language=language)
    options = dict(
        pairs=[(_group(a), _group(b)) for a, b in pairs],
        min_votes=settings.RANKING_FRONTIER_MIN_VOTES if min_votes is None else min_votes,
    )
    if mode == "current":
        reports = _current(scope, **options)
    else:
        reports = _asof(scope, now=now or timezone.now(), **options)
    return [replace(report, rounding=rounding) for report in reports]


def _scale(snapshot: RatingSnapshot) -> str:
    """What fixed the snapshot's level: its anchor, if the fit applied it, else the mean."""
    if not snapshot.anchored:
        return "mean 1000"
    anchor = snapshot.params["anchor"]
    return f"{anchor['model']} = {anchor['score']:g}"


def _history_hint(scope: dict, missing: list[str]) -> str:
    """What a reader is told when month-end snapshots are missing, in plain words."""
    if snapshots_under_way(**scope, kind=RatingSnapshot.Kind.MONTH_END):
        return (
            "The month-end snapshots of this history are being computed; this page shows "
            "them as they are made."
        )
    months = f" ({len(missing)} month{'s' if len(missing) != 1 else ''})" if missing else ""
    return (
        f"Some month-end snapshots have not been made yet{months}. They are made for each "
        "modality, and for each category and language with at least "
        f"{settings.RANKING_MIN_SCOPE_VOTES} counted votes, when the workers start and after "
        "each import. The current-ratings mode does not need them."
    )


class RatingRow(NamedTuple):
    """One model's row of a snapshot, as the frontier reads it (one query for many snapshots)."""

    snapshot_id: int
    column: int
    score: float
    ci_low: float
    ci_high: float
    votes: float
    model_key: str
    display_name: str
    country: str
    release_date: date | None
    release_date_source: str
    model_id: int
    weights: str


_RATING_ROW_FIELDS = (
    "snapshot_id",
    "column",
    "score",
    "ci_low",
    "ci_high",
    "votes",
    "model__key",
    "model__display_name",
    "model__lab__country",
    "model__release_date",
    "model__release_date_source",
    "model_id",
    "model__weights",
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


def _month_votes(scope: dict, *, cutoff: datetime, max_vote_id: int | None = None) -> dict:
    """The counted votes cast in each month of the scope that has any, months in order (one
    GROUP BY)."""
    votes = counted_votes(**scope, cutoff=cutoff)
    if max_vote_id is not None:
        votes = votes.filter(id__lte=max_vote_id)
    by_month = (
        votes.annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Sum("count"))
        .order_by("month")
    )
    return {month_of(month): int(n) for month, n in by_month}


def _asof(
    scope: dict, *, pairs: list[tuple[Group, Group]], now: datetime, min_votes: float
) -> list[FrontierReport]:
    snapshots = _month_end_snapshots(scope)
    month_votes = {
        month: n for month, n in _month_votes(scope, cutoff=now).items() if month_end(month) <= now
    }
    # A month without votes has the same month-end board as the month before: a gap.
    used = {month: s for month, s in snapshots.items() if month in month_votes}
    by_snapshot: dict[int, list[RatingRow]] = {}
    for row in _rating_rows([s.pk for s in used.values()]):
        by_snapshot.setdefault(row.snapshot_id, []).append(row)
    series, names, notes = [], {}, []
    for month, snapshot in used.items():
        rows = by_snapshot.get(snapshot.pk, [])
        series.append(_month_ratings_of_snapshot(month, rows, _replicates(snapshot, notes)))
        names.update({row.model_key: row.display_name for row in rows})
    linked, links = link_months(series, min_votes=min_votes)
    sources = [
        MonthSource(
            scale=_scale(snapshot),
            snapshot_id=snapshot.pk,
            shift=link.shift,
            link_models=link.common,
            link_rms=link.rms,
        )
        for snapshot, link in zip(used.values(), links, strict=True)
    ]
    if series:
        notes.append(_link_note(series[-1].month, sources[-1].scale, links))
    missing = [m for m in month_votes if m not in snapshots]
    return [
        FrontierReport(
            **scope,
            mode="asof",
            a=a,
            b=b,
            frontier=_series_frontier(linked, month_votes, a=a, b=b, min_votes=min_votes),
            sources=sources,
            display_names=names,
            month_votes=month_votes,
            missing_months=missing,
            hint=_history_hint(scope, missing) if missing or not series else "",
            notes=notes,
        )
        for a, b in pairs
    ]


def _series_frontier(
    series: list[MonthRatings], month_votes: dict, *, a: Group, b: Group, min_votes: float
) -> Frontier | None:
    """The frontier of the series; the months of its span without votes are empty."""
    if not series:
        return None
    span = month_range(series[0].month, series[-1].month)
    return monthly_frontier(
        series,
        a=a,
        b=b,
        min_votes=min_votes,
        empty=[m for m in span if m not in month_votes],
    )


def _link_note(reference: str, scale: str, links: list[MonthLink]) -> str:
    broken = [link.month for link in links[1:] if link.common == 0]
    note = (
        f"Month-end fits are linked onto {reference}'s scale ({scale}): each month is shifted "
        "so the models it shares with the month before keep their mean score (columns shift, "
        "link_models, link_rms). Gaps within a month are unaffected."
    )
    if broken:
        note += (
            f" {', '.join(broken)} shared no model with the month before: not linked, so "
            "lags across them are approximate."
        )
    return note


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
        votes=np.array([row.votes for row in rows], dtype=np.float64),
        weights=tuple(row.weights for row in rows),
    )


def _columns(replicates: np.ndarray, rows: list[RatingRow]) -> np.ndarray | None:
    """The rows' columns of a snapshot's (R, K) replicates; ``None`` when it has none."""
    return replicates[:, [row.column for row in rows]] if replicates.size else None


def _first_votes(scope: dict, model_ids: list[int], cutoff: datetime) -> dict[int, datetime]:
    """When each model first appeared in a counted vote of the scope (two GROUP BYs)."""
    votes = counted_votes(**scope, cutoff=cutoff)
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


def _no_current_snapshot_hint(scope: dict) -> str:
    if snapshots_under_way(**scope, kind=RatingSnapshot.Kind.CURRENT):
        return "The first board of this selection is being computed; this page shows it once made."
    return (
        f"No current {scope['modality']} board for this selection yet: the workers make one "
        "within minutes of counted votes arriving."
    )


def _current(
    scope: dict, *, pairs: list[tuple[Group, Group]], min_votes: float
) -> list[FrontierReport]:
    snapshot = leaderboard_latest(**scope)
    empty = [FrontierReport(**scope, mode="current", a=a, b=b, frontier=None) for a, b in pairs]
    if snapshot is None:
        return [replace(e, hint=_no_current_snapshot_hint(scope)) for e in empty]
    rows = _rating_rows([snapshot.pk])
    month_votes = _month_votes(scope, cutoff=snapshot.cutoff, max_vote_id=snapshot.max_vote_id)
    if not rows or not month_votes:
        return empty
    entry, notes = _entry_months(scope, rows, snapshot)
    first_vote, last_vote = min(month_votes), max(month_votes)
    # Before the first vote the months come from release dates alone; from it on, a month
    # without votes is a gap. Nothing after the last vote was measured: the series ends there.
    span = month_range(min(min(entry), first_vote), last_vote)
    gaps = [m for m in span if m >= first_vote and m not in month_votes]
    months = [m for m in span if m not in gaps]
    fit = dict(
        models=[row.model_key for row in rows],
        countries=[row.country for row in rows],
        entry=entry,
        scores=np.array([row.score for row in rows], dtype=np.float64),
        replicates=_columns(_replicates(snapshot, notes), rows),
        votes=np.array([row.votes for row in rows], dtype=np.float64),
        weights=[row.weights for row in rows],
        min_votes=min_votes,
        empty=gaps,
    )
    return [
        FrontierReport(
            **scope,
            mode="current",
            a=a,
            b=b,
            frontier=running_frontier(months, a=a, b=b, **fit),
            sources=[MonthSource(scale=_scale(snapshot), snapshot_id=snapshot.pk)] * len(months),
            display_names={row.model_key: row.display_name for row in rows},
            month_votes=month_votes,
            notes=notes,
        )
        for a, b in pairs
    ]


def _has_real_release_date(row: RatingRow) -> bool:
    """A release date that is not just an upper bound (the first day on a public board)."""
    return (
        row.release_date is not None
        and row.release_date_source != AIModel.ReleaseDateSource.FIRST_LISTED
    )


def _entry_months(
    scope: dict, rows: list[RatingRow], snapshot: RatingSnapshot
) -> tuple[list[str], list[str]]:
    """The month each model enters the running best, and notes on how they were dated.

    A real release date (written in the key, published, or set by hand) gives the release
    month. Without one, the model is known to exist by its first counted vote in the scope
    and, if listed on a public board, by that day too: it enters at the earlier of the two,
    an upper bound on its release."""
    guessed = [row.model_id for row in rows if not _has_real_release_date(row)]
    first = _first_votes(scope, guessed, snapshot.cutoff) if guessed else {}
    entry = []
    for row in rows:
        if _has_real_release_date(row):
            entry.append(month_of(row.release_date))
            continue
        known = [when for when in (row.release_date, first.get(row.model_id)) if when]
        entry.append(min(month_of(when) for when in known) if known else month_of(snapshot.cutoff))
    undated = sum(1 for row in rows if row.release_date is None)
    bounded = len(guessed) - undated
    notes = []
    if undated:
        notes.append(
            f"{undated} model(s) have no release date: they count from the month of "
            "their first vote in this scope."
        )
    if bounded:
        notes.append(
            f"{bounded} model(s) have only an upper bound on their release (the day they were "
            "first listed on the public leaderboard): they count from that month or the "
            "month of their first vote here, whichever is earlier."
        )
    return entry, notes
