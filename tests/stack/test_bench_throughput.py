"""A smoke test of bench/throughput.py's load generator and reference view (the benchmark
itself is not a test): voter sessions really fetch battles and vote, every vote answered
201 is in the database once, and the reference view writes one row per request."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import RequestFactory

from arena.models import Vote
from bench.throughput import drive, vote_once
from config.bench import insert_one_row

pytestmark = pytest.mark.django_db(transaction=True)


def test_voters_vote_and_every_acknowledged_vote_is_stored(live_server, text_arena, settings):
    settings.ARENA_VOTES_PER_MINUTE_PER_IP = 10_000
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
