"""The frontier in plain words: one English sentence about a month, for pages and commands,
and the rounding of the figures shown."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ranking.stats.frontier import Frontier, FrontierMonth

#: How shown figures are rounded: to 0.1 point, or down to a whole point as published
#: leaderboards do (their 1381 can be 1381.995 here).
ROUNDINGS = ("nearest", "floor")


def rounded(value: float | None, rounding: str = "nearest") -> float | int | None:
    """A score, bound or gap as shown: ``nearest`` 0.1 point, or ``floor``: the whole point at
    or below it (so -6.3 shows as -7)."""
    if value is None:
        return None
    if rounding == "floor":
        return math.floor(value)
    if rounding == "nearest":
        return round(float(value), 1)
    raise ValueError(f"rounding {rounding!r} is not one of {ROUNDINGS}")


def _points(value: float, rounding: str) -> int:
    """A gap in whole points for a sentence."""
    return int(math.floor(value)) if rounding == "floor" else int(round(value))


def _plural(number: int, unit: str) -> str:
    return f"{number} {unit}{'s' if abs(number) != 1 else ''}"


def frontier_summary(
    frontier: Frontier,
    *,
    names: Mapping[str, str],
    display: Mapping[str, str] | None = None,
    month: str | None = None,
    rounding: str = "nearest",
) -> str:
    """One plain sentence about ``month`` (default the last): 'In 2025-01 China's best,
    DeepSeek-R1, trailed the US's best by 24 points, a lag of 2 months.' ``names`` maps the
    two country codes to how a sentence names them ("the US", "China"); ``display`` maps model
    keys to display names. When the gap's interval contains 0 the two are called statistically
    tied and no lag is given: the data cannot say who leads."""
    rows = [r for r in frontier.months if month is None or r.month == month]
    if not rows:
        return "No months with data."
    row = rows[-1]
    a_name, b_name = names.get(frontier.a, frontier.a), names.get(frontier.b, frontier.b)
    display = display or {}
    a_model = display.get(row.a_model or "", row.a_model)
    b_model = display.get(row.b_model or "", row.b_model)
    if row.b_model is None or row.a_model is None:
        return _one_side(row.month, (a_name, a_model), (b_name, b_model), frontier.min_votes)
    gap = _points(row.gap, rounding)
    if row.tied:
        low, high = _points(row.gap_low, rounding), _points(row.gap_high, rounding)
        return (
            f"In {row.month} {b_name}'s best, {b_model}, and {a_name}'s best, {a_model}, were "
            f"statistically tied: the gap of {_plural(gap, 'point')} has a "
            f"{frontier.level:.0%} interval of {low} to {high}."
        )
    if row.leader == "tie":
        return f"In {row.month} {b_name}'s best, {b_model}, tied {a_name}'s best, {a_model}."
    if row.leader == frontier.b:
        return (
            f"In {row.month} {b_name}'s best, {b_model}, led {a_name}'s best by "
            f"{_plural(abs(gap), 'point')}: no lag."
        )
    lag = f"{'at least ' if row.lag_censored else ''}{_plural(row.lag, 'month')}"
    return (
        f"In {row.month} {b_name}'s best, {b_model}, trailed {a_name}'s best by "
        f"{_plural(gap, 'point')}, a lag of {lag}."
    )


def _one_side(
    month: str, a: tuple[str, str | None], b: tuple[str, str | None], min_votes: float
) -> str:
    """The sentence of a month where at least one country has no model to compare."""
    (a_name, a_model), (b_name, b_model) = a, b
    counted = f" with at least {min_votes:g} votes" if min_votes else ""
    if b_model is None and a_model is None:
        return f"In {month} neither {a_name} nor {b_name} had a listed model{counted}."
    if b_model is None:
        return f"In {month} {b_name} had no listed model{counted}; {a_name}'s best was {a_model}."
    return f"In {month} {a_name} had no listed model{counted}; {b_name}'s best was {b_model}."


def frontier_month_rounded(row: FrontierMonth, rounding: str) -> dict[str, float | int | None]:
    """The row's figures as shown: scores, bounds, gap and provisional scores."""
    names = (
        "a_score",
        "a_low",
        "a_high",
        "b_score",
        "b_low",
        "b_high",
        "gap",
        "gap_low",
        "gap_high",
        "a_provisional_score",
        "b_provisional_score",
    )
    return {name: rounded(getattr(row, name), rounding) for name in names}
