"""Compare interval methods on the real LMSYS counts: bootstrap (multinomial, Poisson) and
analytic (sandwich, Fisher), all with the Chatbot Arena anchor mixtral-8x7b-instruct-v0.1=1114.

    python -m bench.intervals [--plot docs/img/intervals_lmsys.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench.ratings import LMSYS
from ranking.stats import analytic_intervals, elo_factor, fit_bradley_terry, rate
from ranking.stats.io import read_pair_counts_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    lmsys = read_pair_counts_csv(LMSYS)
    anchor = (lmsys.index("mixtral-8x7b-instruct-v0.1"), 1114.0)
    multinomial = rate(lmsys.counts, anchor=anchor, seed=0)
    poisson = rate(lmsys.counts, anchor=anchor, seed=0, resample="poisson")
    sandwich = rate(lmsys.counts, anchor=anchor, interval="analytic")
    fit = fit_bradley_terry(lmsys.counts)
    fisher_half, _ = analytic_intervals(fit, anchor=anchor[0], kind="fisher")
    widths = {
        "bootstrap multinomial": multinomial.ci_high - multinomial.ci_low,
        "bootstrap poisson": poisson.ci_high - poisson.ci_low,
        "analytic sandwich": sandwich.ci_high - sandwich.ci_low,
        "analytic fisher": 2 * fisher_half * elo_factor(),
    }
    others = np.arange(lmsys.counts.n_models) != anchor[0]
    base = widths["bootstrap multinomial"][others]
    print("95% interval widths on LMSYS 2024-08-14 (128 models, anchor excluded), points")
    print(
        f"{'method':24s} {'median':>7s} {'min':>6s} {'max':>7s} "
        f"{'median ratio to multinomial':>28s}"
    )
    for name, width in widths.items():
        w = width[others]
        print(
            f"{name:24s} {np.median(w):7.2f} {w.min():6.2f} {w.max():7.2f} "
            f"{np.median(w / base):28.3f}"
        )
    lows = np.abs(multinomial.ci_low - sandwich.ci_low)[others]
    print(f"max |lower bound difference| multinomial vs sandwich: {lows.max():.2f} points")
    ub_same = np.mean(multinomial.rank_ub == sandwich.rank_ub)
    print(f"Rank (UB) identical for {ub_same:.0%} of models (multinomial vs sandwich)")
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        votes = multinomial.votes[others]
        figure, axis = plt.subplots(figsize=(6, 3.6))
        for name, width in widths.items():
            axis.scatter(votes, width[others], s=10, label=name, alpha=0.7)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("votes of the model (log)")
        axis.set_ylabel("95% interval width, points (log)")
        axis.set_title("LMSYS 2024-08-14: interval width by method")
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
        figure.tight_layout()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
