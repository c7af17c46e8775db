"""Which votes a snapshot counts, and those votes as cells: one GROUP BY in the database."""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
from django.db.models import QuerySet, Sum

from arena.models import Vote
from pairwise.outcomes import Outcome
from ranking.models import RatingSnapshot

#: The votes a new snapshot counts; each snapshot stores the filter it applied.
VOTE_FILTER = {"excluded": False}


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


def aggregate_counts(snapshot: RatingSnapshot) -> tuple[list[int], np.ndarray, dict[str, int]]:
    """The snapshot's votes as cells: one GROUP BY over the vote table, in the database.

    Returns the model ids (sorted; index i in the cells is ``model_ids[i]``), the cells as
    an (m, 4) int64 array of (index A, index B, outcome code, count), and the votes the
    filter left out, per exclusion reason.
    """
    scoped = scoped_votes(
        modality=snapshot.modality,
        category=snapshot.category,
        language=snapshot.language,
        cutoff=snapshot.cutoff,
    ).filter(id__lte=snapshot.max_vote_id)
    rows = list(
        scoped.filter(**snapshot.vote_filter)
        .values_list("model_a_id", "model_b_id", "outcome")
        .annotate(n=Sum("count"))
        .order_by("model_a_id", "model_b_id", "outcome")
    )
    excluded = dict(
        scoped.filter(excluded=True)
        .values_list("exclusion_reason")
        .annotate(n=Sum("count"))
        .order_by("exclusion_reason")
    )
    model_ids = sorted({a for a, _, _, _ in rows} | {b for _, b, _, _ in rows})
    index = {model_id: i for i, model_id in enumerate(model_ids)}
    cells = np.array(
        [(index[a], index[b], int(Outcome.from_name(outcome)), n) for a, b, outcome, n in rows],
        dtype=np.int64,
    ).reshape(-1, 4)
    return model_ids, cells, excluded


def counts_fingerprint(model_ids: list[int], cells: np.ndarray) -> str:
    """SHA-256 of the aggregated counts, by model id: equal votes give equal fingerprints."""
    digest = hashlib.sha256()
    ids = np.asarray(model_ids, dtype=np.int64)
    labelled = (
        np.column_stack([ids[cells[:, 0]], ids[cells[:, 1]], cells[:, 2], cells[:, 3]])
        if len(cells)
        else np.zeros((0, 4), dtype=np.int64)
    )
    digest.update(labelled.astype("<i8").tobytes())
    return digest.hexdigest()
