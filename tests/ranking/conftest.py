from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from arena.models import AIModel, Vote
from ranking.models import RatingSnapshot
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from tests.factories import AIModelFactory, LabFactory

CUTOFF = datetime(2024, 6, 1, tzinfo=UTC)


def text_vote(
    model_a: AIModel, model_b: AIModel, outcome: str, *, category: str, created_at: datetime
) -> Vote:
    """An unsaved text vote of the test source (for ``bulk_create``)."""
    return Vote(
        source="test",
        outcome=outcome,
        modality="text",
        model_a=model_a,
        model_b=model_b,
        category=category,
        created_at=created_at,
    )


def cast_votes(pairs: list[tuple[str, str, str, int]]) -> None:
    """(key A, key B, outcome, how many) -> one imported text vote row each, holding its
    count, cast on 2024-01-02; the models are made in one US lab when new."""
    lab = LabFactory(name="Lab", country="US")
    Vote.objects.bulk_create(
        Vote(
            source="test",
            outcome=outcome,
            modality="text",
            model_a=AIModelFactory(key=key_a, lab=lab),
            model_b=AIModelFactory(key=key_b, lab=lab),
            count=count,
            created_at=datetime(2024, 1, 2, tzinfo=UTC),
        )
        for key_a, key_b, outcome, count in pairs
    )


def compute_snapshot(**spec: object) -> RatingSnapshot:
    """A text snapshot of the votes before ``CUTOFF``, computed now (``spec`` overrides)."""
    defaults = {"modality": "text", "rounds": 200, "cutoff": CUTOFF}
    snapshot, _ = snapshot_request(spec=SnapshotSpec(**(defaults | spec)))
    return snapshot_compute(snapshot_id=snapshot.pk)


@pytest.fixture
def voted_models(db):
    """Four models with known strengths and 3,000 simulated votes over Jan-Mar 2024."""
    rng = np.random.default_rng(11)
    strengths = {"alpha": 1200.0, "beta": 1100.0, "gamma": 1000.0, "delta": 900.0}
    labs = [LabFactory(name="US lab", country="US"), LabFactory(name="CN lab", country="CN")]
    models = {key: AIModelFactory(key=key, lab=labs[i % 2]) for i, key in enumerate(strengths)}
    keys = list(strengths)
    votes = []
    for n in range(3000):
        a, b = rng.choice(4, size=2, replace=False)
        p_a = 1 / (1 + 10 ** ((strengths[keys[b]] - strengths[keys[a]]) / 400))
        draw = rng.random()
        outcome = "tie" if draw < 0.1 else ("a" if rng.random() < p_a else "b")
        month = 1 + n // 1000
        votes.append(
            text_vote(
                models[keys[a]],
                models[keys[b]],
                outcome,
                category="coding" if n % 2 else "math",
                created_at=datetime(2024, month, 10, tzinfo=UTC),
            )
        )
    Vote.objects.bulk_create(votes)
    return models


# --- the frontier's month-end and current snapshots of ``voted_models`` ---------------------

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def compute(**spec) -> None:
    snapshot, needed = snapshot_request(spec=SnapshotSpec(modality="text", rounds=100, **spec))
    if needed:
        snapshot_compute(snapshot_id=snapshot.pk)


def month_ends(*months: int) -> None:
    for month in months:
        compute(kind="month_end", cutoff=datetime(2024, month + 1, 1, tzinfo=UTC))


@pytest.fixture
def frontier_data(voted_models):
    """alpha (US, 1200), beta (CN, 1100), gamma (US), delta (CN); month-ends and a current fit."""
    for key, month in (("alpha", 2), ("beta", 1), ("gamma", 1), ("delta", 1)):
        voted_models[key].release_date = date(2024, month, 15)
        voted_models[key].save()
    month_ends(1, 2, 3)
    compute(cutoff=NOW)
    return voted_models
