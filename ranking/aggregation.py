"""Which votes a snapshot counts, and those votes as cells: one GROUP BY in the database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db.models import QuerySet, Sum

from arena.models import Modality, Vote
from pairwise.outcomes import Outcome
from ranking.models import RatingSnapshot
from ranking.stats import STYLE_FEATURES

#: The votes a new snapshot counts; each snapshot stores the filter it applied.
VOTE_FILTER = {"excluded": False}
#: Modalities whose outputs are texts, with the style features style control needs.
STYLE_MODALITIES = (Modality.TEXT,)


def scoped_votes(
    *, modality: str, category: str = "", language: str = "", cutoff: datetime | None
) -> QuerySet:
    """Votes of a scope (blank category or language: all) cast before ``cutoff`` (if any),
    excluded ones included."""
    votes = Vote.objects.filter(modality=modality)
    if cutoff is not None:
        votes = votes.filter(created_at__lt=cutoff)
    if category:
        votes = votes.filter(category=category)
    if language:
        votes = votes.filter(language=language)
    return votes


def counted_votes(
    *, modality: str, category: str = "", language: str = "", cutoff: datetime | None
) -> QuerySet:
    """The votes of a scope that a new snapshot counts (``VOTE_FILTER`` applied)."""
    return scoped_votes(
        modality=modality, category=category, language=language, cutoff=cutoff
    ).filter(**VOTE_FILTER)


def _snapshot_votes(snapshot: RatingSnapshot) -> QuerySet:
    """Every vote of the snapshot's scope up to its pinned highest id, counted or not."""
    return scoped_votes(
        modality=snapshot.modality,
        category=snapshot.category,
        language=snapshot.language,
        cutoff=snapshot.cutoff,
    ).filter(id__lte=snapshot.max_vote_id)


def aggregate_counts(snapshot: RatingSnapshot) -> tuple[list[int], np.ndarray, dict[str, int]]:
    """The snapshot's votes as cells: one GROUP BY over the vote table, in the database.

    Returns the model ids (sorted; index i in the cells is ``model_ids[i]``), the cells as
    an (m, 4) int64 array of (index A, index B, outcome code, count), and the votes the
    filter left out, per exclusion reason.
    """
    scoped = _snapshot_votes(snapshot)
    rows = list(
        scoped.filter(**snapshot.vote_filter)
        .values_list("model_a_id", "model_b_id", "outcome")
        .annotate(n=Sum("count"))
        .order_by("model_a_id", "model_b_id", "outcome")
    )
    excluded = _excluded(scoped)
    model_ids = sorted({row[0] for row in rows} | {row[1] for row in rows})
    index = {model_id: i for i, model_id in enumerate(model_ids)}
    cells = np.array(
        [(index[a], index[b], int(Outcome.from_name(outcome)), n) for a, b, outcome, n in rows],
        dtype=np.int64,
    ).reshape(-1, 4)
    return model_ids, cells, excluded


@dataclass(frozen=True, eq=False)
class StyleCells:
    """A style-controlled snapshot's votes, aggregated per distinct (A, B, outcome, style of
    A's output, style of B's output).

    Attributes:
        model_ids: the models (index i is ``model_ids[i]``).
        rows: (m, 4 + 2F) int64: index A, index B, outcome code, count, then the F features
            of :data:`STYLE_FEATURES` of A's output and of B's output.
        cells: (m', 4) the same votes as plain cells (A, B, outcome, count).
        excluded: votes left out by the filter, per exclusion reason.
        without_style: counted votes left out because they have no battle (imported votes) or
            an output without every style feature.
    """

    model_ids: list[int]
    rows: np.ndarray
    cells: np.ndarray
    excluded: dict[str, int]
    without_style: int

    def features(self) -> tuple[np.ndarray, np.ndarray]:
        """(m, F) features of A's outputs and of B's outputs."""
        f = len(STYLE_FEATURES)
        return self.rows[:, 4 : 4 + f], self.rows[:, 4 + f :]


def aggregate_style_counts(snapshot: RatingSnapshot) -> StyleCells:
    """The snapshot's votes with the style features of the two outputs they judged: one
    GROUP BY over votes joined to their battles' outputs, in the database (votes on the same
    pair of outputs with the same outcome are one row). A vote counts only if it was cast on
    a served battle whose two outputs have every style feature."""
    scoped = _snapshot_votes(snapshot)
    counted = scoped.filter(**snapshot.vote_filter)
    style = [
        f"battle__output_{side}__style__{name}" for side in ("a", "b") for name in STYLE_FEATURES
    ]
    grouped = (
        counted.filter(battle__isnull=False)
        .values_list("model_a_id", "model_b_id", "outcome", *style)
        .annotate(n=Sum("count"))
        .order_by("model_a_id", "model_b_id", "outcome", *style)
    )
    kept = [row for row in grouped if all(_is_count(value) for value in row[3:-1])]
    total = counted.aggregate(n=Sum("count"))["n"] or 0
    model_ids = sorted({row[0] for row in kept} | {row[1] for row in kept})
    index = {model_id: i for i, model_id in enumerate(model_ids)}
    rows = np.array(
        [
            (index[a], index[b], int(Outcome.from_name(outcome)), n, *features)
            for a, b, outcome, *features, n in kept
        ],
        dtype=np.int64,
    ).reshape(-1, 4 + len(style))
    return StyleCells(
        model_ids=model_ids,
        rows=rows,
        cells=_plain_cells(rows),
        excluded=_excluded(scoped),
        without_style=int(total - rows[:, 3].sum()),
    )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _plain_cells(rows: np.ndarray) -> np.ndarray:
    """(m', 4) cells (A, B, outcome, count), sorted, from style rows (m, 4 + 2F)."""
    if not len(rows):
        return np.zeros((0, 4), dtype=np.int64)
    keys, inverse = np.unique(rows[:, :3], axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=rows[:, 3], minlength=len(keys))
    return np.column_stack([keys, counts.astype(np.int64)])


def _excluded(scoped: QuerySet) -> dict[str, int]:
    return dict(
        scoped.filter(excluded=True)
        .values_list("exclusion_reason")
        .annotate(n=Sum("count"))
        .order_by("exclusion_reason")
    )


def counts_fingerprint(
    model_ids: list[int], cells: np.ndarray, style_rows: np.ndarray | None = None
) -> str:
    """SHA-256 of the aggregated counts, by model id: equal votes give equal fingerprints.
    A style-controlled snapshot's fingerprint covers its style rows too."""
    digest = hashlib.sha256()
    ids = np.asarray(model_ids, dtype=np.int64)
    labelled = (
        np.column_stack([ids[cells[:, 0]], ids[cells[:, 1]], cells[:, 2], cells[:, 3]])
        if len(cells)
        else np.zeros((0, 4), dtype=np.int64)
    )
    digest.update(labelled.astype("<i8").tobytes())
    if style_rows is not None and len(style_rows):
        by_id = style_rows.copy()
        by_id[:, 0], by_id[:, 1] = ids[style_rows[:, 0]], ids[style_rows[:, 1]]
        digest.update(b"style")
        digest.update(by_id.astype("<i8").tobytes())
    return digest.hexdigest()
