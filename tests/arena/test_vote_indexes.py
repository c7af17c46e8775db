"""The vote table's partial indexes on voters and addresses leave imported votes out (they
have neither), and the queries that count a voter's or an address's votes still use them
(the rate limits' counts within the vote's locked read of its battle too): on SQLite only
if the query repeats the index's condition, on PostgreSQL if the planner can prove it from
the values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from arena.models import Vote
from arena.selectors import personal_leaderboard, voter_vote_count
from arena.services import _locked_battle
from tests.factories import AIModelFactory, BattleFactory

VOTERS = 100
TOKEN = "battle-of-voter-7"


@pytest.fixture
def arena_and_imported_votes() -> None:
    """Two votes for each of a hundred voters and addresses, and as many imported votes
    without either; statistics gathered, as a site's autovacuum would."""
    model_a, model_b = AIModelFactory(), AIModelFactory()
    now = timezone.now()
    common = {"outcome": Vote.Outcome.A, "modality": "text", "model_a": model_a}
    arena = [
        Vote(
            source=Vote.SOURCE_ARENA,
            voter_key=f"voter-{n % VOTERS}",
            ip_hash=f"{n % VOTERS:032x}",
            created_at=now - timedelta(seconds=n),
            model_b=model_b,
            **common,
        )
        for n in range(2 * VOTERS)
    ]
    imported = [
        Vote(source="lmsys", external_id=f"battle-{n}", model_b=model_b, **common)
        for n in range(2 * VOTERS)
    ]
    Vote.objects.bulk_create(arena + imported)
    BattleFactory(token=TOKEN, session_key="voter-7")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _statements(call: Callable[[], object]) -> list[tuple[str, list]]:
    """The statements on the vote table that ``call`` runs, with their parameters."""
    seen: list[tuple[str, list]] = []

    def keep(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        call()
    return [(sql, params) for sql, params in seen if Vote._meta.db_table in sql]


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table this small is read whole; a big one would not be.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _earlier_votes(*, voter_key: str, ip_hash: str):
    """The rate limits' counts, as the vote reads them with its battle."""
    with transaction.atomic():
        _, earlier = _locked_battle(
            token=TOKEN, voter_key=voter_key, ip_hash=ip_hash, now=timezone.now()
        )
    return earlier


def _calls() -> dict[str, Callable[[], object]]:
    voter, address = "voter-7", f"{7:032x}"
    return {
        "rate limits": lambda: _earlier_votes(voter_key=voter, ip_hash=address),
        "voter's count": lambda: voter_vote_count(voter_key=voter),
        "voter's board": lambda: personal_leaderboard(voter_key=voter, modality="text"),
    }


def _indexes_used(call: Callable[[], object]) -> set[str]:
    (statement,) = _statements(call)
    plan = _plan(*statement)
    return {name for name in ("vote_voter_recent", "vote_address_recent") if name in plan}


WANTED = {
    "rate limits": {"vote_voter_recent", "vote_address_recent"},
    "voter's count": {"vote_voter_recent"},
    "voter's board": {"vote_voter_recent"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("query", sorted(WANTED))
def test_a_voters_votes_are_found_through_the_partial_indexes(arena_and_imported_votes, query):
    assert _indexes_used(_calls()[query]) == WANTED[query]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("query", sorted(WANTED))
def test_a_voters_votes_are_found_through_the_partial_indexes_on_postgresql(
    arena_and_imported_votes, query
):
    assert connection.vendor == "postgresql"
    assert _indexes_used(_calls()[query]) == WANTED[query]


@pytest.mark.django_db
def test_the_counts_through_the_partial_indexes_are_exact(arena_and_imported_votes):
    earlier = _earlier_votes(voter_key="voter-7", ip_hash=f"{7:032x}")
    # voter-7 cast votes 7 and 107 seconds ago, from the same address.
    assert (earlier.voter, earlier.voter_day, earlier.voter_minute) == (2, 2, 1)
    assert earlier.address_minute == 1
    assert voter_vote_count(voter_key="voter-7") == 2
    assert voter_vote_count(voter_key="") == 0
