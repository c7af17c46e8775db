"""Frontier sides that are groups (sets of countries, licence classes, both), on hand-made
histories: numbers checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.stats.frontier import Group, MonthRatings, monthly_frontier, running_frontier

US_OPEN = Group(countries=("US",), weights="open")
CN_OPEN = Group(countries=("CN",), weights="open")
OPEN = Group(weights="open")
PROPRIETARY = Group(weights="proprietary")


def history(rows: dict[str, list[tuple]]) -> list[MonthRatings]:
    """{month: [(model, country, weights, score[, votes]), ...]} -> months."""
    months = []
    for month, listed in rows.items():
        with_votes = all(len(row) == 5 for row in listed)
        months.append(
            MonthRatings(
                month=month,
                models=tuple(row[0] for row in listed),
                countries=tuple(row[1] for row in listed),
                weights=tuple(row[2] for row in listed),
                scores=np.array([row[3] for row in listed], dtype=float),
                votes=np.array([row[4] for row in listed], dtype=float) if with_votes else None,
            )
        )
    return months


ROWS = {
    "2024-01": [
        ("gpt", "US", "proprietary", 1250),
        ("llama", "US", "open", 1100),
        ("qwen", "CN", "open", 1150),
        ("mistral", "FR", "open", 1160),
        ("falcon", "AE", "open", 1050),
        ("secret", "CN", "unknown", 1300),
    ],
    "2024-02": [
        ("gpt", "US", "proprietary", 1260),
        ("llama", "US", "open", 1170),
        ("qwen", "CN", "open", 1150),
        ("ernie", "CN", "proprietary", 1180),
        ("gemma", "", "open", 1190),  # a lab without a country: only worldwide groups
    ],
    "2024-03": [
        ("gpt", "US", "proprietary", 1270),
        ("llama3", "US", "open", 1210),
        ("deepseek", "CN", "open", 1200),
    ],
}


def rows_of(a, b, rows=ROWS, **options):
    return {row.month: row for row in monthly_frontier(history(rows), a=a, b=b, **options).months}


def test_open_weights_us_against_china_uses_only_open_models_of_each():
    rows = rows_of(US_OPEN, CN_OPEN)
    # January: China's open qwen (1150) leads the US's open llama (1100); the secret model of
    # unknown openness (1300) is in no licence group.
    january = rows["2024-01"]
    assert (january.a_model, january.b_model, january.gap) == ("llama", "qwen", -50)
    assert january.leader == "CN:open" and january.lag == 0
    assert january.b_unknown_weights == ("secret",) and january.a_unknown_weights == ()
    # March: deepseek 1200 trails llama3 1210; the US's open models first reached 1200 in
    # March (February's llama was 1170): no lag.
    march = rows["2024-03"]
    assert (march.a_model, march.b_model, march.gap, march.lag) == ("llama3", "deepseek", 10, 0)
    assert (march.a_country, march.a_weights, march.b_country) == ("US", "open", "CN")


def test_a_country_against_a_set_of_countries_takes_the_best_of_the_set():
    rows = rows_of(Group(countries=("FR", "AE")), Group(countries=("CN",)))
    january = rows["2024-01"]
    # France's mistral (1160) is the best of France and the UAE; China's best is the secret
    # model (1300): a country group takes every model, whatever its openness.
    assert january.a_model == "mistral" and january.a_country == "FR"
    assert january.b_model == "secret" and january.leader == "CN"
    assert january.b_unknown_weights == ()  # no licence group, nothing left out
    # February and March: neither France nor the UAE lists a model; China leads, no lag.
    february = rows["2024-02"]
    assert february.a_model is None and february.gap is None and february.lag == 0
    assert february.leader == "CN" and february.b_model == "ernie"


def test_open_weights_against_proprietary_worldwide_counts_labs_without_a_country():
    rows = rows_of(PROPRIETARY, OPEN)
    # February: gemma (no country, open, 1190) is the world's best open model.
    february = rows["2024-02"]
    assert (february.a_model, february.b_model) == ("gpt", "gemma")
    assert (february.b_country, february.gap) == ("", 70)
    # 1190 was first reached by a proprietary model in January (gpt 1250): a lag of 1 month,
    # a lower bound because January is the first month.
    assert february.lag == 1 and february.lag_censored
    # The unknown model is left out of both sides.
    assert rows["2024-01"].a_unknown_weights == rows["2024-01"].b_unknown_weights == ("secret",)


def test_china_open_against_us_proprietary():
    march = rows_of(Group(countries=("US",), weights="proprietary"), CN_OPEN)["2024-03"]
    # deepseek 1200 vs gpt 1270; gpt was already at 1250 in January: a lag of 2, censored.
    assert (march.a_model, march.b_model, march.gap) == ("gpt", "deepseek", 70)
    assert march.lag == 2 and march.lag_censored and march.leader == "US:proprietary"


def test_a_group_with_no_model_in_a_month_has_no_gap_and_never_sets_the_lag():
    rows = {
        "2024-01": [("gpt", "US", "proprietary", 1250), ("qwen", "CN", "open", 1150)],
        "2024-02": [("gpt", "US", "proprietary", 1250), ("qwen", "CN", "open", 1150)],
        "2024-03": [("llama", "US", "open", 1160), ("qwen2", "CN", "open", 1155)],
    }
    by_month = rows_of(US_OPEN, CN_OPEN, rows)
    for month in ("2024-01", "2024-02"):
        row = by_month[month]
        # No US open model: no gap, China leads with no lag.
        assert row.a_model is None and row.gap is None and row.lag == 0
        assert row.leader == "CN:open"
    march = by_month["2024-03"]
    # A month where the US had no open model can never be the month it reached 1155: the
    # level is first reached in March itself, and January to February do not censor it.
    assert march.lag == 0 and march.gap == 5 and march.leader == "US:open"


def test_a_model_of_unknown_openness_counts_for_its_country_and_not_for_a_licence_group():
    rows = {"2025-01": [("us", "US", "open", 1200), ("cn-x", "CN", "unknown", 1250)]}
    by_country = rows_of("US", "CN", rows)["2025-01"]
    assert by_country.b_model == "cn-x" and by_country.leader == "CN"
    by_licence = rows_of(US_OPEN, CN_OPEN, rows)["2025-01"]
    assert by_licence.b_model is None and by_licence.b_unknown_weights == ("cn-x",)
    # A history without openness at all: every model unknown, no licence group has any.
    plain = history(rows)[0]
    unknown = MonthRatings(plain.month, plain.models, plain.countries, plain.scores)
    row = monthly_frontier([unknown], a=US_OPEN, b=CN_OPEN).months[0]
    assert row.a_model is None and row.b_model is None and row.leader == ""
    assert row.a_unknown_weights == ("us",) and row.b_unknown_weights == ("cn-x",)


def test_unknown_models_with_too_few_votes_are_not_counted_as_left_out():
    rows = {"2025-01": [("us", "US", "open", 1200, 900), ("cn-x", "CN", "unknown", 1250, 12)]}
    row = rows_of(US_OPEN, CN_OPEN, rows, min_votes=300)["2025-01"]
    assert row.b_unknown_weights == ()


def test_group_gap_intervals_come_from_each_groups_best_in_each_replicate():
    # Replicate r: the open US models score (1200 + r, 1190 + 2r), the open CN model 1195.
    reps = np.array([[1200 + r, 1190 + 2 * r, 1195, 1400] for r in range(11)], dtype=float)
    month = MonthRatings(
        month="2025-01",
        models=("llama", "llama-big", "qwen", "gpt"),
        countries=("US", "US", "CN", "US"),
        weights=("open", "open", "open", "proprietary"),
        scores=np.array([1205, 1200, 1195, 1400], dtype=float),
        replicates=reps,
    )
    row = monthly_frontier([month], a=US_OPEN, b=CN_OPEN).months[0]
    best = np.maximum(1200 + np.arange(11), 1190 + 2 * np.arange(11))  # never gpt's 1400
    gaps = best - 1195
    assert row.gap == 10
    assert row.gap_low == pytest.approx(np.percentile(gaps, 2.5))
    assert row.gap_high == pytest.approx(np.percentile(gaps, 97.5))
    assert row.a_low == pytest.approx(np.percentile(best, 2.5))


def test_current_mode_runs_the_open_weights_best_over_release_months():
    frontier = running_frontier(
        ["2024-01", "2024-02", "2024-03"],
        models=["gpt", "llama", "qwen", "mystery"],
        countries=["US", "US", "CN", "CN"],
        weights=["proprietary", "open", "open", "unknown"],
        entry=["2024-01", "2024-02", "2024-01", "2024-01"],
        scores=np.array([1300.0, 1200.0, 1180.0, 1400.0]),
        a=US_OPEN,
        b=CN_OPEN,
    )
    january, february, march = frontier.months
    assert january.a_model is None and january.b_model == "qwen" and january.lag == 0
    assert february.a_model == "llama" and february.gap == 20 and february.lag == 0
    assert march.lag == 1 and not march.lag_censored  # 1180 first reached in February
    assert march.b_unknown_weights == ("mystery",)


def test_two_groups_of_the_same_models_are_refused_but_overlapping_ones_are_not():
    with pytest.raises(ValueError, match="two different groups"):
        monthly_frontier(history(ROWS), a=Group(("US", "GB")), b=Group(("GB", "US")))
    row = rows_of(OPEN, CN_OPEN)["2024-03"]  # China's best open model against the world's
    assert row.a_model == "llama3" and row.gap == 10
    with pytest.raises(ValueError, match="country or a licence class"):
        Group()
    with pytest.raises(ValueError, match="weights"):
        Group(weights="unknown")


def test_group_codes_are_canonical_spellings():
    assert [g.code for g in (Group(("US",)), Group(("US", "GB")), OPEN, CN_OPEN)] == [
        "US",
        "US,GB",
        "open",
        "CN:open",
    ]
