"""The frontier on hand-made histories: no database, numbers checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.stats.frontier import MonthRatings, monthly_frontier, running_frontier
from tests.ranking.stats.histories import history


def by_month(frontier):
    return {row.month: row for row in frontier.months}


def frontier_by_month(rows):
    """{month: [(model, country, score), ...]} -> {month: FrontierMonth} between US and CN."""
    return by_month(monthly_frontier(history(rows)))


def test_it_finds_each_countrys_best_the_gap_and_the_lag():
    rows = frontier_by_month(
        {
            "2024-01": [("us1", "US", 1100), ("cn1", "CN", 1000), ("fr1", "FR", 1200)],
            "2024-02": [("us2", "US", 1150), ("cn2", "CN", 1120)],
            "2024-03": [("us2", "US", 1150), ("cn3", "CN", 1140)],
        }
    )
    march = rows["2024-03"]
    assert (march.a_model, march.a_score, march.b_model, march.b_score) == (
        "us2",
        1150,
        "cn3",
        1140,
    )
    assert march.gap == 10 and march.leader == "US"
    # 1140 was first reached by the US in February: one month.
    assert march.lag == 1 and not march.lag_censored
    # 1120 in February was first reached by the US that month (January's 1100 falls short).
    assert rows["2024-02"].lag == 0 and not rows["2024-02"].lag_censored
    # 1000 was reached in the first month already: a lower bound.
    assert rows["2024-01"].lag == 0 and rows["2024-01"].lag_censored


def test_when_china_leads_the_lag_is_zero_and_china_is_the_leader():
    row = frontier_by_month({"2024-01": [("us", "US", 1100), ("cn", "CN", 1130)]})["2024-01"]
    assert row.gap == -30 and row.lag == 0 and not row.lag_censored and row.leader == "CN"


def test_a_tie_in_score_is_no_lag_and_no_leader():
    february = frontier_by_month(
        {
            "2024-01": [("us", "US", 1100), ("cn", "CN", 1000)],
            "2024-02": [("us", "US", 1100), ("cn2", "CN", 1100)],
        }
    )["2024-02"]
    assert february.gap == 0 and february.lag == 0 and february.leader == "tie"


def test_a_month_without_a_china_model_has_no_gap_or_lag():
    rows = frontier_by_month(
        {
            "2024-01": [("us", "US", 1100), ("fr", "FR", 1000)],
            "2024-02": [("us", "US", 1100), ("cn", "CN", 1050)],
        }
    )
    january = rows["2024-01"]
    assert january.b_model is None and january.gap is None and january.lag is None
    assert january.leader == "US"
    # The US reached 1050 in January, when China had no model: still the first month.
    assert rows["2024-02"].lag == 1 and rows["2024-02"].lag_censored


def test_a_lower_us_top_later_does_not_move_the_month_the_level_was_first_reached():
    rows = frontier_by_month(
        {
            "2024-01": [("us", "US", 1000), ("cn", "CN", 900)],
            "2024-02": [("us", "US", 1200), ("cn", "CN", 900)],
            "2024-03": [("us", "US", 1150), ("cn", "CN", 900)],  # rescaled lower
            "2024-04": [("us", "US", 1150), ("cn2", "CN", 1180)],
            "2024-05": [("us", "US", 1190), ("cn2", "CN", 1180)],
        }
    )
    assert rows["2024-04"].leader == "CN" and rows["2024-04"].lag == 0
    # 1180 was first reached in February (1200), not in May.
    assert rows["2024-05"].lag == 3 and not rows["2024-05"].lag_censored


def test_missing_months_count_as_calendar_months_and_censor_what_they_hide():
    rows = frontier_by_month(
        {
            "2024-01": [("us", "US", 1000), ("cn", "CN", 900)],
            "2024-04": [("us2", "US", 1100), ("cn", "CN", 900)],
            "2024-06": [("us2", "US", 1100), ("cn2", "CN", 1050)],
        }
    )
    # 1050 reached in April; March is missing, so it may have been reached then: censored.
    assert rows["2024-06"].lag == 2 and rows["2024-06"].lag_censored


def test_any_two_countries_can_be_compared():
    months = history({"2024-01": [("us", "US", 1100), ("fr", "FR", 1150), ("cn", "CN", 900)]})
    row = monthly_frontier(months, a="FR", b="US").months[0]
    assert (row.a_model, row.b_model, row.gap, row.leader) == ("fr", "us", 50, "FR")
    with pytest.raises(ValueError):
        monthly_frontier(months, a="US", b="US")


def test_months_must_increase():
    months = history({"2024-02": [("us", "US", 1)], "2024-01": [("us", "US", 1)]})
    with pytest.raises(ValueError, match="increasing"):
        monthly_frontier(months)


def simulated_fit(seed: int):
    """One fit: 6 models with known scores and 200 noisy replicates."""
    rng = np.random.default_rng(seed)
    scores = np.array([1000.0, 1100.0, 1200.0, 980.0, 1080.0, 1150.0])
    replicates = scores + rng.normal(0, 15, size=(200, 6))
    return dict(
        models=["us-a", "us-b", "us-c", "cn-a", "cn-b", "cn-c"],
        countries=["US", "US", "US", "CN", "CN", "CN"],
        entry=["2024-01", "2024-03", "2024-06", "2024-02", "2024-05", "2024-08"],
        scores=scores,
        replicates=replicates.astype(np.float32),
    )


def test_the_running_best_counts_each_model_from_its_release_month():
    fit = simulated_fit(1)
    months = [f"2024-{m:02d}" for m in range(1, 10)]
    rows = by_month(running_frontier(months, **fit))
    assert rows["2024-01"].b_model is None
    assert rows["2024-02"].b_model == "cn-a" and rows["2024-02"].lag == 1
    assert rows["2024-02"].lag_censored
    assert rows["2024-05"].a_model == "us-b" and rows["2024-05"].b_model == "cn-b"
    # cn-c (1150) in August: the US first reached 1150 with us-c in June.
    assert rows["2024-08"].lag == 2 and not rows["2024-08"].lag_censored
    assert rows["2024-08"].gap == pytest.approx(50)


def test_intervals_are_ordered_and_the_same_for_the_same_replicates():
    months = [f"2024-{m:02d}" for m in range(1, 10)]
    first = running_frontier(months, **simulated_fit(7))
    again = running_frontier(months, **simulated_fit(7))
    assert first == again
    for row in first.months:
        if row.a_model:
            assert row.a_low <= row.a_high
        if row.b_model:
            assert row.b_low <= row.b_high
            assert row.lag_low <= row.lag <= row.lag_high or row.lag_censored
        if row.gap is not None:
            assert row.gap_low <= row.gap <= row.gap_high


def test_the_lag_interval_widens_when_the_levels_are_close():
    fit = simulated_fit(3)
    fit["scores"] = np.array([1000.0, 1100.0, 1152.0, 980.0, 1080.0, 1150.0])
    fit["replicates"] = (fit["scores"] + np.random.default_rng(3).normal(0, 15, (400, 6))).astype(
        np.float32
    )
    row = by_month(running_frontier([f"2024-{m:02d}" for m in range(1, 10)], **fit))["2024-08"]
    # us-b (1100, March) and us-c (1152, June) are both plausible matches for cn-c (1150),
    # and in some replicates cn-c leads: the interval spans 0 to 2 months.
    assert row.lag == 2 and row.lag_low == 0 and row.lag_high == 2


def test_censored_replicates_mark_the_upper_end_of_the_lag_interval():
    fit = simulated_fit(5)
    months = [f"2024-{m:02d}" for m in range(1, 4)]
    row = by_month(running_frontier(months, **fit))["2024-02"]
    assert row.lag_censored and row.lag_high_censored


def test_month_end_fits_give_top_and_gap_intervals_but_no_lag_interval():
    rng = np.random.default_rng(0)
    months = []
    for month, scores in (("2024-01", [1100.0, 1000.0]), ("2024-02", [1120.0, 1090.0])):
        months.append(
            MonthRatings(
                month=month,
                models=("us", "cn"),
                countries=("US", "CN"),
                scores=np.array(scores),
                replicates=np.array(scores) + rng.normal(0, 10, (100, 2)),
            )
        )
    row = monthly_frontier(months).months[1]
    assert row.gap_low < row.gap < row.gap_high and row.lag_low is None
