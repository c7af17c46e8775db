from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from arena.demo import DEMO_PROMPTS, DEMO_SET_NAME, DEMO_STRENGTHS, DEMO_VIDEO_STRENGTHS
from arena.models import AIModel, Output, PromptSet, Vote

pytestmark = pytest.mark.django_db


def test_it_loads_real_models_demo_prompts_and_labelled_votes(capsys):
    call_command("seed_demo", "--votes-per-month", "300")
    assert "demo loaded" in capsys.readouterr().out
    assert AIModel.objects.count() == 301 + len(DEMO_VIDEO_STRENGTHS)
    demo_set = PromptSet.objects.get(source=PromptSet.Source.DEMO, name=DEMO_SET_NAME)
    assert demo_set.prompts.count() == len(DEMO_PROMPTS)
    assert {p.category for p in demo_set.prompts.all()} >= {"coding", "math", "multilingual"}
    assert Output.objects.filter(modality="text").count() == len(DEMO_PROMPTS) * len(DEMO_STRENGTHS)
    assert Vote.objects.exclude(source=Vote.SOURCE_DEMO).count() == 0
    assert Vote.objects.filter(modality="text").count() == 17 * 300


def test_no_model_is_voted_on_before_its_release():
    call_command("seed_demo", "--votes-per-month", "200")
    for model in AIModel.objects.filter(key__in=DEMO_STRENGTHS):
        early = Vote.objects.filter(
            Q(model_a=model) | Q(model_b=model),
            created_at__date__lt=model.release_date.replace(day=1),
        )
        assert not early.exists(), model.key


def test_simulated_votes_follow_the_demo_strengths():
    call_command("seed_demo", "--votes-per-month", "1500")
    decisive = Vote.objects.filter(outcome__in=["a", "b"]).values_list(
        "model_a__key", "model_b__key", "outcome"
    )
    for key in ("deepseek-r1", "gpt-4o-2024-05-13", "qwen-14b-chat"):
        wins = expected = variance = 0.0
        for key_a, key_b, outcome in decisive:
            if key not in (key_a, key_b):
                continue
            other = key_b if key == key_a else key_a
            p_win = 1 / (1 + 10 ** ((DEMO_STRENGTHS[other] - DEMO_STRENGTHS[key]) / 400))
            wins += (outcome == "a") == (key == key_a)
            expected += p_win
            variance += p_win * (1 - p_win)
        # Bradley-Terry truth: observed wins within 4 standard deviations of the expectation.
        assert abs(wins - expected) < 4 * variance**0.5, key


def test_it_leaves_a_database_with_data_alone_when_asked(capsys):
    call_command("seed_demo", "--votes-per-month", "10")
    call_command("seed_demo", "--if-empty")
    assert "already holds data" in capsys.readouterr().out
    assert Vote.objects.filter(modality="text").aggregate(n=Sum("count"))["n"] == 170


def test_running_it_again_replaces_the_demo_votes_instead_of_adding():
    call_command("seed_demo", "--votes-per-month", "10")
    call_command("seed_demo", "--votes-per-month", "10")
    assert Vote.objects.filter(modality="text").count() == 170
    assert Vote.objects.values("external_id").annotate(n=Count("id")).filter(n__gt=1).count() == 0
