from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest

from arena.models import Vote
from ranking.models import ModelRating, RatingSnapshot
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from ranking.storage import snapshot_data

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def compute(**spec) -> RatingSnapshot:
    snapshot, needed = snapshot_request(
        spec=SnapshotSpec(**({"rounds": 200, "cutoff": NOW} | spec))
    )
    assert needed
    return snapshot_compute(snapshot_id=snapshot.pk)


def board(snapshot: RatingSnapshot) -> dict[str, tuple]:
    return {
        row.model.key: (row.score, row.ci_low, row.ci_high, row.rank, row.rank_ub, row.votes)
        for row in snapshot.ratings.select_related("model")
    }


def test_a_snapshot_recovers_the_true_order_with_intervals(voted_models):
    snapshot = compute(modality="text", anchor=("gamma", 1000.0))
    rows = board(snapshot)
    assert [key for key, _ in sorted(rows.items(), key=lambda kv: kv[1][3])] == [
        "alpha",
        "beta",
        "gamma",
        "delta",
    ]
    assert rows["gamma"][0] == pytest.approx(1000.0)
    for score, low, high, *_ in rows.values():
        assert low <= score <= high
    # Ties at 10% shrink the scale a little; the truth is 100 points per step.
    assert 60 < rows["alpha"][0] - rows["beta"][0] < 140
    assert snapshot.n_votes == 3000 and snapshot.n_models == 4 and snapshot.status == "done"
    assert snapshot.anchored
    assert len(snapshot.fingerprint) == 64 and snapshot.code_version.startswith("ranking.stats/")


def test_same_votes_and_seed_give_identical_numbers_and_fingerprint(voted_models):
    first = compute(modality="text")
    numbers, fingerprint, key = board(first), first.fingerprint, first.key
    # Remove it behind the product's back, then ask again: the same key, recomputed.
    ModelRating.objects.filter(snapshot=first).delete()
    RatingSnapshot.objects.filter(pk=first.pk).delete()
    second = compute(modality="text")
    assert second.key == key and second.fingerprint == fingerprint
    assert board(second) == numbers


def test_the_seed_changes_intervals_but_not_the_point_estimates(voted_models):
    first, second = compute(modality="text", seed=1), compute(modality="text", seed=2)
    a, b = board(first), board(second)
    assert all(a[k][0] == pytest.approx(b[k][0]) for k in a)
    assert any(a[k][1] != b[k][1] for k in a)
    assert first.fingerprint == second.fingerprint


def test_an_as_of_cutoff_leaves_later_votes_out(voted_models):
    january = compute(modality="text", kind="month_end", cutoff=datetime(2024, 2, 1, tzinfo=UTC))
    assert january.n_votes == 1000
    assert sum(row[5] for row in board(january).values()) == 2000  # two models per vote


def test_excluded_votes_are_counted_by_reason_and_left_out(voted_models):
    Vote.objects.filter(pk__in=list(Vote.objects.values_list("pk", flat=True)[:7])).update(
        excluded=True, exclusion_reason="too_fast"
    )
    snapshot = compute(modality="text")
    assert snapshot.n_votes == 2993 and snapshot.excluded_votes == {"too_fast": 7}
    assert snapshot.vote_filter == {"excluded": False}


def test_a_category_snapshot_counts_only_that_category(voted_models):
    snapshot = compute(modality="text", category="coding")
    assert snapshot.n_votes == 1500 and snapshot.scope == "coding"


def test_replicates_are_kept_with_the_snapshot(voted_models):
    snapshot = compute(modality="text", rounds=150)
    data = snapshot_data(snapshot)
    assert data["replicates"].shape == (150, 4)
    assert data["cells"].shape[1] == 4 and int(data["cells"][:, 3].sum()) == 3000
    columns = dict(snapshot.ratings.values_list("model_id", "column"))
    assert sorted(columns) == list(data["model_ids"])


def test_an_absent_anchor_falls_back_to_the_mean_with_a_warning(voted_models):
    from tests.factories import AIModelFactory

    AIModelFactory(key="unvoted")
    snapshot = compute(modality="text", anchor=("unvoted", 1114.0))
    assert "anchor unvoted has no votes here" in snapshot.warnings[0]
    assert not snapshot.anchored
    scores = [row[0] for row in board(snapshot).values()]
    assert sum(scores) / len(scores) == pytest.approx(1000.0)


def test_a_modality_without_votes_makes_an_empty_done_snapshot(db):
    snapshot = compute(modality="video")
    assert snapshot.status == "done" and snapshot.n_models == 0
    assert "nothing to rate" in snapshot.warnings[0]


def test_a_fit_that_did_not_converge_is_a_warning_of_the_snapshot(voted_models, monkeypatch):
    import ranking.services
    from ranking.stats import rate

    monkeypatch.setattr(ranking.services, "rate", functools.partial(rate, max_iter=1))
    snapshot = compute(modality="text")
    assert snapshot.status == "done"
    assert any("the fit did not converge" in warning for warning in snapshot.warnings)
