"""Incremental counts on PostgreSQL, outside any test transaction: the counting reads run in
one REPEATABLE READ transaction of their own there."""

from __future__ import annotations

import pytest

from tests.ranking import test_incremental_counts as incremental

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_added_counts_equal_the_full_count_on_postgresql(voted_models):
    incremental.test_added_counts_equal_the_full_count_after_votes_exclusions_and_reinclusions(
        voted_models
    )


def test_the_recount_on_postgresql(voted_models, caplog):
    incremental.test_the_recount_confirms_added_counts_and_a_disagreement_brings_back_full_counts(
        voted_models, caplog
    )
