"""The frontier in plain words: one English sentence about a month, a quotable paragraph
about the last one, how sentences name a group, for pages and commands, and the rounding of
the figures shown."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ranking.stats.frontier import Frontier, FrontierMonth, Group

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


#: How a sentence names a licence class.
KIND_WORDS = {"open": "open-weights", "proprietary": "proprietary"}


def group_owner(group: Group, names: Mapping[str, str]) -> str:
    """Who a group's models belong to, in words: "the US", "the US and the UK", "the US,
    the UK and France"; empty for a worldwide (licence-only) group."""
    owners = [names.get(code, code) for code in group.countries]
    if len(owners) <= 1:
        return "".join(owners)
    return f"{', '.join(owners[:-1])} and {owners[-1]}"


def group_best(group: Group, names: Mapping[str, str]) -> str:
    """The group's best model, as a sentence names it: "China's best", "the US's best
    open-weights model", "the best proprietary model"."""
    owner, kind = group_owner(group, names), KIND_WORDS.get(group.weights or "", "")
    if not owner:
        return f"the best {kind} model"
    return f"{owner}'s best {kind} model" if kind else f"{owner}'s best"


def group_title(group: Group, names: Mapping[str, str]) -> str:
    """A group as a heading or legend names it: "US", "China, open weights", "Open weights"."""
    owner = group_owner(group, names)
    kind = {"open": "open weights", "proprietary": "proprietary"}.get(group.weights or "", "")
    if not owner:
        return kind.capitalize()
    return f"{owner}, {kind}" if kind else owner


def _model_kind(group: Group) -> str:
    kind = KIND_WORDS.get(group.weights or "", "")
    return f"{kind} model" if kind else "model"


def _had_none(group: Group, names: Mapping[str, str], counted: str) -> str:
    owner = group_owner(group, names)
    if owner:
        return f"{owner} had no listed {_model_kind(group)}{counted}"
    return f"no {_model_kind(group)}{counted} was listed"


def frontier_summary(
    frontier: Frontier,
    *,
    names: Mapping[str, str],
    display: Mapping[str, str] | None = None,
    month: str | None = None,
    rounding: str = "nearest",
) -> str:
    """One plain sentence about ``month`` (default the last): 'In 2025-01 China's best,
    DeepSeek-R1, trailed the US's best by 24 points, a lag of 2 months.' ``names`` maps
    country codes to how a sentence names them ("the US", "China"); the groups' licence
    classes are named from :data:`KIND_WORDS`; ``display`` maps model keys to display names.
    When the gap's interval contains 0 the two are called statistically tied and no lag is
    given: the data cannot say who leads."""
    rows = [r for r in frontier.months if month is None or r.month == month]
    if not rows:
        return "No months with data."
    row = rows[-1]
    a_best, b_best = group_best(frontier.a, names), group_best(frontier.b, names)
    display = display or {}
    a_model = display.get(row.a_model or "", row.a_model)
    b_model = display.get(row.b_model or "", row.b_model)
    if row.b_model is None or row.a_model is None:
        return _one_side(row.month, frontier, names, (a_model, b_model))
    gap = _points(row.gap, rounding)
    if row.tied:
        low, high = _points(row.gap_low, rounding), _points(row.gap_high, rounding)
        return (
            f"In {row.month} {b_best}, {b_model}, and {a_best}, {a_model}, were "
            f"statistically tied: the gap of {_plural(gap, 'point')} has a "
            f"{frontier.level:.0%} interval of {low} to {high}."
        )
    if row.leader == "tie":
        return f"In {row.month} {b_best}, {b_model}, tied {a_best}, {a_model}."
    if row.leader == frontier.b.code:
        return (
            f"In {row.month} {b_best}, {b_model}, led {a_best} by "
            f"{_plural(abs(gap), 'point')}: no lag."
        )
    lag = f"{'at least ' if row.lag_censored else ''}{_plural(row.lag, 'month')}"
    return (
        f"In {row.month} {b_best}, {b_model}, trailed {a_best} by "
        f"{_plural(gap, 'point')}, a lag of {lag}."
    )


def _one_side(
    month: str,
    frontier: Frontier,
    names: Mapping[str, str],
    models: tuple[str | None, str | None],
) -> str:
    """The sentence of a month where at least one group has no model to compare."""
    a, b = frontier.a, frontier.b
    a_model, b_model = models
    counted = f" with at least {frontier.min_votes:g} votes" if frontier.min_votes else ""
    if b_model is None and a_model is None:
        a_owner, b_owner = group_owner(a, names), group_owner(b, names)
        if a_owner and b_owner and a.weights == b.weights:
            return (
                f"In {month} neither {a_owner} nor {b_owner} had a listed "
                f"{_model_kind(a)}{counted}."
            )
        return f"In {month} {_had_none(a, names, counted)}, and {_had_none(b, names, counted)}."
    if b_model is None:
        return f"In {month} {_had_none(b, names, counted)}; {group_best(a, names)} was {a_model}."
    return f"In {month} {_had_none(a, names, counted)}; {group_best(b, names)} was {b_model}."


def frontier_paragraph(
    frontier: Frontier,
    *,
    names: Mapping[str, str],
    display: Mapping[str, str] | None = None,
    rounding: str = "nearest",
) -> str:
    """The last month in one quotable paragraph: the sentence of :func:`frontier_summary`,
    then each side's best with its score and interval, the gap's and the lag's intervals
    (none for a statistical tie: the sentence rules hold), the provisional models above a
    best, and the models of unknown openness a licence group left out."""
    if not frontier.months:
        return "No months with data."
    row = frontier.months[-1]
    display = display or {}
    level = f"{frontier.level:.0%}"
    parts = [frontier_summary(frontier, names=names, display=display, rounding=rounding)]
    scores = [
        _score_clause(frontier, row, side, names, display, rounding)
        for side in ("a", "b")
        if getattr(row, f"{side}_model") is not None
    ]
    if scores:
        text = "; ".join(scores)
        parts.append(f"{text[0].upper()}{text[1:]}.")
    if row.gap is not None and not row.tied and row.gap_low is not None:
        low, high = _points(row.gap_low, rounding), _points(row.gap_high, rounding)
        parts.append(f"The gap's {level} interval is {low} to {high} points.")
    if row.lag_low is not None and not row.tied and row.lag:
        lags = _lag_range(row.lag_low, row.lag_high, censored=row.lag_high_censored)
        parts.append(f"The lag's {level} interval is {lags}.")
    parts.append(_left_out_clause(frontier, row, names, display))
    return " ".join(part for part in parts if part)


def _lag_range(low: int, high: int, *, censored: bool) -> str:
    """'1 to 3 months', '2 months', 'at least 2 months', '1 to at least 3 months'."""
    at_least = "at least " if censored else ""
    if low == high:
        return f"{at_least}{_plural(high, 'month')}"
    return f"{low} to {at_least}{_plural(high, 'month')}"


def _score_clause(
    frontier: Frontier,
    row: FrontierMonth,
    side: str,
    names: Mapping[str, str],
    display: Mapping[str, str],
    rounding: str,
) -> str:
    group = frontier.a if side == "a" else frontier.b
    model = getattr(row, f"{side}_model")
    score, low, high = (getattr(row, f"{side}_{what}") for what in ("score", "low", "high"))
    text = (
        f"{group_best(group, names)}, {display.get(model, model)}, scored "
        f"{_points(score, rounding)}"
    )
    if low is not None and high is not None:
        text += (
            f" ({frontier.level:.0%} interval {_points(low, rounding)} to "
            f"{_points(high, rounding)})"
        )
    provisional = getattr(row, f"{side}_provisional")
    if provisional:
        shown = _points(getattr(row, f"{side}_provisional_score"), rounding)
        text += (
            f", with {display.get(provisional, provisional)} above it at {shown} on fewer "
            f"than {frontier.min_votes:g} votes (provisional)"
        )
    return text


def _left_out_clause(
    frontier: Frontier, row: FrontierMonth, names: Mapping[str, str], display: Mapping[str, str]
) -> str:
    """The models of unknown openness a licence group left out, once even when both did."""
    sides = [
        (group, models)
        for group, models in (
            (frontier.a, row.a_unknown_weights),
            (frontier.b, row.b_unknown_weights),
        )
        if models
    ]
    if len(sides) == 2 and sides[0][1] == sides[1][1]:
        sides = [(None, sides[0][1])]
    clauses = []
    for group, models in sides:
        where = "both sides" if group is None else group_title(group, names)
        shown = ", ".join(display.get(m, m) for m in models)
        clauses.append(
            f"{_plural(len(models), 'model')} of unknown openness left out ({where}): {shown}."
        )
    return " ".join(clauses)


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
