"""Reads of snapshots for pages, the API and downloads. A constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from pairwise.matrices import observed_win_rates, pair_matrices, predicted_win_rates
from ranking.models import ModelRating, RatingSnapshot
from ranking.storage import snapshot_data

#: How long what derives from a finished snapshot stays cached under the snapshot's key. The
#: snapshot never changes; what may is the catalogue shown beside it (a model's name, lab,
#: licence), which therefore shows on the boards within this time of an edit.
SNAPSHOT_CACHE_SECONDS = 300


def snapshots_done(
    *,
    modality: str | None = None,
    category: str = "",
    language: str = "",
    kind: str | None = None,
    style_control: bool | None = False,
) -> QuerySet:
    """Finished snapshots, newest first; plain ones unless ``style_control`` (``None``: both)."""
    snapshots = RatingSnapshot.objects.filter(status=RatingSnapshot.Status.DONE)
    if modality:
        snapshots = snapshots.filter(modality=modality, category=category, language=language)
    if kind:
        snapshots = snapshots.filter(kind=kind)
    if style_control is not None:
        snapshots = snapshots.filter(style_control=style_control)
    return snapshots.order_by("-cutoff", "-id")


def snapshots_under_way(
    *,
    modality: str,
    category: str = "",
    language: str = "",
    kind: str | None = None,
    style_control: bool = False,
) -> bool:
    """Whether a snapshot of the scope is queued or being computed: a page without one says
    it is coming and refreshes itself."""
    under_way = RatingSnapshot.objects.filter(
        modality=modality,
        category=category,
        language=language,
        style_control=style_control,
        status__in=[RatingSnapshot.Status.PENDING, RatingSnapshot.Status.RUNNING],
    )
    if kind:
        under_way = under_way.filter(kind=kind)
    return under_way.exists()


def leaderboard_latest(
    *, modality: str, category: str = "", language: str = "", style_control: bool = False
) -> RatingSnapshot | None:
    """The newest finished current snapshot of a scope (month-end history excluded), plain
    or style-controlled."""
    return snapshots_done(
        modality=modality,
        category=category,
        language=language,
        kind=RatingSnapshot.Kind.CURRENT,
        style_control=style_control,
    ).first()


def snapshot_board(snapshot: RatingSnapshot) -> list[ModelRating]:
    """The snapshot's rows, by component and then best first, with model and lab (one query)."""
    return list(
        snapshot.ratings.select_related("model__lab").order_by("component", "rank", "model__key")
    )


def board_components(board: list[ModelRating]) -> list[tuple[int, list[ModelRating]]]:
    """A board's rows grouped by connected component, in component order (no query)."""
    groups: dict[int, list[ModelRating]] = {}
    for row in board:
        groups.setdefault(row.component, []).append(row)
    return sorted(groups.items())


@dataclass(frozen=True, eq=False)
class WinRates:
    """Every model of a snapshot against every other, in board order (``keys``, K).

    battles: (K, K) votes between i and j; wins: (K, K) wins of i over j, ties half;
    observed: wins / battles (NaN where they never met); predicted: Bradley-Terry P(i beats
    j) from the snapshot's scores (NaN on the diagonal).
    """

    keys: list[str]
    battles: np.ndarray
    wins: np.ndarray
    observed: np.ndarray
    predicted: np.ndarray


def snapshot_win_rates(snapshot: RatingSnapshot) -> WinRates:
    """The win-rate matrices of all of a snapshot's models (one query and its file)."""
    board = snapshot_board(snapshot)
    columns = [row.column for row in board]
    games, wins = pair_matrices(snapshot.n_models, *snapshot_data(snapshot)["cells"].T)
    games, wins = games[np.ix_(columns, columns)], wins[np.ix_(columns, columns)]
    predicted = predicted_win_rates(
        np.array([row.score for row in board]),
        scale=snapshot.params.get("scale", 400.0),
        base=snapshot.params.get("base", 10.0),
    )
    return WinRates(
        keys=[row.model.key for row in board],
        battles=games,
        wins=wins,
        observed=observed_win_rates(games, wins),
        predicted=predicted,
    )


def model_history(*, model_id: int, modality: str) -> list[ModelRating]:
    """A model's overall rows over time: month-end snapshots, then current ones, by cutoff."""
    return list(
        ModelRating.objects.filter(
            model_id=model_id,
            snapshot__modality=modality,
            snapshot__category="",
            snapshot__language="",
            snapshot__style_control=False,
            snapshot__status=RatingSnapshot.Status.DONE,
        )
        .select_related("snapshot")
        .order_by("snapshot__cutoff", "snapshot__id")
    )


def snapshot_scopes(*, modality: str) -> dict[str, list[str]]:
    """Categories and languages that have a finished snapshot, for the page's filters."""
    scopes = (
        snapshots_done(style_control=None)
        .filter(modality=modality)
        .values_list("category", "language")
        .distinct()
    )
    return {
        "categories": sorted({c for c, _ in scopes if c}),
        "languages": sorted({lang for _, lang in scopes if lang}),
    }


def leaderboard_charts(snapshot: RatingSnapshot, board: list[ModelRating], *, top: int) -> dict:
    """Data for the figures: scores with intervals for every listed model, and for the
    ``top`` models the observed and predicted win-rate matrices and the battle counts."""
    shown = board[:top]
    columns = [row.column for row in shown]
    # The names the table shows, not the keys.
    labels = [row.model.display_name for row in shown]
    games, wins = pair_matrices(snapshot.n_models, *snapshot_data(snapshot)["cells"].T)
    sub_games = games[np.ix_(columns, columns)]
    observed = observed_win_rates(sub_games, wins[np.ix_(columns, columns)])
    predicted = predicted_win_rates(np.array([row.score for row in shown]))

    def cells(matrix: np.ndarray, digits: int) -> list[list]:
        return [
            [j, i, None if np.isnan(v) else round(float(v), digits)]
            for i, row in enumerate(matrix)
            for j, v in enumerate(row)
            if i != j
        ]

    return {
        "scores": [
            {
                "model": row.model.display_name,
                "score": round(row.score, 1),
                # An open side (no bound from the votes) is null: JSON has no infinity.
                "low": None if row.open_below else round(row.ci_low, 1),
                "high": None if row.open_above else round(row.ci_high, 1),
            }
            for row in board
        ],
        "labels": labels,
        "observed": cells(observed, 3),
        "predicted": cells(predicted, 3),
        "battles": cells(sub_games, 0),
    }
