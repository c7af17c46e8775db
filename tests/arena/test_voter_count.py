"""The voter's count counts the votes that count, without telling which were set aside or
why while that could be tested vote by vote: an excluded vote leaves the count only once it
is ``ARENA_VOTE_COUNT_SETTLE_HOURS`` old (docs/decisions.md, "The voter's count")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arena.models import Vote
from arena.selectors import voter_vote_count
from tests.factories import VoteFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def vote(*, hours_ago: float, excluded: bool = False, voter: str = "alice", **fields) -> Vote:
    reason = {"exclusion_reason": Vote.ExclusionReason.TOO_FAST} if excluded else {}
    return VoteFactory(
        voter_key=voter,
        source=Vote.SOURCE_ARENA,
        created_at=NOW - timedelta(hours=hours_ago),
        excluded=excluded,
        **reason,
        **fields,
    )


def test_an_excluded_vote_stops_counting_once_settled(settings):
    settings.ARENA_VOTE_COUNT_SETTLE_HOURS = 24
    vote(hours_ago=30)
    vote(hours_ago=30, excluded=True)  # settled: not counted
    vote(hours_ago=1)
    vote(hours_ago=1, excluded=True)  # too recent to tell apart: still counted
    assert voter_vote_count(voter_key="alice", now=NOW) == 3


def test_a_fresh_exclusion_does_not_show_in_the_count(settings):
    settings.ARENA_VOTE_COUNT_SETTLE_HOURS = 24
    vote(hours_ago=0.01)
    counted_before = voter_vote_count(voter_key="alice", now=NOW)
    vote(hours_ago=0, excluded=True)  # what a too-fast vote looks like
    assert voter_vote_count(voter_key="alice", now=NOW) == counted_before + 1


def test_only_this_voters_votes_cast_here_count(settings):
    vote(hours_ago=1)
    vote(hours_ago=1, voter="bob")
    VoteFactory(voter_key="alice", source="lmsys", created_at=NOW)
    assert voter_vote_count(voter_key="alice", now=NOW) == 1
