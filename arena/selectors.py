"""Reads: no side effects."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from arena.models import AIModel, Lab, Modality, Output, Vote


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


def catalogue_counts() -> dict[str, int]:
    return {"labs": Lab.objects.count(), "models": AIModel.objects.count()}
