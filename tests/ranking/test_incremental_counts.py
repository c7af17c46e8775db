"""A refresh adds the votes since the scope's previous snapshot to its counts: the result is
the full count cell for cell (same fingerprint), whatever was cast, excluded or re-included
in between; the periodic recount checks it and a disagreement brings back full counts."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from arena.models import Vote
from ranking.aggregation import count_all, counts_recount, fingerprint_of
from ranking.models import RatingSnapshot
from ranking.storage import snapshot_data
from ranking.tasks import snapshot_recount_task
from tests.ranking.conftest import compute_snapshot
from tests.ranking.test_style_control import compute as compute_styled
from tests.ranking.test_style_control import styled_votes  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

FEB_15 = datetime(2024, 2, 15, tzinfo=UTC)


def exclude(vote_id: int, reason: str = "admin") -> None:
    Vote.objects.filter(id=vote_id).update(excluded=True, exclusion_reason=reason)


def include(vote_id: int) -> None:
    Vote.objects.filter(id=vote_id).update(excluded=False, exclusion_reason="")


def assert_same_as_a_full_count(snapshot: RatingSnapshot) -> None:
    full = count_all(snapshot)
    data = snapshot_data(snapshot)
    assert snapshot.fingerprint == fingerprint_of(full)
    assert data["model_ids"].tolist() == full.model_ids
    assert np.array_equal(data["cells"], full.cells)
    assert np.array_equal(data["excluded_ids"], full.excluded_ids)
    assert snapshot.excluded_votes == full.excluded
    assert snapshot.votes_without_style == full.without_style
    if full.style_rows is not None:
        assert np.array_equal(data["style_rows"], full.style_rows)


def test_added_counts_equal_the_full_count_after_votes_exclusions_and_reinclusions(
    voted_models,
):
    ids = list(Vote.objects.order_by("id").values_list("id", flat=True))
    # A January vote dated March: below the first snapshot's highest id, after its cutoff.
    Vote.objects.filter(id=ids[10]).update(created_at=datetime(2024, 3, 5, tzinfo=UTC))
    exclude(ids[20]), exclude(ids[21], "too_fast")
    first = compute_snapshot(cutoff=FEB_15)
    assert first.counted_from is None and first.counts_depth == 0
    assert_same_as_a_full_count(first)

    exclude(ids[30], "flagged_voter")  # seen by the first snapshot, excluded since
    include(ids[20])  # excluded then, re-included since
    exclude(ids[2500])  # a vote the first snapshot did not see
    second = compute_snapshot()
    assert second.counted_from_id == first.pk and second.counts_depth == 1
    assert second.n_votes == 3000 - 3
    assert second.excluded_votes == {"admin": 1, "flagged_voter": 1, "too_fast": 1}
    assert_same_as_a_full_count(second)

    include(ids[30]), exclude(ids[40]), exclude(ids[41])
    third = compute_snapshot(category="math")
    assert third.counted_from is None  # another scope: counted in full
    fourth = compute_snapshot()
    assert fourth.counted_from_id == second.pk and fourth.counts_depth == 2
    assert_same_as_a_full_count(fourth)


def test_style_controlled_counts_are_added_up_exactly_too(styled_votes):  # noqa: F811
    first = compute_styled(style_control=True)
    ids = list(Vote.objects.order_by("id").values_list("id", flat=True))
    exclude(ids[5]), exclude(ids[-1])  # one vote on a battle, one imported (without style)
    second = compute_styled(style_control=True)
    assert second.counted_from_id == first.pk
    assert second.votes_without_style == 49
    assert_same_as_a_full_count(second)


def test_a_full_count_after_so_many_added_up_in_a_row(voted_models, settings):
    settings.RANKING_FULL_COUNT_EVERY = 1
    first = compute_snapshot(cutoff=datetime(2024, 1, 15, tzinfo=UTC))
    second = compute_snapshot(cutoff=FEB_15)
    third = compute_snapshot()
    assert (second.counted_from_id, second.counts_depth) == (first.pk, 1)
    assert (third.counted_from, third.counts_depth) == (None, 0)
    assert_same_as_a_full_count(third)


def test_the_recount_confirms_added_counts_and_a_disagreement_brings_back_full_counts(
    voted_models, caplog
):
    ids = list(Vote.objects.order_by("id").values_list("id", flat=True))
    first = compute_snapshot(cutoff=FEB_15)
    exclude(ids[1])
    second = compute_snapshot()
    snapshot_recount_task()
    second.refresh_from_db()
    assert second.recount_agrees is True and second.recounted_at is not None
    assert counts_recount() == []  # checked once

    exclude(ids[2])
    third = compute_snapshot()
    assert third.counted_from_id == second.pk
    # Votes deleted behind the product's back: the counts added up no longer match.
    Vote.objects.filter(id__in=ids[100:110]).delete()
    assert [snapshot.pk for snapshot in counts_recount()] == [third.pk]
    third.refresh_from_db()
    assert third.recount_agrees is False
    assert "does not match its incremental counts" in caplog.text
    exclude(ids[3])
    fourth = compute_snapshot()
    assert fourth.counted_from is None  # neither third nor the earlier ones are trusted
    assert_same_as_a_full_count(fourth)
    assert first.pk != fourth.pk
