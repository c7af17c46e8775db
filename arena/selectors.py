"""Reads: no side effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from arena.models import VOTER_KNOWN, Battle, Modality, Output, Vote
from pairwise.outcomes import credit_a


@dataclass(frozen=True)
class ModalityOverview:
    modality: str
    label: str
    models: int
    outputs: int
    prompts: int
    votes: int
    demo_votes: int


def arena_overview() -> list[ModalityOverview]:
    """Per modality: how many models have servable outputs, and how many votes count."""
    outputs = {
        row["modality"]: row
        for row in Output.objects.filter(identity_leak=False)
        .values("modality")
        .annotate(
            outputs=Count("id"),
            models=Count("model", distinct=True),
            prompts=Count("prompt", distinct=True),
        )
    }
    votes = {
        row["modality"]: row
        for row in Vote.objects.filter(excluded=False)
        .values("modality")
        .annotate(votes=Sum("count"), demo=Sum("count", filter=Q(source=Vote.SOURCE_DEMO)))
    }
    return [
        ModalityOverview(
            modality=modality.value,
            label=modality.label,
            models=outputs.get(modality.value, {}).get("models", 0),
            outputs=outputs.get(modality.value, {}).get("outputs", 0),
            prompts=outputs.get(modality.value, {}).get("prompts", 0),
            votes=votes.get(modality.value, {}).get("votes") or 0,
            demo_votes=votes.get(modality.value, {}).get("demo") or 0,
        )
        for modality in Modality
    ]


# --- Battles ----------------------------------------------------------------------------


def servable_outputs(*, modality: str, category: str = "", language: str = "") -> QuerySet:
    """Outputs that may be shown blind: no identity leak, active model and set, filters."""
    outputs = Output.objects.filter(
        modality=modality,
        identity_leak=False,
        model__is_active=True,
        prompt__prompt_set__is_active=True,
        prompt__prompt_set__modality=modality,
    )
    if category:
        outputs = outputs.filter(prompt__category=category)
    if language:
        outputs = outputs.filter(prompt__language=language)
    return outputs


def voter_vote_count(*, voter_key: str, now: datetime | None = None) -> int:
    """The voter's votes that count: the votes of the last ``ARENA_VOTE_COUNT_SETTLE_HOURS``
    (not yet told apart) and the older ones not excluded. An excluded vote leaves the count
    only once it is that old, so the counter never tells which vote, speed or rate the
    checks set aside (docs/decisions.md, "The voter's count")."""
    now = now or timezone.now()
    settled = now - timedelta(hours=settings.ARENA_VOTE_COUNT_SETTLE_HOURS)
    return (
        Vote.objects.filter(VOTER_KNOWN, voter_key=voter_key, source=Vote.SOURCE_ARENA)
        .filter(Q(excluded=False) | Q(created_at__gt=settled))
        .count()
    )


@dataclass(frozen=True)
class PersonalRow:
    model: str
    lab: str
    votes: int
    wins: float
    win_rate: float


def personal_leaderboard(*, voter_key: str, modality: str) -> list[PersonalRow]:
    """The voter's own board: each model's win rate in the voter's votes (ties half)."""
    rows = Vote.objects.filter(
        VOTER_KNOWN, voter_key=voter_key, source=Vote.SOURCE_ARENA, modality=modality
    ).values_list(
        "model_a__display_name",
        "model_a__lab__name",
        "model_b__display_name",
        "model_b__lab__name",
        "outcome",
    )
    tally: dict[tuple[str, str], list[float]] = {}
    for name_a, lab_a, name_b, lab_b, outcome in rows:
        share_a = credit_a(outcome)
        for key, share in (((name_a, lab_a), share_a), ((name_b, lab_b), 1.0 - share_a)):
            entry = tally.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += share
    board = [
        PersonalRow(model=name, lab=lab, votes=int(n), wins=wins, win_rate=wins / n)
        for (name, lab), (n, wins) in tally.items()
    ]
    return sorted(board, key=lambda row: (-row.win_rate, -row.votes, row.model))


def battle_for_voter(*, token: str, voter_key: str) -> Battle | None:
    """The battle with its prompt, outputs, models and labs, if it was served to this voter."""
    return (
        Battle.objects.select_related(
            "prompt", "output_a", "output_b", "model_a__lab", "model_b__lab", "vote"
        )
        .filter(token=token, session_key=voter_key)
        .first()
    )
