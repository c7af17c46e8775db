"""Proof of work before a battle is served: a hook for deployments under attack, off
unless ``ARENA_SERVING_POW_BITS`` > 0.

The server hands out a challenge signed with ``SECRET_KEY`` and bound to the voter's
session (``pow_challenge``); the client finds an answer such that SHA-256 of
``"<challenge>:<answer>"`` starts with that many zero bits (``static/js/pow.js`` in the
browser, ``pow_solve`` for API clients) and sends ``"<challenge>:<answer>"`` with its next
battle request: the ``X-Arena-Pow`` header (API, card) or the ``pow`` query parameter
(battle page). A challenge is good for ``CHALLENGE_SECONDS`` and once: its signature is
remembered in the cache until it expires (a cache outage accepts a replay rather than
refusing voters). 16 bits cost about 65,000 hashes: a fraction of a second in a browser,
hours for a farm of a million battles.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from itertools import count

from django.conf import settings
from django.core.cache import cache

from arena.services import Refused

CHALLENGE_SECONDS = 300


class ProofOfWorkRequired(Refused):
    """428: solve ``challenge`` to ``bits`` zero bits and ask again."""

    status = 428

    def __init__(self, message: str, *, challenge: str, bits: int) -> None:
        super().__init__(message)
        self.challenge, self.bits = challenge, bits


def _signature(voter_key: str, body: str) -> str:
    message = f"arena-pow:{voter_key}:{body}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def pow_challenge(*, voter_key: str, bits: int, now: float | None = None) -> str:
    """A fresh challenge for this voter: ``<issued>.<bits>.<random>.<signature>``."""
    issued = int(now if now is not None else time.time())
    body = f"{issued}.{bits}.{secrets.token_hex(8)}"
    return f"{body}.{_signature(voter_key, body)}"


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def pow_solves(challenge: str, answer: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{answer}".encode()).digest()
    return leading_zero_bits(digest) >= bits


def pow_solve(challenge: str, bits: int) -> str:
    """The first answer (a decimal number) that solves ``challenge``: what a client runs."""
    return next(str(n) for n in count() if pow_solves(challenge, str(n), bits))


def pow_verify(solution: str, *, voter_key: str, bits: int, now: float | None = None) -> bool:
    """Whether ``"<challenge>:<answer>"`` solves a challenge issued to this voter, at least
    ``bits`` hard, not expired and not used before."""
    challenge, _, answer = solution.rpartition(":")
    parts = challenge.split(".")
    if len(parts) != 4 or not answer or len(answer) > 32:
        return False
    issued, claimed_bits, _, signature = parts
    body = challenge.rsplit(".", 1)[0]
    if not hmac.compare_digest(signature, _signature(voter_key, body)):
        return False
    now = now if now is not None else time.time()
    if int(claimed_bits) < bits or not 0 <= now - int(issued) <= CHALLENGE_SECONDS:
        return False
    if not pow_solves(challenge, answer, int(claimed_bits)):
        return False
    return _first_use(signature)


def _first_use(signature: str) -> bool:
    try:
        return cache.add(f"arena:pow:{signature}", 1, CHALLENGE_SECONDS)
    except Exception:  # a cache outage must not lock voters out
        return True


def pow_check(solution: str, *, voter_key: str) -> None:
    """Nothing when proof of work is off or ``solution`` is good; else ProofOfWorkRequired
    with a fresh challenge."""
    bits = settings.ARENA_SERVING_POW_BITS
    if bits <= 0 or (solution and pow_verify(solution, voter_key=voter_key, bits=bits)):
        return
    raise ProofOfWorkRequired(
        "Solve the proof-of-work challenge, then ask for the battle again.",
        challenge=pow_challenge(voter_key=voter_key, bits=bits),
        bits=bits,
    )
