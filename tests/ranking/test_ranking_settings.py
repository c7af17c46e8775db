"""The ranking settings refuse what cannot give honest boards, at start-up."""

from __future__ import annotations

import pytest

from tests.config.test_settings import show

BASE = {"DJANGO_SETTINGS_MODULE": "config.settings.base"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"RANKING_BOOTSTRAP_ROUNDS": "20"},
            "RANKING_BOOTSTRAP_ROUNDS=20 is too few: use 0 (analytic intervals) or at least 100",
        ),
        ({"RANKING_ANCHORS": "text:mixtral=nan"}, "must read MODALITY:MODEL=SCORE with a finite"),
        ({"RANKING_STYLE_CONTROL": "sometimes"}, "RANKING_STYLE_CONTROL='sometimes' is not a"),
    ],
)
def test_a_bad_ranking_setting_stops_the_process_naming_it(tmp_path, env, message):
    result = show("RANKING_BOOTSTRAP_ROUNDS", BASE | env, tmp_path)
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize(("rounds", "expected"), [("0", "0"), ("100", "100")])
def test_analytic_intervals_or_enough_rounds_are_accepted(tmp_path, rounds, expected):
    result = show("RANKING_BOOTSTRAP_ROUNDS", BASE | {"RANKING_BOOTSTRAP_ROUNDS": rounds}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_style_controlled_boards_are_made_unless_switched_off(tmp_path):
    assert show("RANKING_STYLE_CONTROL", BASE, tmp_path).stdout.strip() == "True"
    off = show("RANKING_STYLE_CONTROL", BASE | {"RANKING_STYLE_CONTROL": "0"}, tmp_path)
    assert off.stdout.strip() == "False"
