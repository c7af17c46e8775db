"""Putting separately fitted months on one scale (chain linking), and how well it holds.

A Bradley-Terry fit fixes its level only by convention (an anchor model, or the mean), so two
month-end fits can differ by a constant. Pure over :class:`MonthRatings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from ranking.stats.frontier import MonthRatings, has_enough_votes


@dataclass(frozen=True)
class MonthLink:
    """How one month was put on the reference month's scale: ``shift`` points were added to
    every score; ``common`` models linked it to the previous month of the series, and ``rms``
    is the root-mean-square difference of their scores between the two months after linking
    (``None``: the first month, or nothing in common, when ``shift`` keeps the chain's level)."""

    month: str
    shift: float
    common: int
    rms: float | None


def link_months(
    months: Sequence[MonthRatings], *, min_votes: float = 0.0
) -> tuple[list[MonthRatings], list[MonthLink]]:
    """Put separately fitted months on one scale, the last month's (chain linking).

    A Bradley-Terry fit fixes its level only by convention (an anchor model, or the mean), so
    two month-end fits can differ by a constant. Between consecutive months of the series,
    the offset is the mean score difference of the models both list (those with at least
    ``min_votes`` votes in both months, or all common models if none has): a model's true
    strength does not change, so what moves them all alike is the scale. Offsets add up
    along the chain; each month is shifted so that the last month keeps its own scores.
    Scores, intervals and replicates move together, so gaps within a month do not change.
    Returns the shifted months and, per month, its :class:`MonthLink`.
    """
    if not months:
        return [], []
    steps = [(0.0, 0, None)] + [_link_step(prev, cur, min_votes) for prev, cur in pairwise(months)]
    offsets = np.cumsum([offset for offset, _, _ in steps])
    reference = float(offsets[-1])
    linked, links = [], []
    for month, (_, common, rms), offset in zip(months, steps, offsets, strict=True):
        shift = reference - float(offset)
        linked.append(_shifted(month, shift))
        links.append(MonthLink(month=month.month, shift=shift, common=common, rms=rms))
    return linked, links


def _link_step(
    previous: MonthRatings, current: MonthRatings, min_votes: float
) -> tuple[float, int, float | None]:
    """(offset of ``current``'s scale over ``previous``'s, models used, RMS after linking)."""
    before = {model: k for k, model in enumerate(previous.models)}
    pairs = [
        (before[model], k)
        for k, model in enumerate(current.models)
        if model in before
        and np.isfinite(current.scores[k])
        and np.isfinite(previous.scores[before[model]])
    ]
    counted = [
        (j, k)
        for j, k in pairs
        if has_enough_votes(previous, j, min_votes) and has_enough_votes(current, k, min_votes)
    ]
    used = counted or pairs
    if not used:
        return 0.0, 0, None
    differences = np.array([current.scores[k] - previous.scores[j] for j, k in used])
    offset = float(differences.mean())
    return offset, len(used), float(np.sqrt(np.mean((differences - offset) ** 2)))


def _shifted(month: MonthRatings, shift: float) -> MonthRatings:
    def moved(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else np.asarray(values, dtype=np.float64) + shift

    return replace(
        month,
        scores=moved(month.scores),
        ci_low=moved(month.ci_low),
        ci_high=moved(month.ci_high),
        replicates=moved(month.replicates),
    )
