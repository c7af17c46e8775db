"""Integrity rules live in the database: these tests bypass Python validation on purpose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from arena.models import AIModel, Lab, Output, Vote
from tests.factories import (
    AIModelFactory,
    BattleFactory,
    LabFactory,
    OutputFactory,
    PromptFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db


def refused(callable_) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_a_lab_country_must_be_an_iso_code_or_blank():
    LabFactory(name="Multinational lab", country="")
    LabFactory(name="Mistral", country="FR")
    refused(lambda: Lab.objects.create(name="Nowhere", country="XX"))
    refused(lambda: Lab.objects.create(name="Lowercase", country="us"))


def test_lab_shows_country_name_and_flag():
    lab = LabFactory(name="DeepSeek", country="CN")
    assert lab.country_name == "China" and lab.flag == "\U0001f1e8\U0001f1f3"


def test_model_validation_names_the_bad_modality():
    model = AIModelFactory.build(lab=LabFactory(), modalities=["text", "audio"])
    with pytest.raises(ValidationError, match="Unknown modalities"):
        model.full_clean()


def test_a_model_key_is_unique():
    AIModelFactory(key="gpt-4o")
    refused(lambda: AIModel.objects.create(key="gpt-4o", display_name="x", lab=LabFactory()))


def test_a_text_output_needs_text_and_a_media_output_needs_a_file():
    prompt = PromptFactory()
    model = AIModelFactory()
    refused(
        lambda: Output.objects.create(
            prompt=prompt, model=model, modality="text", text="", checksum="0"
        )
    )
    refused(
        lambda: Output.objects.create(prompt=prompt, model=model, modality="image", checksum="0")
    )


def test_one_output_per_model_and_prompt():
    output = OutputFactory()
    refused(lambda: OutputFactory(prompt=output.prompt, model=output.model))


def test_a_battle_cannot_pit_a_model_against_itself():
    output = OutputFactory()
    refused(
        lambda: BattleFactory(
            prompt=output.prompt,
            output_a=output,
            output_b=OutputFactory(prompt=output.prompt),
            model_b=output.model,
        )
    )


def test_a_battle_expires_after_it_was_served():
    now = timezone.now()
    refused(lambda: BattleFactory(served_at=now, expires_at=now - timedelta(seconds=1)))


def test_a_battle_takes_one_vote_only():
    battle = BattleFactory()
    fields = {"modality": "text", "model_a": battle.model_a, "model_b": battle.model_b}
    Vote.objects.create(battle=battle, outcome="a", **fields)
    refused(lambda: Vote.objects.create(battle=battle, outcome="b", **fields))


def test_a_vote_is_excluded_exactly_when_it_has_a_reason():
    refused(lambda: VoteFactory(excluded=True))
    refused(lambda: VoteFactory(exclusion_reason=Vote.ExclusionReason.TOO_FAST))
    vote = VoteFactory(excluded=True, exclusion_reason=Vote.ExclusionReason.TOO_FAST)
    assert vote.excluded


def test_an_imported_vote_is_unique_per_source_and_external_id():
    vote = VoteFactory(source="lmsys", external_id="42")
    refused(
        lambda: VoteFactory(
            source="lmsys", external_id="42", model_a=vote.model_a, model_b=vote.model_b
        )
    )
    VoteFactory(source="other", external_id="42")
    VoteFactory(source="lmsys", external_id="")
    VoteFactory(source="lmsys", external_id="")


def test_a_vote_counts_at_least_once_and_never_for_one_model_alone():
    model = AIModelFactory()
    refused(lambda: VoteFactory(count=0))
    refused(lambda: VoteFactory(model_a=model, model_b=model))
