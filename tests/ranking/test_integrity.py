"""Manipulation checks: the tests against hand-computed cases, and the beat task flagging a
rigging session (excluded, kept, with evidence) but no honest one, reversibly."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone

from arena.models import AIModel, Battle, Output, Vote, VoterFlag
from arena.voters import voter_flag_lift
from ranking.integrity import vote_integrity_check
from ranking.stats.manipulation import (
    combined_p,
    favour_p,
    selective_voting_p,
    surprisal_p,
    win_probability,
)
from ranking.tasks import vote_integrity_task
from tests.factories import OutputFactory, PromptFactory, PromptSetFactory
from tests.ranking.conftest import cast_votes, compute_snapshot

# --- The tests, against hand-computed answers (no database) --------------------------------


def test_selective_voting_is_the_hypergeometric_tail():
    # 10 battles, 2 showing the model, 2 votes, both on those: 1 / C(10, 2).
    assert selective_voting_p(served=10, served_with=2, voted=2, voted_with=2) == pytest.approx(
        1 / 45
    )
    # Voting on every battle says nothing about the voter's choice.
    assert selective_voting_p(served=10, served_with=2, voted=10, voted_with=2) == 1.0
    assert selective_voting_p(served=10, served_with=2, voted=3, voted_with=0) == 1.0


def test_favour_is_the_poisson_binomial_tail():
    assert favour_p(np.array([0.5, 0.5]), 2) == pytest.approx(0.25)
    assert favour_p(np.array([0.5, 0.5]), 1) == pytest.approx(0.75)
    assert favour_p(np.array([0.9, 0.2]), 2) == pytest.approx(0.18)
    assert favour_p(np.array([0.9, 0.2]), 3) == 0.0


def test_fisher_combines_two_p_values_as_p_times_one_minus_log_p():
    product = 1e-3 * 0.5
    assert combined_p([1e-3, 0.5]) == pytest.approx(product * (1 - math.log(product)))


def test_win_probability_is_on_the_elo_scale():
    assert win_probability(1400.0, 1000.0) == pytest.approx(10 / 11)


def test_surprisal_p_values_of_honest_votes_are_calibrated():
    """Votes drawn from the ratings themselves: about 1% of 20-vote voters fall below 0.01,
    and none below 1e-6."""
    rng = np.random.default_rng(4)
    p_values = []
    for _ in range(4000):
        p_a = rng.uniform(0.1, 0.9, size=20)
        won_a = rng.random(20) < p_a
        p_values.append(surprisal_p(np.where(won_a, p_a, 1 - p_a)))
    p_values = np.array(p_values)
    assert 0.003 < (p_values < 0.01).mean() < 0.025
    assert (p_values < 1e-6).sum() == 0


def test_a_voter_who_always_picks_the_underdog_is_surprising():
    assert surprisal_p(np.full(20, 0.25)) < 1e-6


# --- The check, on the database -----------------------------------------------------------

STRENGTHS = {"m0": 1200.0, "m1": 1100.0, "m2": 1000.0, "m3": 900.0, "m4": 800.0, "m5": 700.0}


@pytest.fixture
def board(db):
    """A current board of six models with known strengths, and one prompt they answered."""
    rng = np.random.default_rng(3)
    keys = list(STRENGTHS)
    cells = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            p = 1 / (1 + 10 ** ((STRENGTHS[b] - STRENGTHS[a]) / 400))
            wins = int(rng.binomial(400, p))
            cells += [(a, b, "a", wins), (a, b, "b", 400 - wins)]
    cast_votes(cells)
    snapshot = compute_snapshot(rounds=0)
    prompt = PromptFactory(prompt_set=PromptSetFactory(name="Q"))
    models = {m.key: m for m in AIModel.objects.all()}
    for key, model in models.items():
        OutputFactory(prompt=prompt, model=model, text=f"{key} says hi")
    return {"snapshot": snapshot, "models": models}


def session(board, key: str, network: str, plays: list[tuple[str, str, str | None]], now):
    """Battles served to one session, voted as ``plays`` say (None: skipped)."""
    outputs = {o.model.key: o for o in Output.objects.select_related("model")}
    for number, (a, b, choice) in enumerate(plays):
        served = now - timedelta(minutes=60 - number)
        battle = Battle.objects.create(
            session_key=key,
            modality="text",
            prompt=outputs[a].prompt,
            output_a=outputs[a],
            output_b=outputs[b],
            model_a=outputs[a].model,
            model_b=outputs[b].model,
            served_at=served,
            expires_at=served + timedelta(hours=1),
            network_hash=network,
        )
        if choice:
            Vote.objects.create(
                battle=battle,
                outcome=choice,
                voter_key=key,
                modality="text",
                model_a=outputs[a].model,
                model_b=outputs[b].model,
                created_at=served + timedelta(seconds=20),
            )


def honest_plays(rng: np.random.Generator, n: int) -> list[tuple[str, str, str | None]]:
    keys = list(STRENGTHS)
    plays = []
    for _ in range(n):
        a, b = rng.choice(keys, size=2, replace=False)
        p = 1 / (1 + 10 ** ((STRENGTHS[b] - STRENGTHS[a]) / 400))
        choice = None if rng.random() < 0.15 else ("a" if rng.random() < p else "b")
        plays.append((str(a), str(b), choice))
    return plays


def rigger_plays(n_votes: int, target: str = "m4") -> list[tuple[str, str, str | None]]:
    """Recognises the target's outputs, skips every battle without it, votes it up."""
    plays = []
    others = [k for k in STRENGTHS if k != target]
    for number in range(n_votes):
        plays += [(others[number % 5], others[(number + 1) % 5], None)] * 4
        plays.append((target, others[number % 5], "a"))
    return plays


def test_a_selective_rigger_is_flagged_and_honest_sessions_are_not(board):
    now = timezone.now()
    rng = np.random.default_rng(8)
    for n in range(40):
        session(board, f"honest-{n}", f"net-{n}", honest_plays(rng, 25), now)
    session(board, "rigger", "net-rigger", rigger_plays(8), now)
    report = vote_integrity_check(now=now)
    flagged = {(flag.subject, flag.key) for flag in report.flags}
    assert ("session", "rigger") in flagged
    assert not any(key.startswith(("honest", "net-honest")) for _, key in flagged)
    rigged = Vote.objects.filter(voter_key="rigger")
    assert rigged.count() == 8  # kept...
    # ...and excluded
    assert set(rigged.values_list("exclusion_reason", flat=True)) == {"flagged_voter"}
    assert not Vote.objects.filter(voter_key__startswith="honest", excluded=True).exists()
    flag = VoterFlag.objects.get(subject="session", key="rigger")
    finding = flag.evidence["findings"][0]
    # Selective (8 of 40 battles, all showing m4), and surprising (m4 won against better
    # models every time): the smaller p-value is recorded.
    assert finding["method"] in {"selective", "surprisal", "favour"}
    assert finding["model_key"] in {"m4", ""} and finding["votes"] == 8
    assert finding["p_value"] < 10.0 ** (-settings.RANKING_INTEGRITY_LOG10_P)
    assert flag.votes.count() == 8


def test_an_admin_can_lift_a_flag_and_the_check_leaves_the_session_alone(board):
    now = timezone.now()
    session(board, "rigger", "net-rigger", rigger_plays(8), now)
    vote_integrity_check(now=now)
    flag = VoterFlag.objects.get(subject="session", key="rigger")
    assert voter_flag_lift(flag_id=flag.pk) == 8
    assert not Vote.objects.filter(voter_key="rigger", excluded=True).exists()
    assert not vote_integrity_check(now=now).flags or all(
        f.key != "rigger" for f in VoterFlag.objects.filter(lifted_at__isnull=True)
    )
    assert not Vote.objects.filter(voter_key="rigger", excluded=True).exists()
    assert VoterFlag.objects.filter(key="rigger").count() == 1  # kept, lifted
    assert voter_flag_lift(flag_id=flag.pk) == 0


def test_a_downvoter_of_a_rival_is_flagged_as_disfavouring_it(board):
    now = timezone.now()
    plays = [("m1", "m2", "b"), ("m1", "m3", "b"), ("m1", "m0", "b"), ("m1", "m4", "b")] * 5
    session(board, "downvoter", "net-d", plays, now)
    vote_integrity_check(now=now)
    finding = VoterFlag.objects.get(subject="session", key="downvoter").evidence["findings"][0]
    assert finding["model_key"] == "m1"
    assert finding["method"] in {"disfavour", "surprisal"}


def test_votes_outside_the_window_are_not_examined(board):
    now = timezone.now()
    session(board, "rigger", "net-rigger", rigger_plays(8), now)
    later = now + timedelta(hours=settings.RANKING_INTEGRITY_WINDOW_HOURS + 2)
    assert vote_integrity_check(now=later).flags == []


def test_the_task_runs_the_check_and_beat_schedules_it(board):
    session(board, "rigger", "net-rigger", rigger_plays(8), timezone.now())
    vote_integrity_task.delay()
    assert VoterFlag.objects.filter(key="rigger").exists()
    entry = settings.CELERY_BEAT_SCHEDULE["vote-integrity-check"]
    assert entry["task"] == "ranking.tasks.vote_integrity_task"


def test_the_admin_lifts_flags_from_the_flag_list(board, admin_client_carol):
    session(board, "rigger", "net-rigger", rigger_plays(8), timezone.now())
    vote_integrity_check()
    flag = VoterFlag.objects.get(key="rigger")
    page = admin_client_carol.get("/admin/arena/voterflag/")
    assert page.status_code == 200 and flag.method in page.content.decode()
    admin_client_carol.post(
        "/admin/arena/voterflag/", {"action": "lift_flags", "_selected_action": [flag.pk]}
    )
    flag.refresh_from_db()
    assert flag.lifted_at is not None and flag.lifted_by is not None
    assert not Vote.objects.filter(voter_key="rigger", excluded=True).exists()
