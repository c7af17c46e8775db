"""The serving plan: battles drawn from a structure built off the request path."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arena.models import Output, ServingPlan, Vote
from arena.serving_plan import (
    Plan,
    current_plan,
    forget_loaded_plans,
    plan_draw,
    serving_plan_refresh,
    serving_plans_refresh,
)
from arena.set_ingest import prompt_set_ingest
from arena.tasks import serving_plans_refresh_task
from tests.arena.import_helpers import jsonl, text_rows
from tests.factories import AIModelFactory, OutputFactory, PromptFactory, VoteFactory


def hand_made_plan(*, cumulative, answers, categories=None) -> Plan:
    """A plan over models 10, 20, 30 and prompts 1.. with the given answers (P, 3)."""
    answers = np.array(answers, dtype=np.int32)
    prompts = len(answers)
    return Plan(
        model_ids=np.array([10, 20, 30]),
        prompt_ids=np.arange(1, prompts + 1),
        categories=np.array(categories or [""] * prompts, dtype=str),
        languages=np.array([""] * prompts, dtype=str),
        outputs=np.where(answers >= 0, 100 * np.arange(1, prompts + 1)[:, None] + [1, 2, 3], 0),
        answers=answers,
        pairs=np.array([[0, 1], [0, 2], [1, 2]]),
        cumulative=np.cumsum(cumulative, dtype=float),
        cells=np.zeros((0, 4), dtype=np.int64),
    )


def test_draws_follow_the_pair_weights_in_random_order_and_never_pair_a_model_with_itself():
    plan = hand_made_plan(cumulative=[1, 2, 7], answers=[[0, 1, 2]])
    rng = np.random.default_rng(7)
    draws = [plan_draw(plan, rng) for _ in range(20_000)]
    pairs = Counter(frozenset(d.model_ids) for d in draws)
    assert pairs[frozenset((10, 20))] / len(draws) == pytest.approx(0.1, abs=0.01)
    assert pairs[frozenset((10, 30))] / len(draws) == pytest.approx(0.2, abs=0.01)
    assert pairs[frozenset((20, 30))] / len(draws) == pytest.approx(0.7, abs=0.01)
    assert all(d.model_ids[0] != d.model_ids[1] for d in draws)
    first_on_left = sum(d.model_ids[0] == 10 for d in draws if 10 in d.model_ids)
    assert 0.45 < first_on_left / sum(10 in d.model_ids for d in draws) < 0.55
    # Each side's output is that model's answer to the drawn prompt.
    assert all(d.output_ids == tuple(100 + m // 10 for m in d.model_ids) for d in draws)


def test_under_a_filter_only_pairs_with_a_matching_prompt_are_drawn():
    # Model 30 answers only the poem; under "code" only (10, 20) can meet, and its weight is
    # tiny, so most draws are rejected before the exact search finds it.
    plan = hand_made_plan(
        cumulative=[0.001, 100, 100],
        answers=[[0, 1, -1], [0, 1, 2]],
        categories=["code", "poetry"],
    )
    rng = np.random.default_rng(3)
    draws = [plan_draw(plan, rng, category="code") for _ in range(200)]
    assert {frozenset(d.model_ids) for d in draws} == {frozenset((10, 20))}
    assert {d.prompt_id for d in draws} == {1}
    assert plan_draw(plan, rng, category="cooking") is None


def test_two_models_that_gave_the_same_answer_never_meet_on_that_prompt():
    plan = hand_made_plan(cumulative=[1, 1, 1], answers=[[0, 0, 1], [0, 1, 2]])
    rng = np.random.default_rng(5)
    draws = [plan_draw(plan, rng) for _ in range(300)]
    assert all(d.prompt_id == 2 for d in draws if set(d.model_ids) == {10, 20})


def test_a_plan_comes_back_from_its_bytes_unchanged():
    plan = hand_made_plan(cumulative=[1, 2, 3], answers=[[0, 1, 2]], categories=["çà"])
    back = Plan.from_bytes(plan.to_bytes())
    for name in ("model_ids", "categories", "outputs", "answers", "pairs", "cumulative"):
        assert np.array_equal(getattr(back, name), getattr(plan, name))


@pytest.mark.django_db
def test_added_votes_give_the_counts_of_a_full_recount(text_arena):
    a, b, c = text_arena["models"]
    VoteFactory(model_a=a, model_b=b, outcome="a", count=3)
    serving_plan_refresh("text")
    VoteFactory(model_a=a, model_b=b, outcome="a", count=2)
    VoteFactory(model_a=b, model_b=c, outcome="tie")
    incremental = Plan.from_bytes(bytes(serving_plan_refresh("text").payload)).cells
    recounted = Plan.from_bytes(bytes(serving_plan_refresh("text", recount=True).payload)).cells
    assert sorted(map(tuple, incremental.tolist())) == sorted(map(tuple, recounted.tolist()))
    assert (a.pk, b.pk, 0, 5) in map(tuple, incremental.tolist())


@pytest.mark.django_db
def test_votes_excluded_after_they_were_counted_leave_at_the_next_recount(text_arena, settings):
    a, b = text_arena["models"][:2]
    vote = VoteFactory(model_a=a, model_b=b, outcome="a", count=4)
    serving_plans_refresh()
    Vote.objects.filter(pk=vote.pk).update(excluded=True, exclusion_reason="flagged_voter")
    assert len(Plan.from_bytes(bytes(serving_plans_refresh()[0].payload)).cells) == 1
    settings.ARENA_SERVING_PLAN_RECOUNT_SECONDS = 0  # the hourly recount is due
    assert len(Plan.from_bytes(bytes(serving_plans_refresh()[0].payload)).cells) == 0


@pytest.mark.django_db
def test_a_refresh_keeps_the_previous_plan_for_processes_still_reading_it(text_arena):
    first = serving_plan_refresh("text")
    second = serving_plan_refresh("text")
    third = serving_plan_refresh("text")
    assert set(ServingPlan.objects.filter(modality="text").values_list("id", flat=True)) == {
        second.id,
        third.id,
    }
    assert first.id < second.id


@pytest.mark.django_db
def test_a_process_keeps_its_plan_until_the_recheck_interval_then_loads_the_newest(
    text_arena, settings
):
    settings.ARENA_SERVING_PLAN_RECHECK_SECONDS = 3600
    before = current_plan("text")
    newcomer = AIModelFactory(key="newcomer")
    for prompt in text_arena["prompts"]:
        OutputFactory(prompt=prompt, model=newcomer)
    ServingPlan.objects.all().delete()  # another process refreshes: a plan this one never saw
    serving_plan_refresh("text")
    forget_loaded_plans()
    current_plan("text")  # loads it...
    settings.ARENA_SERVING_PLAN_RECHECK_SECONDS = 0
    assert newcomer.pk in current_plan("text").model_ids
    assert newcomer.pk not in before.model_ids


@pytest.mark.django_db
def test_an_imported_set_is_servable_at_once():
    for key in ("m-a", "m-b"):
        AIModelFactory(key=key)
    serving_plan_refresh("text")  # a plan from before the set existed
    report = prompt_set_ingest(manifest=jsonl(text_rows()), manifest_name="set.jsonl")
    assert report.ok, report.errors
    plan = current_plan("text")
    assert len(plan.prompt_ids) == 2 and len(plan.pairs) == 1


@pytest.mark.django_db
def test_serving_a_battle_reads_no_vote_when_a_plan_exists(alice, text_arena):
    VoteFactory(model_a=text_arena["models"][0], model_b=text_arena["models"][1])
    serving_plans_refresh()
    with CaptureQueriesContext(connection) as queries:
        assert alice.get("/api/v1/battles/next/?modality=text").status_code == 200
    assert not [q for q in queries.captured_queries if "arena_vote" in q["sql"]]


@pytest.mark.django_db
@pytest.mark.parametrize("models", [5, 200])
def test_serving_a_battle_takes_at_most_four_queries(alice, models):
    first = PromptFactory()
    prompts = [first, PromptFactory(prompt_set=first.prompt_set)]
    answers = [(p, AIModelFactory(key=f"m{n}"), str(n)) for n in range(models) for p in prompts]
    Output.objects.bulk_create(
        Output(prompt=p, model=m, modality="text", text=t, checksum=f"{p.pk}-{t}")
        for p, m, t in answers
    )
    serving_plans_refresh()
    assert alice.get("/api/v1/battles/next/?modality=text").status_code == 200  # the session
    with CaptureQueriesContext(connection) as queries:
        response = alice.get("/api/v1/battles/next/?modality=text")
    assert response.status_code == 200
    assert len(queries.captured_queries) <= 4, [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_an_output_withdrawn_after_the_plan_was_built_is_never_served(text_arena, settings):
    settings.ARENA_SERVING_PLAN_RECHECK_SECONDS = 3600  # the plan in memory stays
    serving_plans_refresh()
    leaky = text_arena["models"][0]
    Output.objects.filter(model=leaky).update(identity_leak=True)  # bypasses any signal
    from arena.services import battle_create

    battles = [battle_create(voter_key=f"v{i}", modality="text") for i in range(20)]
    assert all(leaky.pk not in (b.model_a_id, b.model_b_id) for b in battles)


@pytest.mark.django_db
def test_beat_refreshes_the_plans_with_the_worker(text_arena):
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "arena.tasks.serving_plans_refresh_task"
    )
    assert entry["schedule"] == settings.ARENA_SERVING_PLAN_REFRESH_SECONDS
    VoteFactory(model_a=text_arena["models"][0], model_b=text_arena["models"][1], count=7)
    serving_plans_refresh_task()
    cells = Plan.from_bytes(bytes(ServingPlan.objects.filter(modality="text").latest("id").payload))
    assert cells.cells[:, 3].sum() == 7
