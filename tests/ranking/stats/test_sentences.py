"""The frontier's sentence, on hand-made histories."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.stats.frontier import MonthRatings, monthly_frontier
from ranking.stats.sentences import frontier_month_rounded, frontier_summary, rounded
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
