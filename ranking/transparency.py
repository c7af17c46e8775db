"""How a board was made: what a snapshot counted and left out, who was served how often,
what the manipulation checks flagged, the sampling policy, and the models that left the
rotation since the previous board of the same scope. Reads only."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Count, Q

from arena.models import AIModel, Battle, VoterFlag
from arena.sampling import FLOOR
from ranking.models import RatingSnapshot


@dataclass(frozen=True)
class ServedShare:
    name: str
    battles: int
    share: float  # of all battles served, each battle counting once for each of its sides


@dataclass(frozen=True)
class Transparency:
    snapshot_id: int
    modality: str
    cutoff: str
    votes_counted: int
    votes_excluded: dict[str, int]
    battles_served: int
    models_served: list[ServedShare]
    labs_served: list[ServedShare]
    flagged: dict[str, int]  # "sessions", "networks", "votes": active flags' counts
    sampling_policy: dict[str, object]
    retired_since_previous: list[str]
    previous_snapshot_id: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def snapshot_transparency(snapshot: RatingSnapshot) -> Transparency:
    """One snapshot's account of itself; battles and flags up to its cutoff."""
    battles = Battle.objects.filter(modality=snapshot.modality, served_at__lt=snapshot.cutoff)
    if snapshot.category:
        battles = battles.filter(prompt__category=snapshot.category)
    if snapshot.language:
        battles = battles.filter(prompt__language=snapshot.language)
    sides = Counter()
    for model_a, model_b, n in (
        battles.values_list("model_a_id", "model_b_id").annotate(n=Count("id")).order_by()
    ):
        sides[model_a] += n
        sides[model_b] += n
    total = sum(sides.values()) // 2
    models = {m.pk: m for m in AIModel.objects.select_related("lab").filter(pk__in=sides)}
    labs = Counter()
    for model_id, n in sides.items():
        labs[models[model_id].lab.name] += n
    previous = _previous(snapshot)
    return Transparency(
        snapshot_id=snapshot.pk,
        modality=snapshot.modality,
        cutoff=snapshot.cutoff.isoformat(),
        votes_counted=snapshot.n_votes,
        votes_excluded=dict(snapshot.excluded_votes),
        battles_served=total,
        models_served=_shares({models[m].key: n for m, n in sides.items()}, total),
        labs_served=_shares(dict(labs), total),
        flagged=_flag_counts(snapshot),
        sampling_policy=sampling_policy(),
        retired_since_previous=_retired(snapshot, previous, battles),
        previous_snapshot_id=previous.pk if previous else None,
    )


def _shares(counts: dict[str, int], total: int) -> list[ServedShare]:
    return sorted(
        (ServedShare(name, n, n / (2 * total) if total else 0.0) for name, n in counts.items()),
        key=lambda row: (-row.battles, row.name),
    )


def _flag_counts(snapshot: RatingSnapshot) -> dict[str, int]:
    flags = VoterFlag.objects.filter(
        modality=snapshot.modality, created_at__lt=snapshot.cutoff
    ).filter(Q(lifted_at__isnull=True) | Q(lifted_at__gte=snapshot.cutoff))
    by_subject = dict(flags.values_list("subject").annotate(n=Count("id")).order_by())
    return {
        "sessions": by_subject.get(VoterFlag.Subject.SESSION, 0),
        "networks": by_subject.get(VoterFlag.Subject.NETWORK, 0),
        "lifted_by_admins": VoterFlag.objects.filter(
            modality=snapshot.modality, lifted_at__lt=snapshot.cutoff
        ).count(),
    }


def sampling_policy() -> dict[str, object]:
    """The pair-sampling policy in force (``arena.sampling``), with its settings."""
    return {
        "rule": "w_ij = (u_ij + floor) * (1 + boost_i + boost_j): pairs whose order is "
        "still uncertain, new models and under-voted models are served more",
        "floor": FLOOR,
        "new_model_votes": settings.ARENA_NEW_MODEL_VOTES,
        "new_model_boost": settings.ARENA_NEW_MODEL_BOOST,
        "under_voted_boost": settings.ARENA_UNDER_VOTED_BOOST,
    }


def _previous(snapshot: RatingSnapshot) -> RatingSnapshot | None:
    return (
        RatingSnapshot.objects.filter(
            modality=snapshot.modality,
            category=snapshot.category,
            language=snapshot.language,
            style_control=snapshot.style_control,
            kind=snapshot.kind,
            status=RatingSnapshot.Status.DONE,
            cutoff__lt=snapshot.cutoff,
        )
        .order_by("-cutoff", "-id")
        .first()
    )


def _retired(snapshot: RatingSnapshot, previous: RatingSnapshot | None, battles) -> list[str]:
    """Models served before the previous board but in no battle since it: they left the
    rotation (an admin made them or their set inactive)."""
    if previous is None:
        return []
    before = battles.filter(served_at__lt=previous.cutoff)
    since = battles.filter(served_at__gte=previous.cutoff)

    def served(queryset) -> set[int]:
        return set(queryset.values_list("model_a_id", flat=True).distinct()) | set(
            queryset.values_list("model_b_id", flat=True).distinct()
        )

    gone = served(before) - served(since)
    return sorted(AIModel.objects.filter(pk__in=gone).values_list("key", flat=True))
