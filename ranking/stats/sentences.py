"""The frontier in plain words: one English sentence about a month, for pages and commands."""

from __future__ import annotations

from ranking.stats.frontier import Frontier


def frontier_summary(frontier: Frontier, *, names: dict[str, str], month: str | None = None) -> str:
    """One plain sentence about ``month`` (default the last): 'In 2025-01 China's best,
    deepseek-r1, trailed the US's best by 24 points, a lag of 2 months.' ``names`` maps the
    two country codes to how a sentence names them ("the US", "China")."""
    rows = [r for r in frontier.months if month is None or r.month == month]
    if not rows:
        return "No months with data."
    row = rows[-1]
    a_name, b_name = names.get(frontier.a, frontier.a), names.get(frontier.b, frontier.b)
    if row.b_model is None and row.a_model is None:
        return f"In {row.month} neither {a_name} nor {b_name} had a listed model."
    if row.b_model is None:
        return f"In {row.month} {b_name} had no listed model; {a_name}'s best was {row.a_model}."
    if row.a_model is None:
        return f"In {row.month} {a_name} had no listed model; {b_name}'s best was {row.b_model}."
    points = abs(round(row.gap))
    if row.leader == "tie":
        return (
            f"In {row.month} {b_name}'s best, {row.b_model}, tied {a_name}'s best, {row.a_model}."
        )
    if row.leader == frontier.b:
        return (
            f"In {row.month} {b_name}'s best, {row.b_model}, led {a_name}'s best by "
            f"{points} point{'s' if points != 1 else ''}: no lag."
        )
    lag = f"{'at least ' if row.lag_censored else ''}{row.lag} month{'s' if row.lag != 1 else ''}"
    return (
        f"In {row.month} {b_name}'s best, {row.b_model}, trailed {a_name}'s best by "
        f"{points} point{'s' if points != 1 else ''}, a lag of {lag}."
    )
