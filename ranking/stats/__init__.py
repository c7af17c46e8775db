"""Pure numerical rating code (numpy, scipy, stdlib). Never imports Django.

Bradley-Terry on the Elo scale with bootstrap intervals, as on Chatbot Arena; see
``docs/ratings.md`` for the methods and ``docs/performance.md`` for the measurements.
"""

from ranking.stats.bradley_terry import BTFit, elo_factor, fit_bradley_terry, to_elo_scale
from ranking.stats.types import ENGINE_VERSION, Outcome, PairCounts, StyleCounts

__all__ = [
    "ENGINE_VERSION",
    "BTFit",
    "Outcome",
    "PairCounts",
    "StyleCounts",
    "elo_factor",
    "fit_bradley_terry",
    "to_elo_scale",
]
