"""Imports against the real PostgreSQL: bulk writes, constraints and rollback there."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.db.models import Sum

from arena.demo_media import demo_png
from arena.media import MemorySource
from arena.models import Output, Vote
from arena.set_ingest import prompt_set_ingest
from tests.arena import test_import_streaming as streaming
from tests.arena.import_helpers import LMSYS_SOURCE, import_lmsys, jsonl, media_rows, snapshot
from tests.factories import AIModelFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_lmsys_pair_counts_import_exactly_and_once_on_postgresql():
    import_lmsys()
    import_lmsys()
    votes = Vote.objects.filter(source=LMSYS_SOURCE)
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


def test_streamed_votes_are_copied_in_batches_and_numbered_on_postgresql(monkeypatch):
    # The same checks as on SQLite, through COPY and PostgreSQL's window numbering.
    streaming.test_batched_import_numbers_duplicates_like_the_whole_file_reader(monkeypatch)


def test_models_created_in_a_later_batch_are_referenced_on_postgresql(monkeypatch):
    streaming.test_models_first_named_in_a_later_batch_are_created_and_referenced(monkeypatch)


def test_a_streamed_import_refused_after_some_batches_leaves_nothing_on_postgresql(monkeypatch):
    streaming.test_a_problem_after_some_batches_leaves_nothing(monkeypatch)
    streaming.test_created_models_and_votes_roll_back_together_when_refused(monkeypatch)


def test_copy_escapes_and_times_survive_the_copy_text_on_postgresql():
    streaming.test_values_with_copy_escapes_and_a_time_arrive_as_written()


def test_imports_of_one_source_at_the_same_time_take_turns_and_write_each_row_once():
    for key in "abc":
        AIModelFactory(key=key)
    data = json.dumps(streaming.BATTLES * 4000).encode()
    reports: list = []

    def run() -> None:
        try:
            reports.append(streaming._import(data))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(report.created for report in reports) == [0, 20_000]
    assert [report.already_present for report in reports].count(20_000) == 1
    assert Vote.objects.filter(source="s").count() == 20_000
