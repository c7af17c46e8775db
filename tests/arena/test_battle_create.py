"""Serving battles: who meets whom, in which order, and what is never served."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from arena.models import AIModel, Output, PromptSet
from arena.services import NothingToServe, battle_create
from arena.serving_plan import serving_plans_refresh
from tests.factories import AIModelFactory, OutputFactory, VoteFactory

pytestmark = pytest.mark.django_db


def serve_many(n: int, seed: int = 1, **kwargs):
    rng = np.random.default_rng(seed)
    return [battle_create(voter_key=f"v{i}", modality="text", rng=rng, **kwargs) for i in range(n)]


def test_a_battle_pits_two_different_models_on_one_prompt(text_arena):
    for battle in serve_many(60):
        assert battle.model_a_id != battle.model_b_id
        assert battle.output_a.prompt_id == battle.output_b.prompt_id == battle.prompt_id
        assert battle.output_a.model_id == battle.model_a_id
        assert battle.output_b.model_id == battle.model_b_id
        assert battle.expires_at > battle.served_at


def test_left_and_right_are_random(text_arena):
    first = text_arena["models"][0].pk
    sides = Counter(
        "a" if b.model_a_id == first else "b"
        for b in serve_many(200)
        if first in (b.model_a_id, b.model_b_id)
    )
    assert sides["a"] > 40 and sides["b"] > 40


def test_outputs_that_leak_identity_are_never_served(text_arena):
    leaky = text_arena["models"][0]
    Output.objects.filter(model=leaky).update(identity_leak=True, identity_leak_reason="I am Leaky")
    assert all(leaky.pk not in (b.model_a_id, b.model_b_id) for b in serve_many(50))


def test_inactive_models_and_sets_are_not_served(text_arena):
    AIModel.objects.filter(pk=text_arena["models"][0].pk).update(is_active=False)
    assert all(
        text_arena["models"][0].pk not in (b.model_a_id, b.model_b_id) for b in serve_many(30)
    )
    PromptSet.objects.update(is_active=False)
    with pytest.raises(NothingToServe):
        serve_many(1)


def test_a_prompt_answered_by_one_model_only_is_never_served(text_arena):
    lonely = OutputFactory(prompt__prompt_set=text_arena["set"], prompt__external_id="lonely")
    assert all(b.prompt_id != lonely.prompt_id for b in serve_many(60))


def test_a_new_model_is_served_more_than_its_uniform_share(text_arena):
    established = text_arena["models"]
    # Lots of lopsided votes among the established models (settled pairs)...
    for winner, loser in [(0, 1), (0, 2), (1, 2)]:
        VoteFactory(
            model_a=established[winner], model_b=established[loser], outcome="a", count=2000
        )
    # ...and a newcomer with no votes at all, answering every prompt.
    newcomer = AIModelFactory(key="newcomer")
    for prompt in text_arena["prompts"]:
        OutputFactory(prompt=prompt, model=newcomer)
    serving_plans_refresh()  # the worker's tick takes in the votes
    battles = serve_many(300)
    share = sum(newcomer.pk in (b.model_a_id, b.model_b_id) for b in battles) / len(battles)
    # Uniform sampling over 6 pairs would put the newcomer in half of them (3 of 6).
    assert share > 0.85


def test_an_even_pair_is_served_more_than_a_settled_one(db):
    models = [AIModelFactory(key=f"m{i}") for i in range(3)]
    prompt = OutputFactory(model=models[0]).prompt
    for model in models[1:]:
        OutputFactory(prompt=prompt, model=model)
    VoteFactory(model_a=models[0], model_b=models[1], outcome="a", count=1000)  # settled
    VoteFactory(model_a=models[0], model_b=models[2], outcome="a", count=500)
    VoteFactory(model_a=models[0], model_b=models[2], outcome="b", count=500)  # even
    VoteFactory(model_a=models[1], model_b=models[2], outcome="b", count=1000)  # settled
    serving_plans_refresh()
    pairs = Counter(frozenset((b.model_a_id, b.model_b_id)) for b in serve_many(300))
    even = frozenset((models[0].pk, models[2].pk))
    assert pairs[even] > 0.7 * 300


def test_two_identical_outputs_are_never_served_as_a_battle(db):
    models = [AIModelFactory(key=f"m{i}") for i in range(3)]
    same = OutputFactory(model=models[0], text="Same words.")
    OutputFactory(prompt=same.prompt, model=models[1], text="Same words.")
    OutputFactory(prompt=same.prompt, model=models[2], text="Other words.")
    for battle in serve_many(40):
        assert battle.output_a.checksum != battle.output_b.checksum
        assert {battle.model_a_id, battle.model_b_id} != {models[0].pk, models[1].pk}


def _fields(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname) for field in type(instance)._meta.fields
    }


def test_the_served_outputs_and_prompt_are_read_as_the_orm_reads_them(text_arena):
    # The two outputs are read with a statement compiled once per filter, outside the ORM's
    # query path: every column, JSON and dates included, must come back as the ORM gives it.
    Output.objects.update(style={"length": 3, "markdown": {"bold": 1}})
    for filters in ({}, {"category": "coding"}, {"category": "coding", "language": "fr"}):
        for battle in serve_many(6, **filters):
            for output in (battle.output_a, battle.output_b):
                stored = Output.objects.select_related("prompt").get(pk=output.pk)
                assert _fields(output) == _fields(stored)
                assert _fields(output.prompt) == _fields(stored.prompt)
                assert output.style == {"length": 3, "markdown": {"bold": 1}}
            if filters.get("language"):
                assert battle.prompt.language == "fr"
