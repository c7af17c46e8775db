"""Which address counts as the voter's: rate limits per IP rest on it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from arena.voters import client_ip

FORWARDED = "HTTP_X_FORWARDED_FOR"


def address(**meta: str) -> str:
    return client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **meta))


def test_without_a_proxy_header_it_is_the_remote_address(settings):
    settings.ARENA_CLIENT_IP_HEADER = "REMOTE_ADDR"
    assert address(HTTP_X_FORWARDED_FOR="6.6.6.6") == "10.0.0.2"


def test_a_spoofed_forwarded_entry_is_ignored_behind_one_proxy(settings):
    settings.ARENA_CLIENT_IP_HEADER = FORWARDED
    settings.ARENA_TRUSTED_PROXY_COUNT = 1
    # The client wrote 6.6.6.6; the proxy appended the address it really came from.
    assert address(HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_it_is_the_entry_the_outer_proxy_appended(settings):
    settings.ARENA_CLIENT_IP_HEADER = FORWARDED
    settings.ARENA_TRUSTED_PROXY_COUNT = 2
    assert address(HTTP_X_FORWARDED_FOR="6.6.6.6,203.0.113.7, 10.0.0.1") == "203.0.113.7"


@pytest.mark.parametrize("header", ["", "203.0.113.7"])
def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_remote_address(settings, header):
    settings.ARENA_CLIENT_IP_HEADER = FORWARDED
    settings.ARENA_TRUSTED_PROXY_COUNT = 2
    assert address(HTTP_X_FORWARDED_FOR=header) == "10.0.0.2"


def test_a_single_address_header_is_taken_as_it_is(settings):
    settings.ARENA_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.ARENA_TRUSTED_PROXY_COUNT = 1
    assert address(HTTP_X_REAL_IP=" 203.0.113.7 ") == "203.0.113.7"
