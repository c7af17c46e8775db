"""Hand-made rating histories for the frontier tests."""

from __future__ import annotations

import numpy as np

from ranking.stats.frontier import MonthRatings


def history(rows: dict[str, list[tuple[str, str, float]]]) -> list[MonthRatings]:
    """{month: [(model, country, score), ...]} -> MonthRatings without intervals."""
    return [
        MonthRatings(
            month=month,
            models=tuple(m for m, _, _ in listed),
            countries=tuple(c for _, c, _ in listed),
            scores=np.array([s for _, _, s in listed], dtype=float),
        )
        for month, listed in rows.items()
    ]
