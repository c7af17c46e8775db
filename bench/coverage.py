"""Coverage of the 95% intervals over many simulated arenas with known scores.

    python -m bench.coverage [--arenas 200] [--models 12] [--votes 4000] [--rounds 1000]
                             [--ties half|davidson]

For each seeded arena, fit, compute intervals (bootstrap multinomial, bootstrap Poisson,
analytic sandwich for ties as half) with the mean fixed at 1000 (the truth is centred the same
way), and count how often each model's interval holds its true score.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from bench.synthetic import synthetic_arena
from ranking.stats import rate


@dataclass(frozen=True)
class Coverage:
    method: str
    covered: int
    total: int
    mean_width: float

    @property
    def rate(self) -> float:
        return self.covered / self.total


def coverage(
    *,
    arenas: int,
    models: int,
    votes: int,
    rounds: int,
    first_seed: int = 1000,
    methods: tuple[str, ...] = ("multinomial", "poisson", "analytic"),
    ties: str = "half",
) -> list[Coverage]:
    hits = {m: 0 for m in methods}
    widths = {m: 0.0 for m in methods}
    total = 0
    for seed in range(first_seed, first_seed + arenas):
        arena = synthetic_arena(models, votes, seed=seed, keep_votes=False)
        total += models
        for method in methods:
            if method == "analytic":
                ratings = rate(arena.counts, interval="analytic", ties=ties)
            else:
                ratings = rate(arena.counts, rounds=rounds, seed=seed, resample=method, ties=ties)
            inside = (ratings.ci_low <= arena.true_scores) & (arena.true_scores <= ratings.ci_high)
            hits[method] += int(inside.sum())
            widths[method] += float(np.sum(ratings.ci_high - ratings.ci_low))
    return [Coverage(m, hits[m], total, widths[m] / total) for m in methods]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arenas", type=int, default=200)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--votes", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--ties", choices=("half", "davidson"), default="half")
    args = parser.parse_args()
    methods = ("multinomial", "poisson") + (("analytic",) if args.ties == "half" else ())
    results = coverage(
        arenas=args.arenas,
        models=args.models,
        votes=args.votes,
        rounds=args.rounds,
        methods=methods,
        ties=args.ties,
    )
    print(
        f"{args.arenas} arenas x {args.models} models, {args.votes} votes, {args.rounds} "
        f"rounds, ties {args.ties}"
    )
    for result in results:
        se = np.sqrt(result.rate * (1 - result.rate) / result.total)
        print(
            f"{result.method:12s} coverage {result.rate:.3%} (±{1.96 * se:.1%}, "
            f"{result.covered}/{result.total}), mean width {result.mean_width:.1f} points"
        )


if __name__ == "__main__":
    main()
