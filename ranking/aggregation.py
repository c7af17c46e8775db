"""Which votes a snapshot counts, and those votes as cells: GROUP BY in the database.

A snapshot's counts are made one of two ways, with the same result cell for cell (same
fingerprint; docs/snapshots.md, "Incremental counts"):

* **full**: one GROUP BY over every vote of the scope;
* **incremental**: the counts of an earlier snapshot of the same scope, plus the votes it did
  not see (a higher id, or a time between the two cutoffs), plus the votes re-included since,
  minus the votes excluded since. Exclusions are compared by id: each snapshot's file keeps
  the ids of the votes that were excluded when it was counted. The cost is that of the new
  and the excluded votes, not of every vote.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Max, QuerySet, Sum, Value, When
from django.utils import timezone

from arena.models import Modality, Vote
from pairwise.outcomes import OUTCOME_NAMES, Outcome
from ranking.models import RatingSnapshot
from ranking.stats import STYLE_FEATURES
from ranking.storage import snapshot_arrays

#: The votes a new snapshot counts; each snapshot stores the filter it applied.
VOTE_FILTER = {"excluded": False}
#: Modalities whose outputs are texts, with the style features style control needs.
STYLE_MODALITIES = (Modality.TEXT,)
_STYLE_PATHS = tuple(
    f"battle__output_{side}__style__{name}" for side in ("a", "b") for name in STYLE_FEATURES
)
#: Cells are listed by outcome *name* within a pair (a, b, both_bad, tie), as the database's
#: ORDER BY on the stored names always listed them: fingerprints stay what they were.
_NAME_RANK = np.argsort(np.argsort(np.array(OUTCOME_NAMES)))
_ID_CHUNK = 5_000
logger = logging.getLogger(__name__)


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
    return _scope(snapshot).filter(id__lte=snapshot.max_vote_id, created_at__lt=snapshot.cutoff)


def _scope(snapshot: RatingSnapshot) -> QuerySet:
    return scoped_votes(
        modality=snapshot.modality,
        category=snapshot.category,
        language=snapshot.language,
        cutoff=None,
    )


@dataclass(frozen=True, eq=False)
class Counts:
    """A snapshot's votes, aggregated.

    Attributes:
        model_ids: the models with counted votes, sorted (index i is ``model_ids[i]``).
        cells: (m, 4) int64: index A, index B, outcome code, count.
        excluded: votes left out by the filter, per exclusion reason.
        excluded_ids: (e,) sorted ids of those votes (the next snapshot's counts compare
            them with the votes excluded then).
        style_rows: style control only, (m', 4 + 2F) int64: index A, index B, outcome code,
            count, then the F features of :data:`STYLE_FEATURES` of A's output and of B's,
            one row per distinct (A, B, outcome, features); ``cells`` are the same votes
            without their features.
        without_style: style control: counted votes left out because they have no battle
            (imported votes) or an output without every style feature.
        counted_from: the snapshot whose counts these were added to (None: a full count).
    """

    model_ids: list[int]
    cells: np.ndarray
    excluded: dict[str, int]
    excluded_ids: np.ndarray
    style_rows: np.ndarray | None = None
    without_style: int = 0
    counted_from: RatingSnapshot | None = None

    def features(self) -> tuple[np.ndarray, np.ndarray]:
        """(m', F) features of A's outputs and of B's outputs (style control)."""
        assert self.style_rows is not None
        f = len(STYLE_FEATURES)
        return self.style_rows[:, 4 : 4 + f], self.style_rows[:, 4 + f :]


def snapshot_counts(snapshot: RatingSnapshot) -> Counts:
    """The snapshot's counts: incremental from the scope's latest usable snapshot when there
    is one (:func:`count_base`), else a full count. Read in one consistent view of the
    database."""
    with _one_view():
        base = count_base(snapshot)
        if base is not None:
            counts = _count_since(snapshot, base)
            if counts is not None:
                return counts
        return count_all(snapshot)


def count_all(snapshot: RatingSnapshot) -> Counts:
    """The full count: every vote of the snapshot's scope, in the database."""
    scoped = _snapshot_votes(snapshot)
    rows, total = _group(scoped.filter(**snapshot.vote_filter), snapshot.style_control)
    return _counts(rows, total, scoped, snapshot.style_control, None)


def count_base(snapshot: RatingSnapshot) -> RatingSnapshot | None:
    """The finished snapshot of the same scope whose counts this one can start from: it
    applied the same filter, has a cutoff no later, and no recount disagreed with it or with
    a later one; the one with the highest vote id, unless it ends ``RANKING_FULL_COUNT_EVERY``
    incremental counts in a row (then None: a full count). (Its highest id may be above this
    snapshot's: every vote between the two is then excluded now, and subtracted as such.)"""
    if snapshot.vote_filter != VOTE_FILTER or not settings.RANKING_FULL_COUNT_EVERY:
        return None
    scope = RatingSnapshot.objects.filter(
        modality=snapshot.modality,
        category=snapshot.category,
        language=snapshot.language,
        style_control=snapshot.style_control,
    )
    # Counts made before a recount found a disagreement may share its cause: only later
    # ones (full counts, or added to full counts made since) are trusted.
    disagreed = scope.filter(recount_agrees=False).aggregate(last=Max("recounted_at"))["last"]
    if disagreed is not None:
        scope = scope.filter(finished_at__gt=disagreed)
    candidates = (
        scope.filter(
            status=RatingSnapshot.Status.DONE,
            cutoff__lte=snapshot.cutoff,
        )
        .exclude(pk=snapshot.pk)
        .exclude(data_file="")
        .order_by("-max_vote_id", "-cutoff", "-id")
    )
    base = next((base for base in candidates[:5] if base.vote_filter == VOTE_FILTER), None)
    if base is None or base.counts_depth >= settings.RANKING_FULL_COUNT_EVERY:
        return None
    return base


def _count_since(snapshot: RatingSnapshot, base: RatingSnapshot) -> Counts | None:
    """The base's counts brought up to ``snapshot``; None when the base's file lacks what
    it takes (made before incremental counts) or the result is not a count (it never is
    unless votes were deleted)."""
    arrays = snapshot_arrays(base, ("model_ids", "cells", "style_rows", "excluded_ids"))
    if "excluded_ids" not in arrays:
        return None
    style = snapshot.style_control
    base_rows = arrays["style_rows"] if style else arrays["cells"]
    base_ids = arrays["model_ids"]
    base_rows = base_rows.copy()
    base_rows[:, :2] = base_ids[base_rows[:, :2]] if len(base_rows) else base_rows[:, :2]
    base_total = base.n_votes + (base.votes_without_style if style else 0)
    scope, counted = _scope(snapshot), _scope(snapshot).filter(**VOTE_FILTER)
    cutoff = snapshot.cutoff
    # Votes the base did not see: a higher id, or (up to its id) a time between the cutoffs.
    between = counted.filter(
        id__lte=base.max_vote_id, created_at__gte=base.cutoff, created_at__lt=cutoff
    )
    # Votes the base saw whose exclusion changed since.
    excluded_now = _ids(
        scope.filter(excluded=True, id__lte=base.max_vote_id, created_at__lt=base.cutoff)
    )
    excluded_then = arrays["excluded_ids"]
    newly = np.setdiff1d(excluded_now, excluded_then, assume_unique=True)
    back = np.setdiff1d(excluded_then, excluded_now, assume_unique=True)
    parts = [(base_rows, base_total, 1)]
    parts += [(*_group_later(snapshot, base.max_vote_id), 1), (*_group(between, style), 1)]
    parts += [(*_group_ids(counted, back, style), 1), (*_group_ids(scope, newly, style), -1)]
    rows, total = _merge(parts, style)
    if rows is None:
        return None
    return _counts(rows, total, _snapshot_votes(snapshot), style, base)


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


def fingerprint_of(counts: Counts) -> str:
    return counts_fingerprint(counts.model_ids, counts.cells, counts.style_rows)


def counts_recount() -> list[RatingSnapshot]:
    """The periodic check of incremental counts: the latest snapshot of each scope whose
    counts were added up (and not yet checked) is counted again in full; a different
    fingerprint is logged as an error and stops later snapshots of the scope from starting
    from counts made before (:func:`count_base`). Returns the snapshots checked."""
    unchecked = RatingSnapshot.objects.filter(
        status=RatingSnapshot.Status.DONE, counts_depth__gt=0, recounted_at__isnull=True
    )
    scopes = unchecked.values_list("modality", "category", "language", "style_control").distinct()
    checked = []
    for modality, category, language, style_control in scopes.order_by():
        latest = (
            unchecked.filter(
                modality=modality,
                category=category,
                language=language,
                style_control=style_control,
            )
            .order_by("-max_vote_id", "-id")
            .first()
        )
        with _one_view():
            agrees = fingerprint_of(count_all(latest)) == latest.fingerprint
        RatingSnapshot.objects.filter(pk=latest.pk).update(
            recounted_at=timezone.now(), recount_agrees=agrees
        )
        if not agrees:
            logger.error(
                "snapshot %s (%s): a full recount does not match its incremental counts; the "
                "next snapshot of the scope is counted in full",
                latest.pk,
                latest,
            )
        latest.refresh_from_db()
        checked.append(latest)
    return checked


# --- Grouping in the database, and the same in numpy ------------------------------------------


@contextmanager
def _one_view() -> Iterator[None]:
    """One transaction for all the reads of a count, so an exclusion made meanwhile is seen
    by all of them or by none (PostgreSQL: REPEATABLE READ; SQLite's transactions already
    read one state)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _group(votes: QuerySet, style: bool) -> tuple[np.ndarray, int]:
    """The votes grouped by (A, B, outcome[, style features]) in the database: rows by model
    id, (m, 4[+2F]) int64, and the number of votes (with style control, those without style
    features included)."""
    if not style:
        grouped = (
            votes.values_list("model_a_id", "model_b_id", "outcome")
            .annotate(n=Sum("count"))
            .order_by()
        )
        rows = _array([(a, b, _code(outcome), n) for a, b, outcome, n in grouped], 4)
        return rows, int(rows[:, 3].sum())
    grouped = (
        votes.filter(battle__isnull=False)
        .values_list("model_a_id", "model_b_id", "outcome", *_STYLE_PATHS)
        .annotate(n=Sum("count"))
        .order_by()
    )
    rows = _array(
        [
            (a, b, _code(outcome), n, *features)
            for a, b, outcome, *features, n in grouped
            if all(_is_count(value) for value in features)
        ],
        4 + len(_STYLE_PATHS),
    )
    return rows, int(votes.aggregate(n=Sum("count"))["n"] or 0)


def _group_later(snapshot: RatingSnapshot, since: int) -> tuple[np.ndarray, int]:
    """:func:`_group` of the snapshot's counted votes with an id above ``since``. The
    database is asked for the id range alone (grouped also by what decides whether a vote
    counts, which is then checked here): given the scope and exclusion too, SQLite's planner
    would walk the (modality, excluded, created_at) index over every vote of the scope
    instead of the few rows of the range."""
    style = snapshot.style_control
    before = Case(When(created_at__lt=snapshot.cutoff, then=Value(1)), default=Value(0))
    served = Case(When(battle__isnull=False, then=Value(1)), default=Value(0))
    deciding = ("modality", "category", "language", "excluded")
    paths = _STYLE_PATHS if style else ()
    grouped = (
        Vote.objects.filter(id__gt=since, id__lte=snapshot.max_vote_id)
        .annotate(before=before, served=served)
        .values_list(*deciding, "before", "served", "model_a_id", "model_b_id", "outcome", *paths)
        .annotate(n=Sum("count"))
        .order_by()
    )
    rows, total = [], 0
    for modality, category, language, excluded, counted_before, on_battle, *cell, n in grouped:
        if (
            excluded
            or not counted_before
            or modality != snapshot.modality
            or (snapshot.category and category != snapshot.category)
            or (snapshot.language and language != snapshot.language)
        ):
            continue
        total += n
        a, b, outcome, *features = cell
        if not style:
            rows.append((a, b, _code(outcome), n))
        elif on_battle and all(_is_count(value) for value in features):
            rows.append((a, b, _code(outcome), n, *features))
    return _array(rows, 4 + len(paths)), total


def _group_ids(votes: QuerySet, ids: np.ndarray, style: bool) -> tuple[np.ndarray, int]:
    """:func:`_group` of the given vote ids among ``votes``, a chunk of ids at a time."""
    parts = [
        _group(votes.filter(id__in=ids[start : start + _ID_CHUNK].tolist()), style)
        for start in range(0, len(ids), _ID_CHUNK)
    ]
    width = 4 + (len(_STYLE_PATHS) if style else 0)
    rows = np.concatenate([rows for rows, _ in parts]) if parts else _array([], width)
    return rows, sum(total for _, total in parts)


def _merge(parts: list[tuple[np.ndarray, int, int]], style: bool) -> tuple[np.ndarray | None, int]:
    """Rows (by id) and totals added with their signs, equal keys summed; (None, 0) if a
    count would go below zero."""
    width = 4 + (len(_STYLE_PATHS) if style else 0)
    signed = [rows * np.array([1, 1, 1, sign] + [1] * (width - 4)) for rows, _, sign in parts]
    stacked = np.concatenate(signed) if signed else _array([], width)
    total = sum(total * sign for _, total, sign in parts)
    keys = np.delete(stacked, 3, axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    summed = np.zeros(len(unique), dtype=np.int64)
    np.add.at(summed, inverse.ravel(), stacked[:, 3])
    if (summed < 0).any() or total < 0:
        return None, 0
    rows = np.column_stack([unique[:, :3], summed, unique[:, 3:]])
    return rows[summed > 0], total


def _counts(
    rows: np.ndarray,
    total: int,
    scoped: QuerySet,
    style: bool,
    counted_from: RatingSnapshot | None,
) -> Counts:
    """Counts from rows by model id (any order, positive counts), in the order the
    fingerprint has always used: by model id A, B, outcome name, then the features."""
    keys = [rows[:, 0], rows[:, 1], _NAME_RANK[rows[:, 2]], *rows[:, 4:].T]
    rows = rows[np.lexsort(keys[::-1])] if len(rows) else rows
    model_ids = np.unique(rows[:, :2]) if len(rows) else np.zeros(0, dtype=np.int64)
    indexed = rows.copy()
    indexed[:, :2] = np.searchsorted(model_ids, rows[:, :2])
    excluded = dict(
        scoped.filter(excluded=True)
        .values_list("exclusion_reason")
        .annotate(n=Sum("count"))
        .order_by("exclusion_reason")
    )
    common = {
        "model_ids": model_ids.tolist(),
        "excluded": excluded,
        "excluded_ids": _ids(scoped.filter(excluded=True)),
        "counted_from": counted_from,
    }
    if not style:
        return Counts(cells=indexed, **common)
    return Counts(
        cells=_plain_cells(indexed),
        style_rows=indexed,
        without_style=int(total - rows[:, 3].sum()),
        **common,
    )


def _ids(votes: QuerySet) -> np.ndarray:
    return np.sort(np.fromiter(votes.values_list("id", flat=True).order_by(), dtype=np.int64))


def _array(rows: list[tuple], width: int) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(-1, width)


def _code(outcome: str) -> int:
    return int(Outcome.from_name(outcome))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _plain_cells(rows: np.ndarray) -> np.ndarray:
    """(m', 4) cells (A, B, outcome, count), sorted, from style rows (m, 4 + 2F)."""
    if not len(rows):
        return np.zeros((0, 4), dtype=np.int64)
    keys, inverse = np.unique(rows[:, :3], axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=rows[:, 3], minlength=len(keys))
    return np.column_stack([keys, counts.astype(np.int64)])
