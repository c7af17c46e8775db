"""Linking month-end fits onto one scale: known shifts recovered, the fit's quality reported."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ranking.stats.frontier import MonthRatings, monthly_frontier
from ranking.stats.linking import link_months


def shifted_month(month: str, models: dict[str, float], shift: float, noise: np.ndarray):
    keys = tuple(models)
    scores = np.array([models[k] for k in keys]) + shift + noise
    return MonthRatings(
        month=month,
        models=keys,
        countries=tuple("US" if k.startswith("us") else "CN" for k in keys),
        scores=scores,
        ci_low=scores - 10,
        ci_high=scores + 10,
        replicates=scores + np.zeros((5, len(keys))),
    )


def test_linking_recovers_a_known_shift_between_months():
    truth = {"us-a": 1250.0, "cn-a": 1200.0, "us-b": 1100.0, "cn-b": 1050.0}
    later = truth | {"cn-c": 1230.0}
    months = [
        shifted_month("2025-01", truth, -37.0, np.zeros(4)),  # fitted 37 points low
        shifted_month("2025-02", later, 0.0, np.zeros(5)),
    ]
    linked, links = link_months(months)
    assert [link.shift for link in links] == pytest.approx([37.0, 0.0])
    assert links[1].common == 4 and links[1].rms == pytest.approx(0.0, abs=1e-9)
    assert links[0].common == 0 and links[0].rms is None
    np.testing.assert_allclose(linked[0].scores, [1250.0, 1200.0, 1100.0, 1050.0])
    np.testing.assert_allclose(linked[0].ci_low, linked[0].scores - 10)
    np.testing.assert_allclose(linked[0].replicates[0], linked[0].scores)
    # cn-c (1230, February) had been reached by us-a in January (1250): a lag of at least
    # one month. Unlinked, January's us-a reads 1213 and the lag would wrongly be 0.
    assert monthly_frontier(linked).months[1].lag == 1
    assert monthly_frontier(months).months[1].lag == 0


def test_linking_reports_how_well_the_common_models_agree():
    rng = np.random.default_rng(8)
    truth = {f"us-{k}": 1000.0 + 20 * k for k in range(10)} | {
        f"cn-{k}": 990.0 + 20 * k for k in range(10)
    }
    noise = rng.normal(0, 5, (3, 20))
    months = [
        shifted_month(month, truth, shift, noise[i])
        for i, (month, shift) in enumerate(
            (("2025-01", 60.0), ("2025-02", -25.0), ("2025-03", 0.0))
        )
    ]
    linked, links = link_months(months)
    assert [link.shift for link in links] == pytest.approx([-60.0, 25.0, 0.0], abs=4)
    # Two independent noises of 5 points: the difference spreads by about 7.
    assert all(4 < link.rms < 10 for link in links[1:])
    for month in linked:
        assert np.abs(month.scores - noise_free(truth, month)).max() < 20


def noise_free(truth: dict[str, float], month: MonthRatings) -> np.ndarray:
    return np.array([truth[k] for k in month.models])


def test_linking_prefers_models_with_enough_votes_and_survives_no_common_model():
    first = replace(
        shifted_month("2025-01", {"us-a": 1200.0, "cn-a": 1100.0}, 0.0, np.zeros(2)),
        votes=np.array([5000.0, 5.0]),
    )
    second = replace(
        shifted_month("2025-02", {"us-a": 1210.0, "cn-a": 1000.0}, 0.0, np.zeros(2)),
        votes=np.array([6000.0, 10.0]),
    )
    _, links = link_months([first, second], min_votes=300)
    # Only us-a counts: cn-a's 100-point swing on 5 and 10 votes does not move the scale.
    assert links[0].shift == pytest.approx(10.0) and links[1].common == 1
    third = shifted_month("2025-03", {"us-z": 1300.0}, 0.0, np.zeros(1))
    _, links = link_months([first, second, third], min_votes=300)
    assert links[2].common == 0 and links[2].rms is None and links[1].shift == 0.0
    assert link_months([]) == ([], [])
