"""Hand-made rating histories for the frontier tests."""

from __future__ import annotations

import numpy as np

from ranking.stats.frontier import MonthRatings


def history(rows: dict[str, list[tuple]]) -> list[MonthRatings]:
    """{month: [(model, country, score[, votes]), ...]} -> MonthRatings without intervals;
    votes only when every row of the month has them."""
    months = []
    for month, listed in rows.items():
        with_votes = all(len(row) == 4 for row in listed)
        months.append(
            MonthRatings(
                month=month,
                models=tuple(row[0] for row in listed),
                countries=tuple(row[1] for row in listed),
                scores=np.array([row[2] for row in listed], dtype=float),
                votes=np.array([row[3] for row in listed], dtype=float) if with_votes else None,
            )
        )
    return months
