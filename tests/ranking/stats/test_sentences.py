"""The frontier's sentence, on hand-made histories."""

from __future__ import annotations

from ranking.stats.frontier import monthly_frontier
from ranking.stats.sentences import frontier_summary
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
