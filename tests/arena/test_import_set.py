"""Importing text sets: the manifest rules, identity leaks, style features, idempotence."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arena.models import AIModel, Output, PromptSet
from arena.set_ingest import prompt_set_ingest
from tests.arena.import_helpers import jsonl, report_lines, snapshot, text_rows
from tests.factories import AIModelFactory, LabFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def models():
    return [AIModelFactory(key="m-a"), AIModelFactory(key="m-b")]


def ingest(data: bytes, name: str = "set.jsonl", **kwargs):
    return prompt_set_ingest(manifest=data, manifest_name=name, **kwargs)


def errors(report) -> list[str]:
    return [str(error) for error in report.errors]


def test_a_text_set_is_imported_with_prompts_outputs_and_style(models):
    report = ingest(jsonl(text_rows()))
    assert report.ok, errors(report)
    assert report.summary() == (
        "set 'Set T' (text): 4 rows; prompts: 2 created; outputs: 4 created, 0 unchanged; "
        "models created: 0; media files written: 0; identity leaks flagged: 0"
    )
    prompt_set = PromptSet.objects.get(name="Set T")
    assert (prompt_set.modality, prompt_set.source) == ("text", "upload")
    output = Output.objects.get(prompt__external_id="p1", model__key="m-a")
    assert output.text == "Answer 1 from m-a."
    assert output.style == {"chars": 18, "tokens": 7, "headers": 0, "list_items": 0, "bold": 0}
    assert len(output.checksum) == 64


def test_a_csv_manifest_imports_like_jsonl(models, tmp_path, capsys):
    path = tmp_path / "set.csv"
    path.write_text(
        "set,modality,prompt_id,prompt,category,language,model,text,extra\n"
        'Set C,text,p1,"Two\nlines",,en,m-a,"**Bold**, yes",ignored\n'
        'Set C,text,p1,"Two\nlines",,en,m-b,- item\n'
    )
    call_command("import_set", str(path))
    assert "prompts: 1 created; outputs: 2 created" in capsys.readouterr().out
    assert Output.objects.get(model__key="m-a").style["bold"] == 1


def test_reimporting_the_same_set_is_idempotent(models):
    ingest(jsonl(text_rows()))
    again = ingest(jsonl(text_rows()))
    assert again.ok and (again.prompts_created, again.outputs_created, again.outputs_unchanged) == (
        0,
        0,
        4,
    )
    assert Output.objects.count() == 4


def test_new_rows_can_be_added_to_a_set_but_a_changed_output_is_refused(models):
    ingest(jsonl(text_rows(prompts=1)))
    assert ingest(jsonl(text_rows(prompts=2))).outputs_created == 2
    rows = text_rows(prompts=1)
    rows[1]["text"] = "A different answer."
    before = snapshot()
    assert errors(ingest(jsonl(rows))) == [
        "row 2, model: prompt 'p1' already has another output from 'm-b' in this set; put "
        "changed outputs in a new set"
    ]
    assert snapshot() == before


def test_a_malformed_jsonl_line_is_reported_by_number_and_nothing_is_written(
    models, tmp_path, capsys
):
    lines = jsonl(text_rows(prompts=20)).decode().splitlines()
    lines[36] = lines[36][:-1]  # line 37 loses its closing brace
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n")
    before = snapshot()
    with pytest.raises(CommandError, match="refused: 1 problems; nothing was written"):
        call_command("import_set", str(path))
    assert report_lines(capsys.readouterr().err) == [
        "row 37: not valid JSON (Expecting ',' delimiter at column 170)"
    ]
    assert snapshot() == before


def test_every_row_problem_is_reported_at_once(models, settings):
    settings.ARENA_MAX_TEXT_CHARS = 50
    rows = text_rows(prompts=1) + [
        {
            "set": "Set T",
            "modality": "text",
            "prompt_id": "p1",
            "prompt": "Question 1?",
            "category": "general",
            "language": "en",
            "model": "m-a",
            "text": "again",
        },
        {
            "set": "Set T",
            "modality": "text",
            "prompt_id": "p2",
            "prompt": "Q2",
            "model": "m-a",
            "text": "x" * 51,
        },
        {"set": "Set T", "modality": "txt", "prompt_id": "", "prompt": "Q3", "model": "m a"},
        {
            "set": "Other",
            "modality": "text",
            "prompt_id": "p4",
            "prompt": "Q4",
            "model": "m-a",
            "text": "ok",
        },
        {
            "set": "Set T",
            "modality": "text",
            "prompt_id": "p1",
            "prompt": "Changed?",
            "category": "general",
            "language": "en",
            "model": "m-b",
            "text": "b",
        },
        {
            "set": "Set T",
            "modality": "text",
            "prompt_id": "p5",
            "prompt": "Q5",
            "model": "m-a",
            "text": "t",
            "media": "x.png",
        },
    ]
    assert errors(ingest(jsonl(rows))) == [
        "row 3, model: duplicate of row 1: prompt 'p1' already has an output from 'm-a'",
        "row 4, text: 51 characters; the limit is 50",
        "row 5, prompt_id: required",
        "row 5, modality: 'txt' is not one of text|image|video",
        "row 5, model: 'm a' is not a model key (letters, digits, . _ : / @ + -)",
        "row 6, set: 'Other' differs from 'Set T' on row 1; one manifest holds one set",
        "row 7, model: duplicate of row 2: prompt 'p1' already has an output from 'm-b'",
        "row 7, prompt: differs from row 1 for prompt_id 'p1'; a prompt is the same on every row",
        "row 8, media: a text output has text, not media",
    ]
    assert not PromptSet.objects.exists()


def test_unknown_models_are_refused_unless_creation_is_asked(models):
    rows = text_rows(models=("m-a", "new-model"))
    before = snapshot()
    assert errors(ingest(jsonl(rows))) == [
        "row 2, model: unknown model 'new-model' (2 rows); add it with import_models, or "
        "allow creating unknown models"
    ]
    assert snapshot() == before and not AIModel.objects.filter(key="new-model").exists()
    report = ingest(jsonl(rows), create_models=True)
    assert report.ok and report.models_created == 1
    created = AIModel.objects.get(key="new-model")
    assert (created.lab.name, created.lab.country, created.modalities) == (
        "Unknown (imported)",
        "",
        ["text"],
    )


def test_a_manifest_that_is_not_utf8_is_refused_with_the_line(models):
    data = jsonl(text_rows()) + json.dumps({"text": "caf"}).encode()[:-2] + b'\xe9"}\n'
    assert errors(ingest(data)) == ["row 5: not UTF-8 (byte 0xe9); save as UTF-8"]


def test_an_empty_manifest_or_missing_csv_columns_are_refused():
    assert errors(ingest(b"\n\n")) == ["row 1: the manifest has no rows"]
    assert errors(ingest(b"set,modality,prompt\nx,text,y\n", name="m.csv")) == [
        "row 1: missing columns: prompt_id, model"
    ]


def test_outputs_naming_their_own_lab_are_flagged_and_the_reason_kept(settings):
    openai = LabFactory(name="OpenAI")
    AIModelFactory(key="gpt-x", display_name="GPT X", lab=openai)
    AIModelFactory(key="qwen-x", display_name="Qwen X", lab=LabFactory(name="Alibaba"))
    AIModelFactory(key="own-x", display_name="Owl", lab=LabFactory(name="Owl Labs"))
    settings.ARENA_IDENTITY_NAMES = {"Owl Labs": [r"Owl ?Labs?"]}
    rows = [
        {
            "set": "S",
            "modality": "text",
            "prompt_id": "p1",
            "prompt": "Who are you?",
            "model": key,
            "text": text,
        }
        for key, text in (
            ("gpt-x", "As an OpenAI model, I cannot browse."),
            ("qwen-x", "You could Google it; I am a helpful assistant."),
            ("own-x", "Hello! This assistant was built by Owl Lab."),
        )
    ]
    report = ingest(jsonl(rows))
    assert report.identity_leaks == [
        "row 1: names its own model or lab: 'As an OpenAI'",
        "row 3: names its own model or lab: 'built by Owl Lab'",
    ]
    leaking = Output.objects.filter(identity_leak=True)
    assert set(leaking.values_list("model__key", flat=True)) == {"gpt-x", "own-x"}
    assert leaking.get(model__key="gpt-x").identity_leak_reason == (
        "names its own model or lab: 'As an OpenAI'"
    )


def test_a_model_that_names_itself_is_flagged_even_without_lab_patterns():
    AIModelFactory(key="zeta-7b", display_name="Zeta", lab=LabFactory(name="Nobody"))
    rows = [
        {
            "set": "S",
            "modality": "text",
            "prompt_id": "p",
            "prompt": "Hi",
            "model": "zeta-7b",
            "text": "Hi, my name is Zeta and I help.",
        }
    ]
    assert ingest(jsonl(rows)).identity_leaks == [
        "row 1: names its own model or lab: 'my name is Zeta'"
    ]


@pytest.mark.django_db
def test_the_command_refuses_a_manifest_over_the_admins_limit(tmp_path, settings):
    AIModelFactory(key="m-a"), AIModelFactory(key="m-b")
    path = tmp_path / "set.jsonl"
    path.write_bytes(jsonl(text_rows()))
    settings.ARENA_MAX_MANIFEST_BYTES = path.stat().st_size - 1
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("import_set", str(path))
    assert str(refused.value) == (
        f"refused: {path} is over the limit of {path.stat().st_size - 1:,} bytes "
        "(ARENA_MAX_MANIFEST_BYTES); nothing was written"
    )
    assert snapshot() == before
    settings.ARENA_MAX_MANIFEST_BYTES = path.stat().st_size
    call_command("import_set", str(path))
    assert PromptSet.objects.count() == 1
