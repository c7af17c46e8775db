"""What a downloadable figure costs to draw, beside the CSV of the same rows.

    python -m bench.figures [--repeat 5]

A synthetic frontier (36 months, two groups with bootstrap bands, from a hand-made history:
no database) and a synthetic board of 300 models. For each, the time to make the CSV of the
rows (the reference: what the CSV download does after reading the snapshots) and to draw
the SVG and the PNG from the same rows (``ranking.figures``), as medians over ``--repeat``
runs in this process, printed as milliseconds and as ratios to the CSV.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import django
import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup()  # ranking.exports reads the snapshot models' module

from ranking.exports import to_csv  # noqa: E402
from ranking.figures import (  # noqa: E402
    FigureText,
    frontier_lag_figure,
    frontier_tops_figure,
    render_figure,
    scores_figure,
)
from ranking.frontier_rows import COLUMNS, FrontierReport, MonthSource  # noqa: E402
from ranking.stats.frontier import Group, MonthRatings, monthly_frontier  # noqa: E402

TEXT = FigureText(
    title="United States vs China: best score per month",
    x_title="Month",
    y_title="Best score (Elo scale)",
    caption=("2023-01 to 2025-12.", "Bands: 95% bootstrap interval.", "Data: CC BY 4.0"),
    labels=("United States", "China"),
)


def _report(rng: np.random.Generator) -> FrontierReport:
    months = []
    for i in range(36):
        scores = np.array([1100 + 6 * i, 1000 + 7 * i, 1050 + 5 * i, 980 + 8 * i], dtype=float)
        months.append(
            MonthRatings(
                month=f"{2023 + i // 12}-{i % 12 + 1:02d}",
                models=("us1", "us2", "cn1", "cn2"),
                countries=("US", "US", "CN", "CN"),
                scores=scores,
                replicates=scores + rng.normal(0, 8, (1000, 4)),
            )
        )
    frontier = monthly_frontier(months, a=Group(("US",)), b=Group(("CN",)))
    return FrontierReport(
        modality="text",
        mode="asof",
        category="",
        language="",
        a=frontier.a,
        b=frontier.b,
        frontier=frontier,
        sources=[MonthSource(scale="mean 1000", snapshot_id=1)] * len(months),
    )


def _board(rng: np.random.Generator, size: int = 300) -> list[dict]:
    scores = np.sort(rng.normal(1100, 80, size))[::-1]
    return [
        {"display_name": f"Model {k:03d}", "score": s, "ci_low": s - 9, "ci_high": s + 9}
        for k, s in enumerate(scores)
    ]


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    rows = _report(rng).rows()
    board = _board(rng)
    cases = {
        "frontier, 36 months": (
            lambda: to_csv(COLUMNS, rows),
            {
                "tops": lambda fmt: render_figure(frontier_tops_figure(rows, TEXT), fmt, TEXT),
                "lag": lambda fmt: render_figure(frontier_lag_figure(rows, TEXT), fmt, TEXT),
            },
        ),
        "leaderboard, 300 models": (
            lambda: to_csv(("display_name", "score", "ci_low", "ci_high"), board),
            {"scores": lambda fmt: render_figure(scores_figure(board, TEXT), fmt, TEXT)},
        ),
    }
    print(f"{'case':<26} {'output':<12} {'ms':>8} {'x CSV':>8}")
    for case, (reference, charts) in cases.items():
        csv_ms = _median_ms(reference, args.repeat)
        print(f"{case:<26} {'CSV':<12} {csv_ms:>8.2f} {1:>8.0f}")
        for chart, draw in charts.items():
            for fmt in ("svg", "png"):
                ms = _median_ms(lambda draw=draw, fmt=fmt: draw(fmt), args.repeat)
                print(f"{case:<26} {chart + ' ' + fmt:<12} {ms:>8.1f} {ms / csv_ms:>8.0f}")


if __name__ == "__main__":
    main()
