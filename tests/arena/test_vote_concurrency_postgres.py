"""Two requests voting on one battle at the same moment, on the real PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections

from arena.models import Vote
from tests.arena.helpers import cast, serve

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("first", "second", "statuses"),
    [
        ("a", "b", [201, 409]),  # different choices: one wins, the other is told
        ("tie", "tie", [201, 201]),  # the same vote twice (a retry): one vote, same answer
    ],
)
def test_parallel_votes_on_one_battle_leave_exactly_one(
    alice, text_arena, settings, first, second, statuses
):
    settings.ARENA_MIN_READ_SECONDS = 0
    token = serve(alice).json()["token"]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def vote(choice: str) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(cast(alice, token, choice).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(choice,)) for choice in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == statuses
    assert Vote.objects.filter(battle__token=token).count() == 1


VOTERS = 64


def test_many_voters_on_battles_sharing_models_all_vote_once(text_arena, settings):
    """64 voters vote at the same moment, each on their own battle; every battle pits two of
    the same three models (and labs) against each other. Locking those shared rows with the
    battle made concurrent votes deadlock; only the battle row may be locked."""
    from rest_framework.test import APIClient

    settings.ARENA_MIN_READ_SECONDS = 0
    settings.ARENA_VOTES_PER_MINUTE_PER_IP = 10 * VOTERS  # one address for all of them
    settings.ARENA_BATTLES_PER_MINUTE_PER_IP = 10 * VOTERS
    settings.ARENA_BATTLES_PER_MINUTE_PER_NETWORK = 10 * VOTERS
    voters = [APIClient(enforce_csrf_checks=True) for _ in range(VOTERS)]
    tokens = [serve(voter).json()["token"] for voter in voters]
    connections.close_all()
    barrier = threading.Barrier(VOTERS)
    statuses: dict[str, int] = {}

    def vote(voter: APIClient, token: str) -> None:
        try:
            barrier.wait(timeout=60)
            statuses[token] = cast(voter, token, "a").status_code
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=vote, args=pair) for pair in zip(voters, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == {token: 201 for token in tokens}
    per_battle = Counter(
        Vote.objects.filter(battle__token__in=tokens).values_list("battle__token", flat=True)
    )
    assert per_battle == {token: 1 for token in tokens}
