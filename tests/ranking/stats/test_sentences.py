"""The frontier's sentence, on hand-made histories."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ranking.stats.frontier import Group, MonthRatings, monthly_frontier
from ranking.stats.sentences import (
    frontier_month_rounded,
    frontier_paragraph,
    frontier_summary,
    rounded,
)
from tests.ranking.stats.histories import history

NAMES = {"US": "the US", "CN": "China"}


def test_the_summary_says_it_in_plain_words():
    rows = {
        "2025-01": [("o1", "US", 1250), ("deepseek-r1", "CN", 1226)],
    }
    earlier = {"2024-10": [("gpt", "US", 1200), ("qwen", "CN", 1100)]}
    earlier["2024-11"] = [("gpt", "US", 1230), ("qwen", "CN", 1100)]
    frontier = monthly_frontier(history(earlier | rows))
    assert frontier_summary(frontier, names=NAMES) == (
        "In 2025-01 China's best, deepseek-r1, trailed the US's best by 24 points, "
        "a lag of 2 months."
    )
    lead = monthly_frontier(history({"2025-01": [("a", "US", 1), ("b", "CN", 3)]}))
    assert "led the US's best by 2 points" in frontier_summary(lead, names=NAMES)
    censored = monthly_frontier(history({"2025-01": [("a", "US", 3), ("b", "CN", 1)]}))
    assert "a lag of at least 0 months" in frontier_summary(censored, names=NAMES)


def test_the_summary_names_models_by_their_display_names():
    frontier = monthly_frontier(history({"2025-01": [("o1", "US", 3), ("deepseek-r1", "CN", 1)]}))
    display = {"o1": "o1-2024-12-17", "deepseek-r1": "DeepSeek-R1"}
    text = frontier_summary(frontier, names=NAMES, display=display)
    assert text.startswith("In 2025-01 China's best, DeepSeek-R1, trailed")
    assert "deepseek-r1" not in text


def test_a_gap_whose_interval_contains_zero_is_called_a_statistical_tie_without_a_lag():
    rng = np.random.default_rng(2)
    months = [
        MonthRatings(
            month=month,
            models=("veo-2", cn_model),
            countries=("US", "CN"),
            scores=np.array([1039.0, cn_score]),
            replicates=np.array([1039.0, cn_score]) + rng.normal(0, 25, (400, 2)),
        )
        for month, cn_model, cn_score in (("2023-05", "old", 900.0), ("2025-05", "wan-2.1", 1032.0))
    ]
    frontier = monthly_frontier(months)
    assert frontier.months[-1].lag == 24  # the point estimates alone: a lag of 24 months
    text = frontier_summary(frontier, names=NAMES, display={"veo-2": "Veo 2"})
    assert text == (
        "In 2025-05 China's best, wan-2.1, and the US's best, Veo 2, were statistically "
        f"tied: the gap of 7 points has a 95% interval of {round(frontier.months[-1].gap_low)} "
        f"to {round(frontier.months[-1].gap_high)}."
    )
    assert "lag" not in text


def test_floor_rounding_truncates_as_published_tables_do():
    assert rounded(1381.995) == 1382.0 and rounded(1381.995, "floor") == 1381
    assert rounded(1381.04) == 1381.0 and rounded(-6.3, "floor") == -7
    assert rounded(None, "floor") is None
    with pytest.raises(ValueError):
        rounded(1.0, "up")
    frontier = monthly_frontier(
        history(
            {
                "2024-12": [("us", "US", 1381.995), ("cn", "CN", 1300.0)],
                "2025-01": [("us", "US", 1381.995), ("cn", "CN", 1340.6)],
            }
        )
    )
    assert "by 41 points" in frontier_summary(frontier, names=NAMES)
    assert "by 41 points" in frontier_summary(frontier, names=NAMES, rounding="floor")
    one = monthly_frontier(history({"2025-01": [("us", "US", 1381.995), ("cn", "CN", 1300.9)]}))
    assert "by 81 points" in frontier_summary(one, names=NAMES)
    assert "by 81 points" in frontier_summary(one, names=NAMES, rounding="floor")
    shown = frontier_month_rounded(one.months[0], "floor")
    assert (shown["a_score"], shown["b_score"], shown["gap"]) == (1381, 1300, 81)
    assert frontier_month_rounded(one.months[0], "nearest")["a_score"] == 1382.0


def test_a_country_without_a_counted_model_is_said_so_with_the_threshold():
    months = history({"2025-01": [("us", "US", 1300, 5000), ("cn-new", "CN", 1100, 9)]})
    frontier = monthly_frontier(months, min_votes=300)
    assert frontier_summary(frontier, names=NAMES) == (
        "In 2025-01 China had no listed model with at least 300 votes; the US's best was us."
    )


def test_sentences_name_groups_in_plain_words():
    months = [
        MonthRatings(
            month="2025-01",
            models=("llama", "gpt", "deepseek", "secret"),
            countries=("US", "US", "CN", "CN"),
            weights=("open", "proprietary", "open", "unknown"),
            scores=np.array([1200.0, 1300.0, 1230.0, 1260.0]),
        )
    ]
    us_open, cn_open = Group(("US",), "open"), Group(("CN",), "open")
    assert frontier_summary(monthly_frontier(months, a=us_open, b=cn_open), names=NAMES) == (
        "In 2025-01 China's best open-weights model, deepseek, led the US's best open-weights "
        "model by 30 points: no lag."
    )
    worldwide = monthly_frontier(months, a=Group(weights="proprietary"), b=Group(weights="open"))
    assert frontier_summary(worldwide, names=NAMES) == (
        "In 2025-01 the best open-weights model, deepseek, trailed the best proprietary model "
        "by 70 points, a lag of at least 0 months."
    )
    allies = monthly_frontier(months, a=Group(("US", "GB")), b="CN")
    assert "trailed the US and the UK's best by 40 points" in frontier_summary(
        allies, names=NAMES | {"GB": "the UK"}
    )
    none = monthly_frontier(months, a=Group(("FR",), "open"), b=Group(weights="proprietary"))
    assert frontier_summary(none, names={"FR": "France"}) == (
        "In 2025-01 France had no listed open-weights model; the best proprietary model was gpt."
    )


def test_the_paragraph_gives_scores_intervals_and_the_models_left_out():
    rng = np.random.default_rng(5)
    scores = np.array([1200.0, 1300.0, 1150.0, 1260.0])
    months = [
        MonthRatings(
            month=month,
            models=("llama", "gpt", "qwen", "secret"),
            countries=("US", "US", "CN", "CN"),
            weights=("open", "proprietary", "open", "unknown"),
            scores=scores + shift,
            replicates=scores + shift + rng.normal(0, 4, (400, 4)),
        )
        for month, shift in (("2025-01", 0.0), ("2025-02", 10.0))
    ]
    frontier = monthly_frontier(months, a=Group(("US",), "open"), b=Group(("CN",), "open"))
    row = frontier.months[-1]
    text = frontier_paragraph(frontier, names=NAMES, display={"qwen": "Qwen"})
    assert text.startswith(
        "In 2025-02 China's best open-weights model, Qwen, trailed the US's best open-weights "
        "model by 50 points, a lag of at least 1 month. The US's best open-weights model, "
        "llama, scored 1210 (95% interval "
    )
    assert f"The gap's 95% interval is {round(row.gap_low)} to {round(row.gap_high)} points." in (
        text
    )
    assert text.endswith("1 model of unknown openness left out (China, open weights): secret.")
    # A statistical tie claims no lag and gives no lag interval.
    tied = monthly_frontier(
        [replace_scores(months[0], np.array([1200.0, 1300.0, 1199.0, 1260.0]))],
        a=Group(("US",), "open"),
        b=Group(("CN",), "open"),
    )
    tied_text = frontier_paragraph(tied, names=NAMES)
    assert "statistically tied" in tied_text and "lag" not in tied_text


def replace_scores(month: MonthRatings, scores: np.ndarray) -> MonthRatings:
    return replace(month, scores=scores, replicates=scores + month.replicates - month.scores)
