"""Snapshots: what one is (its spec and key), requesting it, claiming it, and computing it:
aggregated counts -> ranking.stats -> one atomic save."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from threadpoolctl import threadpool_limits

from arena.jobs import LeaseKeeper, SweepReport, job_claim, job_send, job_sweep, lease_owner
from arena.models import AIModel
from ranking.aggregation import (
    STYLE_MODALITIES,
    VOTE_FILTER,
    Counts,
    counted_votes,
    fingerprint_of,
    snapshot_counts,
)
from ranking.fanout import FanoutRunner, fanout_wanted
from ranking.models import ModelRating, RatingSnapshot
from ranking.stats import (
    ENGINE_VERSION,
    STYLE_FEATURES,
    PairCounts,
    Ratings,
    StyleCounts,
    min_bootstrap_rounds,
    rate,
    style_difference,
)
from ranking.storage import snapshot_data_save


@dataclass(frozen=True)
class SnapshotSpec:
    """What to count and how: everything that decides a snapshot's numbers."""

    modality: str
    category: str = ""
    language: str = ""
    kind: str = RatingSnapshot.Kind.CURRENT
    cutoff: datetime | None = None  # default: now
    ties: str = "half"
    rounds: int = field(default_factory=lambda: settings.RANKING_BOOTSTRAP_ROUNDS)
    seed: int = field(default_factory=lambda: settings.RANKING_SEED)
    anchor: tuple[str, float] | None = None  # default: the modality's configured anchor
    resample: str = "multinomial"
    style_control: bool = False

    def __post_init__(self) -> None:
        if self.rounds < 0 or 0 < self.rounds < min_bootstrap_rounds():
            raise ValueError(
                f"rounds must be 0 (analytic intervals) or at least {min_bootstrap_rounds()} "
                f"(bootstrap), got {self.rounds}"
            )
        if self.style_control and self.modality not in STYLE_MODALITIES:
            raise ValueError(
                f"style control needs text outputs: {self.modality} boards cannot have it"
            )

    def params(self, anchor: tuple[str, float] | None) -> dict:
        params = {
            "ties": self.ties,
            "rounds": self.rounds,
            "resample": self.resample,
            "interval": "bootstrap" if self.rounds else "analytic",
            "level": 0.95,
            "scale": 400.0,
            "base": 10.0,
            "mean": 1000.0,
            "anchor": None if anchor is None else {"model": anchor[0], "score": anchor[1]},
        }
        # Only when on, so the keys of plain snapshots stay what they were.
        if self.style_control:
            params["style_control"] = {"features": list(STYLE_FEATURES)}
        return params


def _snapshot_key(
    spec: SnapshotSpec, *, cutoff: datetime, max_vote_id: int, n_votes: int, params: dict
) -> str:
    identity = {
        "modality": spec.modality,
        "category": spec.category,
        "language": spec.language,
        "kind": spec.kind,
        "max_vote_id": max_vote_id,
        "n_votes": n_votes,
        "seed": spec.seed,
        "params": params,
        "filter": VOTE_FILTER,
        "code": ENGINE_VERSION,
        # A current snapshot is decided by the votes it counts; a month-end one also by its date.
        "cutoff": cutoff.isoformat() if spec.kind == RatingSnapshot.Kind.MONTH_END else None,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def snapshot_request(*, spec: SnapshotSpec) -> tuple[RatingSnapshot, bool]:
    """Find or create the PENDING snapshot for ``spec``; ``True`` if it needs computing.

    The votes it will count are pinned now (highest id, cutoff), so computing it later or
    twice gives the same numbers. A failed snapshot with the same key is retried.
    """
    cutoff = spec.cutoff or timezone.now()
    anchor = spec.anchor or settings.RANKING_ANCHORS.get(spec.modality)
    params = spec.params(anchor)
    counted = counted_votes(
        modality=spec.modality, category=spec.category, language=spec.language, cutoff=cutoff
    )
    totals = counted.aggregate(max_id=Max("id"), n=Sum("count"))
    max_vote_id, n_votes = totals["max_id"] or 0, totals["n"] or 0
    key = _snapshot_key(
        spec, cutoff=cutoff, max_vote_id=max_vote_id, n_votes=n_votes, params=params
    )
    existing = RatingSnapshot.objects.filter(key=key).first()
    if existing is not None:
        retried = RatingSnapshot.objects.filter(
            pk=existing.pk, status=RatingSnapshot.Status.FAILED
        ).update(status=RatingSnapshot.Status.PENDING, error="", queued_at=timezone.now())
        return existing, bool(retried)
    try:
        with transaction.atomic():
            snapshot = RatingSnapshot.objects.create(
                key=key,
                kind=spec.kind,
                modality=spec.modality,
                category=spec.category,
                language=spec.language,
                cutoff=cutoff,
                max_vote_id=max_vote_id,
                params=params,
                seed=spec.seed,
                vote_filter=VOTE_FILTER,
                n_votes=n_votes,
                code_version=ENGINE_VERSION,
                style_control=spec.style_control,
            )
    except IntegrityError:  # a concurrent request created it first
        return RatingSnapshot.objects.get(key=key), False
    return snapshot, True


def snapshot_schedule(*, spec: SnapshotSpec) -> RatingSnapshot:
    """Request a snapshot and, if it needs computing, enqueue it once the row is committed.
    With the broker down the row stays PENDING and the sweep sends it later."""
    from ranking.tasks import snapshot_compute_task

    snapshot, needed = snapshot_request(spec=spec)
    if needed:
        transaction.on_commit(lambda: job_send(snapshot_compute_task, snapshot.pk))
    return snapshot


def snapshot_compute(*, snapshot_id: int) -> RatingSnapshot | None:
    """Claim and compute one snapshot; ``None`` if another worker has it or it is done.

    The claim (``arena.jobs``) takes a PENDING snapshot, or a RUNNING one whose lease ran
    out (its worker died); the lease is renewed while the fit runs."""
    owner = lease_owner()
    if not job_claim(RatingSnapshot, snapshot_id, owner, started_at=timezone.now()):
        return None
    try:
        with LeaseKeeper(RatingSnapshot, snapshot_id, owner):
            return _compute(RatingSnapshot.objects.get(pk=snapshot_id))
    except (OperationalError, InterfaceError):
        # The database went away mid-fit: not the snapshot's fault. The row stays RUNNING
        # until its lease runs out, then the sweep sends it again.
        raise
    except Exception as error:
        done = RatingSnapshot.objects.filter(pk=snapshot_id, status=RatingSnapshot.Status.DONE)
        if done.exists():  # another worker took over a lease we could not renew, and won
            return done.get()
        # Marked here rather than in the task so the command path (fit_ratings) gets it too;
        # the next request with the same key retries it.
        RatingSnapshot.objects.filter(
            pk=snapshot_id, status=RatingSnapshot.Status.RUNNING, claimed_by=owner
        ).update(
            status=RatingSnapshot.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise


def snapshot_sweep() -> SweepReport:
    """Beat's sweep: send again the snapshots whose message was lost, take back those whose
    worker died, and fail those whose fit killed its worker ``ARENA_MAX_ATTEMPTS`` times."""
    from ranking.tasks import snapshot_compute_task

    def fail(snapshot_ids: list[int]) -> None:
        RatingSnapshot.objects.filter(
            pk__in=snapshot_ids,
            status=RatingSnapshot.Status.RUNNING,
            lease_until__lt=timezone.now(),
        ).update(
            status=RatingSnapshot.Status.FAILED,
            error=f"its worker stopped {settings.ARENA_MAX_ATTEMPTS} times during the fit "
            "(killed, or out of memory)",
        )

    return job_sweep(RatingSnapshot, send=lambda pk: job_send(snapshot_compute_task, pk), fail=fail)


def _compute(snapshot: RatingSnapshot) -> RatingSnapshot:
    started = time.perf_counter()
    counts = snapshot_counts(snapshot)
    aggregated = time.perf_counter()
    ratings, warnings = _rate(snapshot, counts)
    fitted = time.perf_counter()
    model_ids, cells = counts.model_ids, counts.cells
    extra = {"excluded_ids": counts.excluded_ids}
    if counts.style_rows is not None:
        extra["style_rows"] = counts.style_rows
    if ratings is not None:
        extra["openness"] = ratings.openness
    empty = np.zeros((0, len(model_ids)))
    name = snapshot_data_save(
        snapshot,
        model_ids,
        cells,
        ratings.replicates if ratings is not None else empty,
        extra=extra,
    )
    base = counts.counted_from
    with transaction.atomic():
        if ratings is not None:
            ModelRating.objects.bulk_create(_rating_rows(snapshot, model_ids, ratings))
        RatingSnapshot.objects.filter(pk=snapshot.pk).update(
            status=RatingSnapshot.Status.DONE,
            finished_at=timezone.now(),
            n_models=len(model_ids),
            n_votes=int(cells[:, 3].sum()) if len(cells) else 0,
            fingerprint=fingerprint_of(counts),
            excluded_votes=counts.excluded,
            warnings=warnings,
            anchored=ratings is not None and ratings.anchor is not None,
            style_coef=ratings.style_coef if ratings is not None else {},
            votes_without_style=counts.without_style,
            data_file=name,
            aggregate_seconds=aggregated - started,
            fit_seconds=fitted - aggregated,
            counted_from=base,
            counts_depth=0 if base is None else base.counts_depth + 1,
        )
    snapshot.refresh_from_db()
    return snapshot


def _rate(snapshot: RatingSnapshot, counts: Counts) -> tuple[Ratings | None, list[str]]:
    """The ratings of the aggregated cells (or, with style control, of the style rows) with
    the snapshot's parameters (``None`` when fewer than two models have votes), and the
    snapshot's warnings, naming models by key. The engine uses ``RANKING_ENGINE_THREADS``
    threads, BLAS included, so a worker's processes share the cores; a big bootstrap is
    fanned out over the workers (``RANKING_FANOUT_MIN_WORK``, :mod:`ranking.fanout`)."""
    warnings: list[str] = []
    model_ids = counts.model_ids
    if counts.without_style:
        warnings.append(
            f"style control: {counts.without_style} counted votes left out (imported votes "
            "without a battle, or outputs without style features)"
        )
    if len(model_ids) < 2:
        return None, [*warnings, "fewer than two models have votes: nothing to rate"]
    threads = settings.RANKING_ENGINE_THREADS
    engine_counts = _engine_counts(counts)
    rounds = snapshot.params["rounds"]
    fanout = fanout_wanted(len(counts.cells), rounds)
    with threadpool_limits(limits=threads, user_api="blas"):
        ratings = rate(
            engine_counts,
            ties=snapshot.params["ties"],
            rounds=rounds,
            seed=snapshot.seed,
            anchor=_anchor_index(snapshot, model_ids, warnings),
            resample=snapshot.params["resample"],
            interval=snapshot.params["interval"],
            workers=threads,
            runner=FanoutRunner(snapshot.key) if fanout else None,
        )
    keys = dict(AIModel.objects.filter(id__in=model_ids).values_list("id", "key"))
    return ratings, [*warnings, *ratings.warning_texts([keys[i] for i in model_ids])]


def _engine_counts(counts: Counts) -> PairCounts | StyleCounts:
    n_models = len(counts.model_ids)
    if counts.style_rows is None:
        cells = counts.cells
        return PairCounts(
            n_models=n_models,
            model_a=cells[:, 0],
            model_b=cells[:, 1],
            outcome=cells[:, 2],
            count=cells[:, 3].astype(np.float64),
        )
    rows = counts.style_rows
    features_a, features_b = counts.features()
    return StyleCounts(
        n_models=n_models,
        model_a=rows[:, 0],
        model_b=rows[:, 1],
        outcome=rows[:, 2],
        features=style_difference(features_a, features_b),
        count=rows[:, 3].astype(np.float64),
        feature_names=STYLE_FEATURES,
    )


def _anchor_index(
    snapshot: RatingSnapshot, model_ids: list[int], warnings: list[str]
) -> tuple[int, float] | None:
    anchor = snapshot.params.get("anchor")
    if not anchor:
        return None
    model_id = AIModel.objects.filter(key=anchor["model"]).values_list("id", flat=True).first()
    if model_id not in model_ids:
        warnings.append(f"anchor {anchor['model']} has no votes here: mean score set to 1000")
        return None
    return model_ids.index(model_id), float(anchor["score"])


def _rating_rows(
    snapshot: RatingSnapshot, model_ids: list[int], ratings: Ratings
) -> list[ModelRating]:
    return [
        ModelRating(
            snapshot=snapshot,
            model_id=model_id,
            column=i,
            score=float(ratings.score[i]),
            ci_low=float(ratings.ci_low[i]),
            ci_high=float(ratings.ci_high[i]),
            rank=int(ratings.rank[i]),
            rank_ub=int(ratings.rank_ub[i]),
            component=int(ratings.component[i]),
            votes=float(ratings.votes[i]),
            wins=float(ratings.wins[i]),
            ties=float(ratings.ties[i]),
            losses=float(ratings.losses[i]),
            avg_win_rate=float(ratings.avg_win_rate[i]),
        )
        for i, model_id in enumerate(model_ids)
        if ratings.rated[i]
    ]
