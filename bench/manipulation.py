"""Benchmark: how far can an attacker move a model, with the defences off and on?

    python -m bench.manipulation [--models 12] [--honest 3000] [--budgets 100,500,2000]

A simulated arena on the real ratings: ``--models`` models taken evenly down the Chatbot
Arena board fitted from ``../shared/data/lmsys_2024_08`` (their real keys and scores), one
text set, and honest sessions (each with its own taste: the true scores plus N(0, 40²)
per model) who vote as Bradley-Terry predicts, skip 15% of their battles, and take 10-40
seconds a battle. Everything goes through the product: battles are served by
``battle_create`` after ``serving_check`` (as the views do), votes are cast by
``vote_cast`` (its rate, cap and reading-time rules), boards are computed by the snapshot
pipeline (``snapshot_request`` + ``snapshot_compute``), and the defences are the
manipulation checks (``vote_integrity_check``) and the serving limits. Time is a
simulated clock (``django.utils.timezone.now`` patched), so no run waits.

Attacks, each by 50 sessions (``budget`` = the votes they cast):

* ``fast``: one address, no waiting, votes for the target when it is on screen, at random
  otherwise;
* ``careful``: each session on its own address and network, waits 3.2 s, at most 12 votes
  a minute, recognises the target perfectly and votes only when it is on screen (the
  issue's attacker; Min et al.'s target-only strategy, worst case);
* ``omnipresent``: as careful but votes in every battle: for the target when it is there,
  otherwise for the lower-rated model whenever one of the two is above the target (pulling
  down the models it must overtake);
* ``rival``: as careful, but votes only when the model just above the target is on
  screen, against it.

"off" is the product before this benchmark's defences (the vote rules only, no serving
limits per address or network, no manipulation checks); "on" adds both. The shift is the
moved model's score in the board after the attack minus its score before (the same honest
votes), beside its 95% interval half-width before: the reference this run measures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ARENA_SHARED_DATA", ROOT.parent / "shared" / "data"))
LMSYS = DATA / "lmsys_2024_08" / "pair_counts_20240814.csv"
START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
ATTACKS = ("fast", "careful", "omnipresent", "rival")
ATTACK_SESSIONS = 50


class Clock:
    """The simulated time every ``timezone.now()`` returns while ``running``."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.plans_due = start  # when beat would next refresh the serving plans

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @contextlib.contextmanager
    def running(self) -> Iterator[Clock]:
        with mock.patch("django.utils.timezone.now", lambda: self.now):
            yield self


def real_scores(n_models: int) -> dict[str, float]:
    """``n_models`` models evenly spaced down the real Chatbot Arena board (key: score)."""
    from ranking.stats import rate
    from ranking.stats.io import read_pair_counts_csv

    votes = read_pair_counts_csv(LMSYS)
    board = rate(votes.counts, rounds=0, interval="analytic")
    order = np.argsort(-board.score)
    picked = order[np.linspace(0, len(order) - 1, n_models).round().astype(int)]
    return {votes.labels[i]: float(board.score[i]) for i in picked}


@dataclass
class Arena:
    """The models (key -> AIModel id), their true scores, the target and its rival."""

    ids: dict[str, int]
    true: dict[int, float]
    target: int
    rival: int


def arena_create(scores: dict[str, float]) -> Arena:
    from arena.models import AIModel, Lab, Output, Prompt, PromptSet

    lab = Lab.objects.create(name="Bench lab", country="US")
    prompt_set = PromptSet.objects.create(name="Bench", modality="text")
    prompts = [
        Prompt.objects.create(prompt_set=prompt_set, external_id=f"p{n}", text=f"Question {n}?")
        for n in range(4)
    ]
    ids = {}
    for key in scores:
        model = AIModel.objects.create(key=key, display_name=key, lab=lab)
        ids[key] = model.pk
        for prompt in prompts:
            text = f"{key} answers {prompt.external_id}."
            Output.objects.create(
                prompt=prompt, model=model, modality="text", text=text, checksum=text
            )
    by_score = sorted(scores, key=scores.get, reverse=True)
    target = by_score[len(by_score) // 2]
    rival = by_score[len(by_score) // 2 - 1]
    return Arena(ids, {ids[k]: s for k, s in scores.items()}, ids[target], ids[rival])


@dataclass
class Voter:
    key: str
    ip: str


def serve(voter: Voter, rng: np.random.Generator, clock: Clock):
    """One battle for this voter, as the views serve it; waits out a 429 on the clock."""
    from django.conf import settings

    from arena.services import Throttled, battle_create
    from arena.serving_limits import serving_check, serving_client
    from arena.serving_plan import serving_plans_refresh

    if clock.now >= clock.plans_due:  # beat's tick, on the simulated clock
        serving_plans_refresh()
        clock.plans_due = clock.now + timedelta(seconds=settings.ARENA_SERVING_PLAN_REFRESH_SECONDS)
    request = mock.Mock(META={"REMOTE_ADDR": voter.ip})
    for _ in range(1000):
        client = serving_client(request, voter_key=voter.key)
        try:
            serving_check(client)
            return battle_create(
                voter_key=voter.key,
                modality="text",
                rng=rng,
                ip_hash=client.ip_hash,
                network_hash=client.network_hash,
            )
        except Throttled as refused:
            clock.advance(refused.retry_after)
    raise RuntimeError("served nothing in 1000 tries")


def vote(voter: Voter, battle, choice: str) -> tuple[int, bool]:
    """Cast through ``vote_cast``; (vote id, whether it was refused with 429)."""
    from arena.models import Vote
    from arena.services import Throttled, vote_cast

    try:
        vote_cast(token=battle.token, choice=choice, voter_key=voter.key, ip=voter.ip)
        throttled = False
    except Throttled:
        throttled = True
    return Vote.objects.get(battle=battle).pk, throttled


def honest_traffic(arena: Arena, n_votes: int, rng: np.random.Generator, clock: Clock) -> list[int]:
    """Honest sessions until ``n_votes`` votes are cast; their vote ids."""
    votes: list[int] = []
    session = 0
    while len(votes) < n_votes:
        session += 1
        network = int(rng.integers(0, 3000))
        voter = Voter(
            f"honest-{session}", f"10.{network // 256}.{network % 256}.{session % 250 + 1}"
        )
        taste = {m: s + rng.normal(0, 40) for m, s in arena.true.items()}
        for _ in range(int(rng.integers(5, 30))):
            battle = serve(voter, rng, clock)
            clock.advance(rng.uniform(10, 40))
            if rng.random() < 0.15:
                continue  # skipped, whatever the models
            p_a = 1 / (1 + 10 ** ((taste[battle.model_b_id] - taste[battle.model_a_id]) / 400))
            draw = rng.random()
            choice = (
                "tie"
                if draw < 0.1
                else "both_bad"
                if draw < 0.15
                else ("a" if rng.random() < p_a else "b")
            )
            votes.append(vote(voter, battle, choice)[0])
        clock.advance(rng.uniform(0, 120))
    return votes


def _attackers(attack: str, sessions: int) -> list[Voter]:
    if attack == "fast":
        return [Voter(f"fast-{n}", "198.51.100.7") for n in range(sessions)]
    return [Voter(f"{attack}-{n}", f"172.{16 + n // 250}.{n % 250}.9") for n in range(sessions)]


def _attack_choice(attack: str, arena: Arena, battle, rng: np.random.Generator) -> str | None:
    """The attacker's vote on a battle, or None to skip it."""
    a, b = battle.model_a_id, battle.model_b_id
    if attack == "rival":
        if arena.rival not in (a, b):
            return None
        return "b" if a == arena.rival else "a"
    if arena.target in (a, b):
        return "a" if a == arena.target else "b"
    if attack == "careful":
        return None
    if attack == "fast":
        return "a" if rng.random() < 0.5 else "b"
    above = arena.true[arena.target]
    if max(arena.true[a], arena.true[b]) > above:
        return "a" if arena.true[a] < arena.true[b] else "b"
    return "a" if rng.random() < 0.5 else "b"


def attack_traffic(
    attack: str,
    budget: int,
    arena: Arena,
    rng: np.random.Generator,
    clock: Clock,
    sessions: int = ATTACK_SESSIONS,
) -> list[int]:
    """The attack until its sessions have cast ``budget`` votes; their vote ids."""
    voters = _attackers(attack, sessions)
    votes: list[int] = []
    turn = 0
    while len(votes) < budget:
        voter = voters[turn % len(voters)]
        turn += 1
        for _ in range(200):  # serve until there is a battle worth voting on
            battle = serve(voter, rng, clock)
            clock.advance(0.2 if attack == "fast" else 2.0)
            choice = _attack_choice(attack, arena, battle, rng)
            if choice is not None:
                break
        else:
            continue
        clock.advance(0.1 if attack == "fast" else 3.2)
        vote_id, throttled = vote(voter, battle, choice)
        votes.append(vote_id)
        if throttled and attack != "fast":
            clock.advance(60)  # a careful attacker backs off
        elif attack != "fast":
            clock.advance(1.8)  # at most 12 votes a minute per session
    return votes


def board(clock: Clock, rounds: int) -> dict[int, tuple[float, float, float]]:
    """The snapshot pipeline's board now: model id -> (score, ci_low, ci_high)."""
    from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request

    clock.advance(1)
    snapshot, _ = snapshot_request(spec=SnapshotSpec(modality="text", rounds=rounds))
    snapshot = snapshot_compute(snapshot_id=snapshot.pk) or snapshot
    return {r.model_id: (r.score, r.ci_low, r.ci_high) for r in snapshot.ratings.all()}


def rank_of(rows: dict[int, tuple[float, float, float]], model: int) -> int:
    return 1 + sum(score > rows[model][0] for score, _, _ in rows.values())


@dataclass(frozen=True)
class Outcome:
    attack: str
    budget: int
    defences: str
    moved: str  # which model the attack moves (the target, or the rival for "rival")
    shift: float
    half_width: float
    rank_shift: int
    attacker_excluded: float
    honest_excluded: float


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def defences(on: bool) -> Iterator[None]:
    """Off: no serving limit per address or network (the product before them)."""
    from django.conf import settings

    if on:
        yield
        return
    names = [
        "ARENA_BATTLES_PER_MINUTE_PER_IP",
        "ARENA_BATTLES_PER_HOUR_PER_IP",
        "ARENA_BATTLES_PER_MINUTE_PER_NETWORK",
        "ARENA_BATTLES_PER_HOUR_PER_NETWORK",
    ]
    saved = {name: getattr(settings, name) for name in names}
    for name in names:
        setattr(settings, name, 10**9)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)


def scenario(
    attack: str,
    budget: int,
    on: bool,
    *,
    arena: Arena,
    before: dict,
    honest: list[int],
    clock: Clock,
    seed: int,
    rounds: int,
    sessions: int,
) -> Outcome:
    """One attack on the honest arena, measured, then undone (a rolled-back transaction)."""
    from django.db import transaction

    from arena.models import Vote
    from ranking.integrity import vote_integrity_check

    start = clock.now
    rng = np.random.default_rng(seed)
    moved = arena.rival if attack == "rival" else arena.target
    try:
        with transaction.atomic(), defences(on):
            attacker = attack_traffic(attack, budget, arena, rng, clock, sessions)
            if on:
                vote_integrity_check()
            after = board(clock, rounds)
            excluded = set(Vote.objects.filter(excluded=True).values_list("pk", flat=True))
            outcome = Outcome(
                attack=attack,
                budget=budget,
                defences="on" if on else "off",
                moved="rival" if attack == "rival" else "target",
                shift=after[moved][0] - before[moved][0],
                half_width=(before[moved][2] - before[moved][1]) / 2,
                rank_shift=rank_of(before, moved) - rank_of(after, moved),
                attacker_excluded=len(excluded.intersection(attacker)) / len(attacker),
                honest_excluded=len(excluded.intersection(honest)) / len(honest),
            )
            raise _Rollback
    except _Rollback:
        pass
    clock.now = start
    return outcome


def run(
    *,
    n_models: int,
    honest_votes: int,
    budgets: list[int],
    attacks: tuple[str, ...] = ATTACKS,
    seed: int = 1,
    rounds: int = 200,
    sessions: int = ATTACK_SESSIONS,
    progress: Callable[[str], None] = lambda line: None,
) -> tuple[Arena, dict, list[Outcome]]:
    """The whole benchmark on the current database (empty, migrated); ``progress`` gets
    each row of the table as it is measured."""
    clock = Clock(START)
    with clock.running():
        arena = arena_create(real_scores(n_models))
        honest = honest_traffic(arena, honest_votes, np.random.default_rng(seed), clock)
        before = board(clock, rounds)
        outcomes = []
        for attack in attacks:
            for budget in budgets:
                for on in (False, True):
                    outcome = scenario(
                        attack,
                        budget,
                        on,
                        arena=arena,
                        before=before,
                        honest=honest,
                        clock=clock,
                        seed=seed + 1,
                        rounds=rounds,
                        sessions=sessions,
                    )
                    outcomes.append(outcome)
                    progress(table([outcome]).splitlines()[-1])
    return arena, before, outcomes


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| attack | votes | defences | moved | shift (points) | 95% half-width before | "
        "rank shift | attacker votes excluded | honest votes excluded |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.attack} | {o.budget:,} | {o.defences} | {o.moved} | {o.shift:+.0f} | "
            f"{o.half_width:.0f} | {o.rank_shift:+d} | {o.attacker_excluded:.0%} | "
            f"{o.honest_excluded:.2%} |"
        )
    return "\n".join(lines)


def _setup_django(folder: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["ARENA_VAR_DIR"] = folder
    os.environ.pop("REDIS_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--honest", type=int, default=3000)
    parser.add_argument("--budgets", default="100,500,2000")
    parser.add_argument("--attacks", default=",".join(ATTACKS))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    # A database in memory-backed storage where there is one: the figures are vote counts
    # and points, not times, so only the run's length depends on it.
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="arena-bench-manipulation-", dir=shm) as folder:
        _setup_django(folder)
        arena, before, outcomes = run(
            n_models=args.models,
            honest_votes=args.honest,
            budgets=[int(b) for b in args.budgets.split(",")],
            attacks=tuple(args.attacks.split(",")),
            seed=args.seed,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    target, rival = before[arena.target], before[arena.rival]
    print(
        f"{args.models} models, {args.honest:,} honest votes; target at "
        f"{target[0]:.0f} ({target[1]:.0f}-{target[2]:.0f}), rank {rank_of(before, arena.target)}; "
        f"rival at {rival[0]:.0f}, rank {rank_of(before, arena.rival)}"
    )
    print(table(outcomes))


if __name__ == "__main__":
    main()
