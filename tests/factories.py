from __future__ import annotations

import hashlib
from datetime import timedelta

import factory
from django.utils import timezone

from arena.models import AIModel, Battle, Lab, Modality, Output, Prompt, PromptSet, Vote


class LabFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lab
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Lab {n}")
    country = "US"


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIModel
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"model-{n}")
    display_name = factory.LazyAttribute(lambda o: o.key.title())
    lab = factory.SubFactory(LabFactory)
    modalities = factory.LazyFunction(lambda: ["text"])


class PromptSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptSet

    name = factory.Sequence(lambda n: f"set {n}")
    modality = Modality.TEXT


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    prompt_set = factory.SubFactory(PromptSetFactory)
    external_id = factory.Sequence(lambda n: f"p{n}")
    text = "Say something useful."
    category = "general"
    language = "en"


class OutputFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Output

    prompt = factory.SubFactory(PromptFactory)
    model = factory.SubFactory(AIModelFactory)
    modality = Modality.TEXT
    text = factory.Sequence(lambda n: f"Answer number {n}.")
    checksum = factory.LazyAttribute(lambda o: hashlib.sha256(o.text.encode()).hexdigest())


class BattleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Battle

    session_key = "session-alice"
    modality = Modality.TEXT
    prompt = factory.SubFactory(PromptFactory)
    output_a = factory.SubFactory(OutputFactory, prompt=factory.SelfAttribute("..prompt"))
    output_b = factory.SubFactory(OutputFactory, prompt=factory.SelfAttribute("..prompt"))
    model_a = factory.SelfAttribute("output_a.model")
    model_b = factory.SelfAttribute("output_b.model")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vote

    outcome = Vote.Outcome.A
    modality = Modality.TEXT
    model_a = factory.SubFactory(AIModelFactory)
    model_b = factory.SubFactory(AIModelFactory)
    source = "test"
