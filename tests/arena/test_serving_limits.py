"""Battles cannot be farmed: per address and per network (IPv4 /24, IPv6 /48) serving
limits, answered 429 with Retry-After, in the API and on the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from arena.models import Battle
from arena.services import Throttled
from arena.serving_limits import ServingClient, serving_check
from arena.voters import network_prefix

pytestmark = pytest.mark.django_db

API = "/api/v1/battles/next/?modality=text"


@pytest.fixture
def limits(settings):
    settings.ARENA_BATTLES_PER_MINUTE_PER_SESSION = 1000
    settings.ARENA_BATTLES_PER_MINUTE_PER_IP = 3
    settings.ARENA_BATTLES_PER_MINUTE_PER_NETWORK = 5
    return settings


def fresh(ip: str):
    """A new cookie-less client (a new session each time) from one address."""
    return Client(REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    "ip, network",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_addresses_are_grouped_by_their_slash_24_or_slash_48(ip, network):
    assert network_prefix(ip) == network


def test_new_sessions_from_one_address_cannot_farm_battles(text_arena, limits):
    statuses = [fresh("203.0.113.7").get(API).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = fresh("203.0.113.7").get(API)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many battles served to your address" in refused.json()["detail"]
    assert Battle.objects.count() == 3
    # Another network is not affected.
    assert fresh("198.51.100.1").get(API).status_code == 200


def test_many_addresses_of_one_network_share_its_limit(text_arena, limits):
    statuses = [fresh(f"203.0.113.{n}").get(API).status_code for n in range(1, 8)]
    assert statuses == [200] * 5 + [429] * 2
    assert "network" in fresh("203.0.113.99").get(API).json()["detail"]


def test_ipv6_clients_are_limited_per_slash_48(text_arena, limits):
    statuses = [fresh(f"2001:db8:1:{n:x}::1").get(API).status_code for n in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert fresh("2001:db8:2::1").get(API).status_code == 200


def test_the_battle_page_answers_a_readable_429_with_retry_after(text_arena, limits):
    for _ in range(3):
        assert fresh("203.0.113.7").get("/arena/text/").status_code == 200
    page = fresh("203.0.113.7").get("/arena/text/")
    assert page.status_code == 429 and int(page["Retry-After"]) >= 1
    assert "Too many battles served to your address" in page.content.decode()
    card = fresh("203.0.113.7").get("/arena/text/card/")
    assert card.status_code == 429 and card["Retry-After"]


def test_the_window_frees_a_place_when_its_oldest_battle_leaves_it(text_arena, limits):
    client = ServingClient(ip_hash="h" * 32, network_hash="n" * 32)
    now = timezone.now()
    for seconds in (50, 20, 10):
        battle = Battle.objects.create(
            session_key="s",
            modality="text",
            prompt=text_arena["prompts"][0],
            output_a=text_arena["prompts"][0].outputs.all()[0],
            output_b=text_arena["prompts"][0].outputs.all()[1],
            model_a=text_arena["models"][0],
            model_b=text_arena["models"][1],
            served_at=now - timedelta(seconds=seconds),
            expires_at=now + timedelta(hours=1),
            ip_hash=client.ip_hash,
            network_hash=client.network_hash,
        )
    with pytest.raises(Throttled) as caught:
        serving_check(client, now=now)
    assert caught.value.retry_after == 10  # the battle served 50 s ago leaves in 10 s
    serving_check(client, now=now + timedelta(seconds=11))
    assert battle.pk


def test_hourly_limits_hold_a_patient_scraper_too(text_arena, limits):
    limits.ARENA_BATTLES_PER_MINUTE_PER_IP = 100
    limits.ARENA_BATTLES_PER_HOUR_PER_IP = 2
    statuses = [fresh("203.0.113.7").get(API).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "per hour" in fresh("203.0.113.7").get(API).json()["detail"]
