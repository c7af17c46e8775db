"""Two requests voting on one battle at the same moment, on the real PostgreSQL."""

from __future__ import annotations

import threading

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
