"""Pure numerical rating code (numpy, stdlib; scipy only on the paths that need it). Never
imports Django.

Bradley-Terry on the Elo scale with bootstrap intervals, as on Chatbot Arena; see
``docs/ratings.md`` for the methods and ``docs/performance.md`` for the measurements.

The names below are imported from their modules on first use (PEP 562), so that ``python -m
ranking.stats``, which runs this file first, loads only what the command line needs (the
frontier, history and sentence modules are a tenth of its start-up otherwise).
"""

from __future__ import annotations

import importlib

#: Public name -> the module that defines it.
_HOMES = {
    "Outcome": "pairwise.outcomes",
    **dict.fromkeys(
        (
            "BootstrapResult",
            "analytic_covariance",
            "analytic_intervals",
            "bootstrap_intervals",
            "min_bootstrap_rounds",
            "percentile_intervals",
        ),
        "ranking.stats.bootstrap",
    ),
    **dict.fromkeys(
        ("BTFit", "elo_factor", "fit_bradley_terry", "to_elo_scale"),
        "ranking.stats.bradley_terry",
    ),
    **dict.fromkeys(
        ("OnlineElo", "OnlineEloPath", "elo_online", "elo_online_path"), "ranking.stats.elo"
    ),
    **dict.fromkeys(
        ("Frontier", "FrontierMonth", "MonthRatings", "monthly_frontier", "running_frontier"),
        "ranking.stats.frontier",
    ),
    **dict.fromkeys(("HistoryError", "read_rating_history"), "ranking.stats.history"),
    **dict.fromkeys(
        (
            "average_win_rate",
            "observed_win_rates",
            "predicted_win_rates",
            "rank_by_intervals",
            "rank_by_score",
        ),
        "ranking.stats.ranks",
    ),
    **dict.fromkeys(("MAX_VOTES", "Ratings", "rate"), "ranking.stats.ratings"),
    "frontier_summary": "ranking.stats.sentences",
    **dict.fromkeys(("STYLE_FEATURES", "style_difference"), "ranking.stats.style"),
    **dict.fromkeys(("ENGINE_VERSION", "Note", "PairCounts", "StyleCounts"), "ranking.stats.types"),
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        # Submodules (``from ranking.stats import resample``) are found by the import system.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
