"""Pure numerical rating code (numpy, scipy, stdlib). Never imports Django.

Bradley-Terry on the Elo scale with bootstrap intervals, as on Chatbot Arena; see
``docs/ratings.md`` for the methods and ``docs/performance.md`` for the measurements.
"""

from pairwise.outcomes import Outcome
from ranking.stats.bootstrap import (
    BootstrapResult,
    analytic_covariance,
    analytic_intervals,
    bootstrap_intervals,
    min_bootstrap_rounds,
    percentile_intervals,
)
from ranking.stats.bradley_terry import BTFit, elo_factor, fit_bradley_terry, to_elo_scale
from ranking.stats.elo import OnlineElo, OnlineEloPath, elo_online, elo_online_path
from ranking.stats.frontier import (
    Frontier,
    FrontierMonth,
    MonthRatings,
    monthly_frontier,
    running_frontier,
)
from ranking.stats.history import HistoryError, read_rating_history
from ranking.stats.ranks import (
    average_win_rate,
    observed_win_rates,
    predicted_win_rates,
    rank_by_intervals,
    rank_by_score,
)
from ranking.stats.ratings import MAX_VOTES, Ratings, rate
from ranking.stats.sentences import frontier_summary
from ranking.stats.style import STYLE_FEATURES, style_difference
from ranking.stats.types import ENGINE_VERSION, Note, PairCounts, StyleCounts

__all__ = [
    "ENGINE_VERSION",
    "MAX_VOTES",
    "BTFit",
    "BootstrapResult",
    "Frontier",
    "FrontierMonth",
    "HistoryError",
    "MonthRatings",
    "Note",
    "OnlineElo",
    "OnlineEloPath",
    "Outcome",
    "PairCounts",
    "Ratings",
    "STYLE_FEATURES",
    "StyleCounts",
    "analytic_covariance",
    "analytic_intervals",
    "average_win_rate",
    "bootstrap_intervals",
    "elo_factor",
    "elo_online",
    "elo_online_path",
    "min_bootstrap_rounds",
    "fit_bradley_terry",
    "frontier_summary",
    "monthly_frontier",
    "observed_win_rates",
    "percentile_intervals",
    "predicted_win_rates",
    "rank_by_intervals",
    "rank_by_score",
    "rate",
    "read_rating_history",
    "running_frontier",
    "style_difference",
    "to_elo_scale",
]
