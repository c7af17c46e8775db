"""How many votes the pair-sampling policy needs, against uniform sampling, to reach a
given confidence-interval width on a simulated arena.

    python -m bench.sampling [--seeds 5] [--quick]

Two scenarios, each over several seeds, both policies on the same true strengths:
  * steady: K models from the start; votes until the mean (and the widest) 95% interval
    is at most the target width;
  * newcomers: K - 4 models already rated on a history of votes, then 4 new models enter;
    votes until the newcomers' widest interval is at most the target.
Intervals are the analytic (sandwich) ones of ``ranking.stats.rate`` (refitted every batch;
the bootstrap would give the same picture, far slower). Votes are simulated from
Bradley-Terry with half ties, as in ``bench.synthetic``. The policy is
``arena.sampling.pair_weights`` with the product's defaults (count-based uncertainty, new
and under-voted models boosted), fed the running counts as the server would be.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from arena.sampling import SamplingCounts, pair_weights
from ranking.stats import PairCounts, rate

BATCH = 200


@dataclass
class Arena:
    strengths: np.ndarray
    games: np.ndarray  # (K, K) symmetric
    wins: np.ndarray  # (K, K) ties half
    cells: dict  # (a, b, outcome) -> count

    @classmethod
    def empty(cls, strengths: np.ndarray) -> Arena:
        k = len(strengths)
        return cls(strengths, np.zeros((k, k)), np.zeros((k, k)), {})

    def vote(self, pairs: np.ndarray, rng: np.random.Generator, active: int) -> None:
        a, b = pairs[:, 0], pairs[:, 1]
        p = 1.0 / (1.0 + 10.0 ** ((self.strengths[b] - self.strengths[a]) / 400.0))
        p_tie = 0.6 * np.minimum(p, 1.0 - p)
        u = rng.random(len(pairs))
        outcome = np.where(u < p - p_tie / 2, 0, np.where(u < 1.0 - p_tie, 1, 2))
        share = np.choose(outcome, [1.0, 0.0, 0.5])
        np.add.at(self.games, (a, b), 1)
        np.add.at(self.games, (b, a), 1)
        np.add.at(self.wins, (a, b), share)
        np.add.at(self.wins, (b, a), 1.0 - share)
        for cell in zip(a.tolist(), b.tolist(), outcome.tolist(), strict=True):
            self.cells[cell] = self.cells.get(cell, 0) + 1

    def widths(self, active: int) -> np.ndarray:
        keys = np.array(list(self.cells), dtype=np.int64).reshape(-1, 3)
        counts = PairCounts(
            n_models=active,
            model_a=keys[:, 0],
            model_b=keys[:, 1],
            outcome=keys[:, 2],
            count=np.array(list(self.cells.values()), float),
        )
        ratings = rate(counts, interval="analytic", rounds=0)
        return ratings.ci_high - ratings.ci_low


def draw_pairs(arena: Arena, policy: str, active: int, rng: np.random.Generator) -> np.ndarray:
    k = active
    if policy == "uniform":
        weights = np.ones((k, k))
        np.fill_diagonal(weights, 0.0)
    else:
        counts = SamplingCounts(
            votes=arena.games[:k, :k].sum(axis=1),
            games=arena.games[:k, :k],
            wins=arena.wins[:k, :k],
        )
        weights = pair_weights(counts, new_model_votes=300, new_model_boost=4, under_voted_boost=4)
    upper = np.triu(weights, 1).ravel()
    index = rng.choice(upper.size, size=BATCH, p=upper / upper.sum())
    pairs = np.column_stack(np.divmod(index, k))
    swap = rng.random(BATCH) < 0.5
    pairs[swap] = pairs[swap][:, ::-1]
    return pairs


def steady(policy: str, seed: int, k: int, target: float, limit: int) -> tuple[int, int]:
    """Votes until the mean width <= target, and until the widest <= target * 1.5."""
    rng = np.random.default_rng(seed)
    strengths = rng.normal(1000, 120, k)
    arena = Arena.empty(strengths)
    votes, mean_hit, max_hit = 0, None, None
    sim = np.random.default_rng(seed + 1000)
    while votes < limit and (mean_hit is None or max_hit is None):
        arena.vote(draw_pairs(arena, policy, k, sim), sim, k)
        votes += BATCH
        if votes < 20 * k:
            continue
        widths = arena.widths(k)
        if mean_hit is None and widths.mean() <= target:
            mean_hit = votes
        if max_hit is None and widths.max() <= target * 1.5:
            max_hit = votes
    return mean_hit or limit, max_hit or limit


def newcomers(policy: str, seed: int, k: int, target: float, limit: int) -> int:
    rng = np.random.default_rng(seed)
    strengths = rng.normal(1000, 120, k)
    arena = Arena.empty(strengths)
    sim = np.random.default_rng(seed + 2000)
    old = k - 4
    for _ in range(60 * old // BATCH * 10):  # a long history among the first models
        arena.vote(draw_pairs(arena, "uniform", old, sim), sim, old)
    votes = 0
    while votes < limit:
        arena.vote(draw_pairs(arena, policy, k, sim), sim, k)
        votes += BATCH
        if arena.games[old:].sum() < 40:
            continue
        if arena.widths(k)[old:].max() <= target:
            return votes
    return limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--target", type=float, default=60.0, help="CI width in Elo points")
    parser.add_argument("--quick", action="store_true", help="2 seeds")
    args = parser.parse_args()
    seeds = range(2 if args.quick else args.seeds)
    limit = 400_000
    started = time.perf_counter()
    print(
        f"pair sampling, K={args.models}, target 95% CI width {args.target:.0f} points, "
        f"batches of {BATCH}, {len(seeds)} seeds"
    )
    print(f"{'scenario':<38}{'uniform':>10}{'policy':>10}{'policy/uniform':>16}")
    rows = {
        "steady: mean width <= target": [],
        "steady: widest <= 1.5 x target": [],
        "newcomers: their widest <= target": [],
    }
    for seed in seeds:
        for name, policy in (("uniform", "uniform"), ("policy", "policy")):
            mean_hit, max_hit = steady(policy, seed, args.models, args.target, limit)
            rows["steady: mean width <= target"].append((name, mean_hit))
            rows["steady: widest <= 1.5 x target"].append((name, max_hit))
            rows["newcomers: their widest <= target"].append(
                (name, newcomers(policy, seed, args.models, args.target, limit))
            )
    for label, results in rows.items():
        uniform = np.mean([v for name, v in results if name == "uniform"])
        policy = np.mean([v for name, v in results if name == "policy"])
        print(f"{label:<38}{uniform:>10.0f}{policy:>10.0f}{policy / uniform:>16.2f}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
