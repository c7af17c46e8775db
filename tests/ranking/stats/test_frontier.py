"""The frontier on hand-made histories: no database, numbers checked by hand."""

from __future__ import annotations

from dataclasses import replace

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


def test_an_empty_month_is_no_step_of_the_lag_where_a_missing_one_still_counts():
    months = {
        "2025-01": [("us", "US", 1300), ("cn", "CN", 1200)],
        "2025-02": [("us", "US", 1300), ("cn", "CN", 1200)],
        # 2025-03 to 2026-10: no counted votes at all.
        "2026-11": [("us", "US", 1300), ("cn", "CN", 1280)],
    }
    empty = [f"2025-{m:02d}" for m in range(3, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
    rows = by_month(monthly_frontier(history(months), empty=empty))
    # The US reached 1280 in January; February is one month of data later, November 2026
    # the next: a lag of 2, not the 22 calendar months the empty stretch would add.
    assert rows["2025-02"].lag == 1 and rows["2026-11"].lag == 2
    assert rows["2026-11"].lag_censored  # January is the first month: a lower bound
    # Without saying the months are empty they are missing: counted, and the lag is the
    # calendar's. (A missing month before m* would also censor it.)
    assert by_month(monthly_frontier(history(months)))["2026-11"].lag == 22
    with pytest.raises(ValueError, match="both have data and be empty"):
        monthly_frontier(history(months), empty=["2025-02"])


def test_an_empty_month_before_the_matching_one_does_not_censor_it_but_a_missing_one_does():
    months = {
        "2024-01": [("us", "US", 1000), ("cn", "CN", 900)],
        "2024-03": [("us", "US", 1100), ("cn", "CN", 900)],
        "2024-04": [("us", "US", 1100), ("cn", "CN", 1050)],
    }
    known_empty = by_month(monthly_frontier(history(months), empty=["2024-02"]))["2024-04"]
    assert known_empty.lag == 1 and not known_empty.lag_censored
    missing = by_month(monthly_frontier(history(months)))["2024-04"]
    assert missing.lag == 1 and missing.lag_censored


def test_a_model_with_too_few_votes_is_never_the_top_and_is_shown_apart():
    months = history(
        {
            "2025-01": [("us", "US", 1300, 5000), ("cn", "CN", 1250, 4000)],
            "2025-02": [
                ("us", "US", 1300, 6000),
                ("cn", "CN", 1250, 5000),
                ("cn-new", "CN", 1900, 9),  # 9 votes, all won: a wild score
                ("us-new", "US", 1200, 12),  # fewer votes but below the US's best: not shown
            ],
        }
    )
    row = by_month(monthly_frontier(months, min_votes=300))["2025-02"]
    assert (row.b_model, row.b_score, row.gap, row.leader) == ("cn", 1250, 50, "US")
    assert (row.b_provisional, row.b_provisional_score) == ("cn-new", 1900)
    assert row.a_provisional is None and row.lag == 1
    # Without the threshold the 9-vote model would lead.
    assert by_month(monthly_frontier(months))["2025-02"].leader == "CN"


def test_a_country_with_only_provisional_models_has_no_best_but_shows_them():
    months = history({"2025-01": [("us", "US", 1300, 5000), ("cn-new", "CN", 1100, 9)]})
    row = monthly_frontier(months, min_votes=300).months[0]
    assert row.b_model is None and row.gap is None and row.leader == "US"
    assert row.b_provisional == "cn-new"


def test_the_provisional_rule_also_holds_in_the_replicates():
    rng = np.random.default_rng(4)
    scores = np.array([1300.0, 1250.0, 1900.0])
    month = MonthRatings(
        month="2025-01",
        models=("us", "cn", "cn-new"),
        countries=("US", "CN", "CN"),
        scores=scores,
        replicates=scores + rng.normal(0, 10, (200, 3)),
        votes=np.array([5000.0, 4000.0, 9.0]),
    )
    row = monthly_frontier([month], min_votes=300).months[0]
    # The interval of China's best is cn's, not the 9-vote model's (around 1900).
    assert row.b_high < 1300 and 20 < row.gap_low < row.gap < row.gap_high < 80


def test_a_gap_whose_interval_contains_zero_is_a_statistical_tie():
    rng = np.random.default_rng(2)
    scores = np.array([1039.0, 1032.0])
    month = MonthRatings(
        month="2025-05",
        models=("veo-2", "wan-2.1"),
        countries=("US", "CN"),
        scores=scores,
        replicates=scores + rng.normal(0, 25, (400, 2)),
    )
    row = monthly_frontier([month]).months[0]
    assert row.gap == pytest.approx(7) and row.gap_low < 0 < row.gap_high
    assert row.tied and row.leader == "US"
    apart = replace(month, replicates=scores + rng.normal(0, 1, (400, 2)))
    assert not monthly_frontier([apart]).months[0].tied
    assert (
        not monthly_frontier(history({"2025-05": [("a", "US", 2), ("b", "CN", 1)]})).months[0].tied
    )  # no interval, no claim


def test_the_running_best_leaves_out_provisional_models_and_counts_no_empty_month():
    fit = simulated_fit(1)
    fit["votes"] = np.array([5000.0, 5000.0, 5000.0, 5000.0, 5000.0, 20.0])  # cn-c: 20 votes
    months = [f"2024-{m:02d}" for m in range(1, 10) if m != 7]
    rows = by_month(running_frontier(months, **fit, min_votes=300, empty=["2024-07"]))
    august = rows["2024-08"]
    assert august.b_model == "cn-b" and august.b_provisional == "cn-c"
    # cn-b (1080, May) was first reached by the US with us-b (1100) in March: 5 calendar
    # months to August, 4 with data (July had none).
    assert august.lag == 4 and not august.lag_censored
