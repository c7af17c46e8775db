"""Imports against the real PostgreSQL: bulk writes, constraints and rollback there."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Sum

from arena.demo_media import demo_png
from arena.imports import prompt_set_ingest
from arena.media import MemorySource
from arena.models import Output, Vote
from tests.arena.import_helpers import jsonl, media_rows, snapshot
from tests.factories import AIModelFactory
from tests.services import shared_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_lmsys_pair_counts_import_exactly_and_once_on_postgresql(capsys):
    path = str(shared_data("lmsys_2024_08/pair_counts_20240814.csv"))
    args = (
        "import_votes",
        path,
        "--format",
        "pair_counts",
        "--modality",
        "text",
        "--source",
        "lmsys-2024-08-14",
        "--create-models",
    )
    call_command(*args)
    call_command(*args)
    votes = Vote.objects.filter(source="lmsys-2024-08-14")
    assert votes.aggregate(n=Sum("count"))["n"] == 1_670_250
    assert votes.count() == 13_621


def test_a_set_refused_while_writing_leaves_no_rows_and_no_files(monkeypatch):
    AIModelFactory(key="m-a"), AIModelFactory(key="m-b")
    rows = media_rows("image", {("p1", "m-a"): "a.png", ("p1", "m-b"): "b.png"})
    files = {"a.png": demo_png("pg-a"), "b.png": demo_png("pg-b")}
    before = snapshot()
    original = Output.objects.bulk_create

    def half_then_fail(objs, **kwargs):  # the first output lands, then the database fails
        original(objs[:1], **kwargs)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(Output.objects, "bulk_create", half_then_fail)
    with pytest.raises(RuntimeError):
        prompt_set_ingest(manifest=jsonl(rows), manifest_name="s.jsonl", media=MemorySource(files))
    assert snapshot() == before
