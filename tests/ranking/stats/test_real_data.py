"""Real votes: the LMSYS Chatbot Arena counts of 2024-08-14 and GenAI-Arena image votes.

The data live outside the repository (see /work/shared/data/PROVENANCE.md). Without them a
test skips, unless CI is set, where their absence is a failure.
"""

import csv
import math
from pathlib import Path

import choix
import numpy as np
import pytest
import scipy.optimize

from ranking.stats import elo_online, rate
from ranking.stats.io import read_battles_json, read_pair_counts_csv
from tests.support import shared_data

LMSYS = "lmsys_2024_08/pair_counts_20240814.csv"
GENAI = "genai_arena_2024_02/clean_battle_20240220.json"
ANCHOR = ("mixtral-8x7b-instruct-v0.1", 1114.0)


@pytest.fixture(scope="module")
def lmsys():
    return read_pair_counts_csv(shared_data(LMSYS))


@pytest.fixture(scope="module")
def lmsys_ratings(lmsys):
    return rate(lmsys.counts, rounds=200, seed=0, anchor=(lmsys.index(ANCHOR[0]), ANCHOR[1]))


def independent_half_wins(path: Path) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Read the CSV with the csv module only: pair indices and half-tie wins of i."""
    rows = list(csv.DictReader(path.open()))
    labels = sorted({r["model_i"] for r in rows} | {r["model_j"] for r in rows})
    where = {label: k for k, label in enumerate(labels)}
    pairs = np.array([[where[r["model_i"]], where[r["model_j"]]] for r in rows])
    wins_i = np.array(
        [int(r["wins_i"]) + (int(r["ties"]) + int(r["ties_bothbad"])) / 2 for r in rows]
    )
    n = np.array([int(r["n"]) for r in rows], dtype=float)
    return labels, pairs, wins_i, n


def anchored(theta: np.ndarray, labels: list[str]) -> np.ndarray:
    points = theta * 400 / math.log(10)
    return points - points[labels.index(ANCHOR[0])] + ANCHOR[1]


def test_lmsys_scores_match_a_plain_scipy_lbfgs_logistic_fit(lmsys, lmsys_ratings):
    labels, pairs, wins_i, n = independent_half_wins(shared_data(LMSYS))
    k = len(labels)
    prior = lmsys_ratings.prior

    def objective(theta):
        d = theta[pairs[:, 0]] - theta[pairs[:, 1]]
        p = 1 / (1 + np.exp(-d))
        value = -np.sum(wins_i * np.log(p) + (n - wins_i) * np.log1p(-p))
        value += prior / 2 * theta @ theta
        r = wins_i - n * p
        grad = -np.bincount(pairs[:, 0], r, k) + np.bincount(pairs[:, 1], r, k) + prior * theta
        return value, grad

    result = scipy.optimize.minimize(
        objective,
        np.zeros(k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10000, "ftol": 0, "gtol": 1e-9},
    )
    reference = anchored(result.x, labels)
    ours = lmsys_ratings.score[[lmsys.index(label) for label in labels]]
    assert np.max(np.abs(ours - reference)) < 0.01


def test_lmsys_scores_match_choix_within_a_hundredth_of_a_point(lmsys, lmsys_ratings):
    labels, pairs, wins_i, n = independent_half_wins(shared_data(LMSYS))
    k = len(labels)
    wins = np.zeros((k, k))
    np.add.at(wins, (pairs[:, 0], pairs[:, 1]), wins_i)
    np.add.at(wins, (pairs[:, 1], pairs[:, 0]), n - wins_i)
    reference = anchored(
        choix.ilsr_pairwise_dense(wins, alpha=0.0, max_iter=10000, tol=1e-12), labels
    )
    ours = lmsys_ratings.score[[lmsys.index(label) for label in labels]]
    # choix fits without a prior; ours is weak enough not to matter at this precision.
    assert np.max(np.abs(ours - reference)) < 0.01


def test_lmsys_board_reads_as_chatbot_arena_did_in_august_2024(lmsys, lmsys_ratings):
    order = [lmsys.labels[i] for i in lmsys_ratings.order()]
    assert len(order) == 129
    assert lmsys_ratings.n_votes == 1_670_250
    assert order[:3] == ["chatgpt-4o-latest", "gemini-1.5-pro-exp-0801", "gpt-4o-2024-05-13"]
    top = lmsys_ratings.score[lmsys.index("chatgpt-4o-latest")]
    assert 1310 < top < 1320  # the public board showed 1316 on 2024-08-14
    assert lmsys_ratings.rank_ub[lmsys.index("chatgpt-4o-latest")] == 1
    assert set(order[:6]) >= {"claude-3-5-sonnet-20240620", "gpt-4o-mini-2024-07-18"}
    assert lmsys_ratings.warnings == ()


def test_genai_arena_image_votes_fit_and_agree_with_choix_within_each_task():
    votes = read_battles_json(shared_data(GENAI))
    ratings = rate(votes.counts, rounds=200, seed=0)
    assert votes.counts.n_votes + votes.skipped_self == 2061
    # Generation and editing models never meet: two components, reported as a warning.
    assert any("disconnected: 2 components" in str(warning) for warning in ratings.warnings)
    assert np.all(ratings.ci_low < ratings.score) and np.all(ratings.score < ratings.ci_high)
    assert set(ratings.component.tolist()) == {0, 1}
    credit = np.where(votes.outcome == 0, 1.0, np.where(votes.outcome == 1, 0.0, 0.5))
    for task in ("_generation", "_edition"):
        members = [i for i, label in enumerate(votes.labels) if label.endswith(task)]
        where = {model: k for k, model in enumerate(members)}
        wins = np.zeros((len(members), len(members)))
        for a, b, c in zip(votes.model_a, votes.model_b, credit, strict=True):
            if a in where:
                wins[where[a], where[b]] += c
                wins[where[b], where[a]] += 1 - c
        theta = choix.ilsr_pairwise_dense(wins, alpha=0.0, max_iter=10000, tol=1e-12)
        reference = theta * 400 / math.log(10)
        ours = ratings.score[members]
        difference = (ours - ours.mean()) - (reference - reference.mean())
        assert np.max(np.abs(difference)) < 0.01


def test_genai_arena_ranks_generation_models_only_among_generation_models():
    votes = read_battles_json(shared_data(GENAI))
    ratings = rate(votes.counts, rounds=1000, seed=0)
    for task, size in (("_generation", 6), ("_edition", 7)):
        members = [i for i, label in enumerate(votes.labels) if label.endswith(task)]
        assert len(set(ratings.component[members].tolist())) == 1
        assert sorted(ratings.rank[members].tolist()) == list(range(1, size + 1))
        assert np.all(ratings.rank_ub[members] <= ratings.rank[members])
    # Before ranks counted the other component: OpenJourney was 10th with Rank (UB) 9 though
    # fifth of the six generation models, with four of them clearly above it.
    journey = votes.index("imagenhub_OpenJourney_generation")
    assert (ratings.rank[journey], ratings.rank_ub[journey]) == (5, 5)


def test_online_elo_on_genai_arena_broadly_agrees_with_bradley_terry():
    votes = read_battles_json(shared_data(GENAI))
    ratings = rate(votes.counts, interval="analytic")
    online = elo_online(votes.model_a, votes.model_b, votes.outcome, n_models=len(votes.labels))
    assert np.corrcoef(online.scores, ratings.score)[0, 1] > 0.5
