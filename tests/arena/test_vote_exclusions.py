"""Anti-abuse rules keep every vote, mark the suspicious ones, and fits leave them out."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.core.cache import caches
from django.utils import timezone

from arena.models import Battle, Output, Vote
from tests.arena.helpers import cast, serve

pytestmark = pytest.mark.django_db


def age_battle(token: str, seconds: float) -> None:
    Battle.objects.filter(token=token).update(served_at=timezone.now() - timedelta(seconds=seconds))


def test_a_vote_faster_than_the_reading_time_is_kept_but_excluded(alice, text_arena, settings):
    # Ten minutes: the vote must come faster however loaded the machine is.
    settings.ARENA_MIN_READ_SECONDS = 600
    token = serve(alice).json()["token"]
    assert cast(alice, token, "a").status_code == 201
    vote = Vote.objects.get()
    assert (vote.excluded, vote.exclusion_reason) == (True, "too_fast")


def test_a_vote_after_the_reading_time_counts(alice, text_arena, settings):
    settings.ARENA_MIN_READ_SECONDS = 600
    token = serve(alice).json()["token"]
    age_battle(token, 601)
    cast(alice, token, "a")
    assert Vote.objects.get().excluded is False


def test_votes_over_the_per_session_rate_get_429_and_are_kept_excluded(alice, text_arena, settings):
    settings.ARENA_MIN_READ_SECONDS = 0
    settings.ARENA_VOTES_PER_MINUTE_PER_SESSION = 2
    statuses = [cast(alice, serve(alice).json()["token"], "a") for _ in range(3)]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert statuses[2]["Retry-After"] == "60"
    assert "kept but will not count" in statuses[2].json()["detail"]
    assert list(Vote.objects.order_by("id").values_list("exclusion_reason", flat=True)) == [
        "",
        "",
        "rate_limit",
    ]


def test_votes_over_the_per_ip_rate_are_excluded_across_sessions(alice, bob, text_arena, settings):
    settings.ARENA_MIN_READ_SECONDS = 0
    settings.ARENA_VOTES_PER_MINUTE_PER_IP = 2
    assert cast(alice, serve(alice).json()["token"], "a").status_code == 201
    assert cast(bob, serve(bob).json()["token"], "a").status_code == 201
    assert cast(bob, serve(bob).json()["token"], "a").status_code == 429
    assert Vote.objects.filter(excluded=True).count() == 1


def test_votes_over_the_daily_cap_are_kept_excluded_and_answered_normally(
    alice, text_arena, settings
):
    settings.ARENA_MIN_READ_SECONDS = 0
    settings.ARENA_DAILY_VOTE_CAP = 2
    statuses = [cast(alice, serve(alice).json()["token"], "b").status_code for _ in range(3)]
    assert statuses == [201, 201, 201]
    assert Vote.objects.filter(exclusion_reason="daily_cap").count() == 1


def test_a_vote_on_an_output_flagged_after_serving_is_excluded(alice, text_arena, settings):
    settings.ARENA_MIN_READ_SECONDS = 0
    token = serve(alice).json()["token"]
    battle = Battle.objects.get(token=token)
    Output.objects.filter(pk=battle.output_a_id).update(
        identity_leak=True, identity_leak_reason="names its lab"
    )
    assert cast(alice, token, "a").status_code == 201
    assert Vote.objects.get().exclusion_reason == "identity_leak"


def test_battle_requests_over_the_limit_get_429(alice, text_arena, settings):
    settings.ARENA_BATTLES_PER_MINUTE_PER_SESSION = 3
    statuses = [serve(alice).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_voting_works_with_redis_and_every_worker_down(alice, text_arena, settings):
    # A cache and a broker that refuse connections: the vote path must not need them.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    settings.ARENA_MIN_READ_SECONDS = 0
    with pytest.raises(redis.exceptions.ConnectionError):  # the cache really is down
        caches["default"].get("probe")
    token = serve(alice).json()["token"]
    assert cast(alice, token, "a").status_code == 201
    assert Vote.objects.count() == 1
