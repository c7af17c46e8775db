"""Pure numerical rating code (numpy, scipy, stdlib). Never imports Django.

Bradley-Terry on the Elo scale with bootstrap intervals, as on Chatbot Arena; see
``docs/ratings.md`` for the methods and ``docs/performance.md`` for the measurements.
"""

from ranking.stats.bootstrap import (
    BootstrapResult,
    analytic_covariance,
    analytic_intervals,
    bootstrap_intervals,
    percentile_intervals,
)
from ranking.stats.bradley_terry import BTFit, elo_factor, fit_bradley_terry, to_elo_scale
from ranking.stats.types import ENGINE_VERSION, Outcome, PairCounts, StyleCounts

__all__ = [
    "ENGINE_VERSION",
    "BTFit",
    "BootstrapResult",
    "Outcome",
    "PairCounts",
    "StyleCounts",
    "analytic_covariance",
    "analytic_intervals",
    "bootstrap_intervals",
    "elo_factor",
    "fit_bradley_terry",
    "percentile_intervals",
    "to_elo_scale",
]
