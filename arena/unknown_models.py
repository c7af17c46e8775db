"""Model keys an import names that the catalogue lacks: reported as row errors (one per key,
at its first row), or created under a placeholder lab for an analyst to complete with
``import_models``. Shared by the set ingest and the vote import."""

from __future__ import annotations

from collections import Counter

from arena.models import AIModel, Lab
from pairwise.rows import RowError

UNKNOWN_LAB = "Unknown (imported)"


def unknown_model_errors(
    rows: list[tuple[int, str]], known: set[str], *, hint: str
) -> list[RowError]:
    """One error per unknown key, at its first row, with how many rows name it."""
    first: dict[str, int] = {}
    counts: Counter[str] = Counter()
    for row, key in rows:
        if key not in known:
            first.setdefault(key, row)
            counts[key] += 1
    return [
        RowError(row, "model", f"unknown model {key!r} ({counts[key]} rows); {hint}")
        for key, row in sorted(first.items(), key=lambda item: item[1])
    ]


def models_create(keys: set[str], modality: str) -> int:
    """Create unknown models under a placeholder lab, to be completed with import_models."""
    if not keys:
        return 0
    lab, _ = Lab.objects.get_or_create(name=UNKNOWN_LAB, defaults={"country": ""})
    AIModel.objects.bulk_create(
        [AIModel(key=key, display_name=key, lab=lab, modalities=[modality]) for key in sorted(keys)]
    )
    return len(keys)
