"""A model's online Elo over time, as of the latest snapshot of its modality.

Sequential Elo (:func:`ranking.stats.elo_online_path`, K = ``ELO_K``, every model starting at
``ELO_INITIAL``) over the votes the modality's latest finished overall snapshot counted (its
cutoff, ``max_vote_id`` and vote filter), in time order (``created_at``, then id). It is
order-dependent and unanchored: a second view beside the Bradley-Terry board, not a rating.

Votes with ``count`` > 1 are aggregated imports (pair counts, stored one row per cell with
the import's time): they have no order of their own, and replaying a cell as ``count``
updates in a row would move a model by its whole record at one instant, so they are left out
and reported as ``left_out_votes``.

Cost: pinning to the snapshot, not to the latest vote, means the replay runs once per
published snapshot (at most every ``RANKING_REFRESH_MINUTES``) instead of after every vote,
and the curve agrees with the board beside it. The replay covers every model in one pass;
each model's series (one point per UTC day it played) is cached under the snapshot, so a
page or API request reads one cache entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.db.models import Sum

from arena.cache import cache_get_or_none, cache_set_quietly
from pairwise.months import month_of
from pairwise.outcomes import Outcome
from ranking.aggregation import scoped_votes
from ranking.models import RatingSnapshot
from ranking.selectors import snapshots_done
from ranking.stats import elo_online_path

ELO_K = 4.0
ELO_INITIAL = 1000.0
#: A new snapshot has a new key, so old entries are never read again; they only expire.
ELO_CACHE_SECONDS = 24 * 3600
_CACHE_VERSION = f"v1-k{ELO_K:g}-i{ELO_INITIAL:g}"


@dataclass(frozen=True)
class EloPoint:
    """The model's online Elo at the end of a UTC day it played, after ``votes`` votes."""

    day: date
    rating: float
    votes: int


@dataclass(frozen=True)
class EloHistory:
    """One model's online Elo over the votes of ``snapshot`` (None: no snapshot yet)."""

    snapshot: RatingSnapshot | None
    points: list[EloPoint]
    votes_replayed: int  # the modality's single votes replayed, all models
    left_out_votes: int  # votes inside aggregated rows (count > 1), all models
    k: float = ELO_K
    initial: float = ELO_INITIAL

    @property
    def monthly(self) -> list[EloPoint]:
        """The last point of each month: the page's table."""
        last: dict[str, EloPoint] = {}
        for point in self.points:
            last[month_of(point.day)] = point
        return list(last.values())


def model_elo_online(*, model_id: int, modality: str) -> EloHistory:
    """The model's online Elo by day, as of the modality's latest finished overall snapshot."""
    snapshot = snapshots_done(modality=modality).first()
    if snapshot is None:
        return EloHistory(snapshot=None, points=[], votes_replayed=0, left_out_votes=0)
    prefix = f"ranking:elo-online:{_CACHE_VERSION}:{snapshot.pk}:{snapshot.key[:16]}"
    summary = cache_get_or_none(prefix)
    series = None
    if summary is not None:
        played = model_id in summary["model_ids"]
        series = cache_get_or_none(f"{prefix}:{model_id}") if played else []
    if series is None:  # not computed for this snapshot yet, or evicted
        summary, by_model = _replay(snapshot)
        for other_id, other_series in by_model.items():
            cache_set_quietly(f"{prefix}:{other_id}", other_series, timeout=ELO_CACHE_SECONDS)
        # Written last: a summary in the cache means the series were stored.
        cache_set_quietly(prefix, summary, timeout=ELO_CACHE_SECONDS)
        series = by_model.get(model_id, [])
    return EloHistory(
        snapshot=snapshot,
        points=[EloPoint(date.fromordinal(day), rating, votes) for day, rating, votes in series],
        votes_replayed=summary["votes_replayed"],
        left_out_votes=summary["left_out_votes"],
    )


def _replay(snapshot: RatingSnapshot) -> tuple[dict, dict[int, list[tuple[int, float, int]]]]:
    """Replay the snapshot's single votes in time order: (summary, series by model id)."""
    counted = (
        scoped_votes(modality=snapshot.modality, cutoff=snapshot.cutoff)
        .filter(id__lte=snapshot.max_vote_id)
        .filter(**snapshot.vote_filter)
    )
    rows = list(
        counted.filter(count=1)
        .order_by("created_at", "id")
        .values_list("model_a_id", "model_b_id", "outcome", "created_at")
    )
    left_out = counted.filter(count__gt=1).aggregate(n=Sum("count"))["n"] or 0
    model_ids = sorted({row[0] for row in rows} | {row[1] for row in rows})
    index = {model_id: i for i, model_id in enumerate(model_ids)}
    path = elo_online_path(
        np.array([index[row[0]] for row in rows], dtype=np.int64),
        np.array([index[row[1]] for row in rows], dtype=np.int64),
        np.array([int(Outcome.from_name(row[2])) for row in rows], dtype=np.int64),
        n_models=len(model_ids),
        k=ELO_K,
        initial=ELO_INITIAL,
    )
    by_model = _daily_series(rows, path.after)
    summary = {
        "model_ids": frozenset(model_ids),
        "votes_replayed": len(rows),
        "left_out_votes": left_out,
    }
    return summary, by_model


def _daily_series(
    rows: list[tuple[int, int, str, datetime]], after: np.ndarray
) -> dict[int, list[tuple[int, float, int]]]:
    """Per model id: (day ordinal, rating after its last vote that day, its votes so far)."""
    series: dict[int, list[tuple[int, float, int]]] = {}
    votes: dict[int, int] = {}
    for (model_a, model_b, _, created_at), ratings in zip(rows, after.tolist(), strict=True):
        day = created_at.date().toordinal()
        for model_id, rating in ((model_a, ratings[0]), (model_b, ratings[1])):
            votes[model_id] = votes.get(model_id, 0) + 1
            points = series.setdefault(model_id, [])
            point = (day, round(rating, 2), votes[model_id])
            if points and points[-1][0] == day:
                points[-1] = point
            else:
                points.append(point)
    return series
