"""The proof-of-work hook: off by default; on, no battle is served without a fresh,
solved, session-bound challenge, in the API and on the pages (no inline script)."""

from __future__ import annotations

import hashlib
import time

import pytest
from rest_framework.test import APIClient

from arena.proof_of_work import (
    CHALLENGE_SECONDS,
    leading_zero_bits,
    pow_challenge,
    pow_solve,
    pow_solves,
    pow_verify,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/battles/next/?modality=text"


@pytest.fixture
def pow_on(settings):
    settings.ARENA_SERVING_POW_BITS = 8
    return settings


@pytest.mark.parametrize(
    "digest, bits",
    [
        (b"\x80" + b"\x00" * 31, 0),
        (b"\x01" + b"\xff" * 31, 7),
        (b"\x00\x00\x10" + b"\x00" * 29, 19),
    ],
)
def test_leading_zero_bits_are_counted_bit_by_bit(digest, bits):
    assert leading_zero_bits(digest) == bits


def test_a_solved_challenge_hashes_to_the_required_zero_bits():
    challenge = pow_challenge(voter_key="v", bits=12)
    answer = pow_solve(challenge, 12)
    digest = hashlib.sha256(f"{challenge}:{answer}".encode()).digest()
    assert leading_zero_bits(digest) >= 12 and pow_solves(challenge, answer, 12)


def test_a_solution_is_good_once_for_its_own_voter_and_not_after_it_expires():
    now = time.time()
    challenge = pow_challenge(voter_key="alice", bits=8, now=now)
    solution = f"{challenge}:{pow_solve(challenge, 8)}"
    assert not pow_verify(solution, voter_key="bob", bits=8, now=now)
    assert not pow_verify(solution, voter_key="alice", bits=8, now=now + CHALLENGE_SECONDS + 1)
    assert not pow_verify(solution, voter_key="alice", bits=9, now=now)  # too easy now
    assert pow_verify(solution, voter_key="alice", bits=8, now=now)
    assert not pow_verify(solution, voter_key="alice", bits=8, now=now)  # used


def test_a_challenge_whose_difficulty_was_edited_is_refused():
    issued, _, nonce, signature = pow_challenge(voter_key="v", bits=8).split(".")
    easier = f"{issued}.0.{nonce}.{signature}"
    assert not pow_verify(f"{easier}:0", voter_key="v", bits=0)
    assert not pow_verify("garbage", voter_key="v", bits=0)


def test_it_is_off_by_default(text_arena):
    assert APIClient().get(API).status_code == 200


def test_the_api_asks_for_work_then_serves_the_battle(text_arena, pow_on):
    client = APIClient()
    refused = client.get(API)
    assert refused.status_code == 428
    challenge, bits = refused.json()["pow"]["challenge"], refused.json()["pow"]["bits"]
    solution = f"{challenge}:{pow_solve(challenge, bits)}"
    assert client.get(API, HTTP_X_ARENA_POW=solution).status_code == 200
    assert client.get(API, HTTP_X_ARENA_POW=solution).status_code == 428  # used once
    # A cookie-less scraper gets a new session, to which the old solution does not belong.
    fresh = client.get(API).json()["pow"]["challenge"]
    other = APIClient().get(API, HTTP_X_ARENA_POW=f"{fresh}:{pow_solve(fresh, bits)}")
    assert other.status_code == 428


def test_the_battle_page_hands_the_browser_a_challenge_and_a_script_file(
    client, text_arena, pow_on
):
    page = client.get("/arena/text/")
    assert page.status_code == 428
    html = page.content.decode()
    assert 'data-pow-bits="8"' in html and "js/pow.js" in html
    assert "<script>" not in html  # no inline script: the work is done by static/js/pow.js
    challenge = html.split('data-pow-challenge="')[1].split('"')[0]
    solved = client.get(f"/arena/text/?pow={challenge}:{pow_solve(challenge, 8)}")
    assert solved.status_code == 200 and "data-battle-card" in solved.content.decode()
    assert client.get("/arena/text/card/").status_code == 428
