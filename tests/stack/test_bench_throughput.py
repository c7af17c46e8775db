"""A smoke test of bench/throughput.py's load generator and reference view (the benchmark
itself is not a test): voter sessions really fetch battles and vote, every vote answered
201 is in the database once, the reference view writes one row per request, and the
open-loop phases count a stall against every iteration that was due during it."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import RequestFactory

from arena.models import Vote
from bench.throughput import UNLIMITED, drive, vote_once
from config.bench import insert_one_row

pytestmark = pytest.mark.django_db(transaction=True)


def test_voters_vote_and_every_acknowledged_vote_is_stored(live_server, text_arena, settings):
    # The bench's own limits: with the defaults, a fast machine votes more than a session's
    # twelve a minute within the second and gets 429 (seen in CI).
    for name, value in UNLIMITED.items():
        if value.isdigit():
            setattr(settings, name, int(value))
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    # One voter: the in-memory test database of SQLite locks whole tables between threads.
    tally = drive([urlsplit(live_server.url).port], 1, 1.0, vote_once)
    assert tally.iterations > 0 and tally.errors == []
    assert set(tally.statuses) <= {200, 201}
    assert Vote.objects.filter(source=Vote.SOURCE_ARENA).count() == tally.statuses[201]


def test_the_reference_view_inserts_one_row_per_request():
    before = Session.objects.count()
    response = insert_one_row(RequestFactory().post("/bench/insert/"))
    assert response.status_code == 201
    assert Session.objects.count() == before + 1


@pytest.mark.django_db(transaction=False)
def test_the_open_loop_counts_a_stall_against_every_iteration_due_during_it():
    # One user offering 20 iterations a second for half a second: 10 iterations, due every
    # 50 ms. The first stalls 300 ms: the five due during the stall start late, and their
    # latencies count from when they were due (a closed loop would show one slow iteration).
    stalls = [0.3]

    async def iteration(client) -> bool:
        await asyncio.sleep(stalls.pop() if stalls else 0)
        return True

    tally = drive([1], 1, 0.5, iteration, rate=20)
    assert tally.iterations == 10
    late = [latency for latency in tally.latencies if latency >= 0.05]
    assert len(late) >= 6
