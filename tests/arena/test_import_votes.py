from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management.base import CommandError
from django.db.models import Sum

from arena.models import AIModel, Vote
from pairwise.formats import parse_clean_battle_json, parse_pair_counts_csv, parse_votes_csv
from tests.arena.import_helpers import (
    LMSYS_SOURCE,
    import_genai,
    import_lmsys,
    import_votes,
    problems,
)
from tests.factories import AIModelFactory, VoteFactory

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (Vote.objects.count(), AIModel.objects.count())


def test_the_genai_arena_log_imports_its_anonymous_image_votes(capsys):
    import_genai()
    out = capsys.readouterr().out
    # 2,061 battles: 1,515 anonymous (imported), 546 named (skipped, one of them a self-battle)
    assert Vote.objects.filter(source="genai").count() == 1515
    assert "skipped (not anonymous): 546" in out and "1515 vote rows created" in out
    assert "--include-named imports them" in out
    assert AIModel.objects.count() == 13
    votes = Vote.objects.filter(source="genai")
    assert set(votes.values_list("modality", flat=True)) == {"image"}
    assert votes.filter(outcome="both_bad").exists() and votes.filter(outcome="tie").exists()
    first, last = votes.order_by("created_at").values_list("created_at", flat=True)[::1514]
    assert first.date().isoformat() >= "2024-02-12" and last.date().isoformat() <= "2024-02-20"


def test_named_battles_come_too_when_asked_except_a_model_against_itself():
    import_genai("--include-named")
    assert Vote.objects.count() == 2060


def test_reimporting_the_same_log_under_the_same_source_adds_nothing(capsys):
    import_genai()
    import_genai()
    assert "0 vote rows created (0 votes), 1515 already present" in capsys.readouterr().out
    assert Vote.objects.count() == 1515


def test_the_lmsys_pair_counts_import_exactly_as_counted_cells(capsys):
    import_lmsys("--timestamp", "2024-08-14T23:59:59Z")
    votes = Vote.objects.filter(source=LMSYS_SOURCE)
    assert votes.aggregate(n=Sum("count"))["n"] == 1_670_250
    assert AIModel.objects.count() == 129
    assert set(votes.values_list("created_at", flat=True)) == {
        datetime(2024, 8, 14, 23, 59, 59, tzinfo=UTC)
    }
    # the first row of the file, cell by cell
    pair = votes.filter(model_a__key="RWKV-4-Raven-14B", model_b__key="alpaca-13b")
    assert dict(pair.values_list("outcome", "count")) == {
        "a": 103,
        "b": 94,
        "tie": 18,
        "both_bad": 85,
    }
    cells = votes.count()
    import_lmsys()
    assert votes.count() == cells


def test_unknown_models_are_reported_with_their_first_row_and_nothing_is_written(tmp_path, capsys):
    AIModelFactory(key="known")
    path = tmp_path / "votes.csv"
    path.write_text(
        "model_a,model_b,winner,timestamp\n"
        "known,mystery,model_a,2024-05-01T10:00:00Z\n"
        "mystery,known,tie,1714557600\n"
        "known,ghost,model_b,2024-05-01\n"
    )
    before = state()
    with pytest.raises(CommandError, match="refused: 2 problems; nothing was written"):
        import_votes(path, "csv")
    assert problems(capsys.readouterr().err)[:2] == [
        "row 2, model: unknown model 'mystery' (2 rows); add it with import_models, or pass "
        "--create-models",
        "row 4, model: unknown model 'ghost' (1 rows); add it with import_models, or pass "
        "--create-models",
    ]
    assert state() == before


def test_bad_vote_rows_are_all_reported_with_rows_and_columns():
    parsed = parse_votes_csv(
        "model_a,model_b,winner,timestamp,category\n"
        "a,b,model_a,2024-01-01,coding\n"
        ",b,A,yesterday,\n"
    )
    assert [str(e) for e in parsed.errors] == [
        "row 3, model_a: a model key is required",
        "row 3, winner: 'A' is not one of model_a, model_b, tie, tie (bothbad)",
        "row 3, timestamp: 'yesterday' is not an ISO 8601 time or Unix seconds",
    ]
    assert parsed.rows[0].category == "coding"


def test_pair_count_rows_must_add_up_and_not_repeat():
    parsed = parse_pair_counts_csv(
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad,n\n"
        "a,b,1,2,3,4,10\n"
        "b,a,1,0,0,0,1\n"
        "c,c,1,0,0,0,1\n"
        "d,e,x,0,0,0,5\n"
        "f,g,1,1,1,1,5\n"
    )
    assert [str(e) for e in parsed.errors] == [
        "row 3: the pair b / a is already on row 2",
        "row 4, model_j: the same model as model_i",
        "row 5, wins_i: 'x' is not a count (0 or more)",
        "row 6, n: 5 is not wins_i + wins_j + ties + ties_bothbad = 4",
    ]


def test_a_clean_battle_log_that_is_not_json_is_refused_at_its_battle(tmp_path, capsys):
    # The row of a clean_battle problem is the battle's position in the list: here the
    # second battle, which follows the first without a comma.
    path = tmp_path / "battles.json"
    path.write_text('[\n{"model_a": "a", "model_b": "b", "winner": "model_a", "tstamp": 1}\n{')
    with pytest.raises(CommandError):
        import_votes(path, "clean_battle")
    assert problems(capsys.readouterr().err) == [
        "row 2: not valid JSON (parse error: after array element, I expect ',' or ']')"
    ]
    parsed = parse_clean_battle_json(
        '[{"model_a": "a", "model_b": "b", "winner": "b", "tstamp": "yesterday"}]'
    )
    assert [str(e) for e in parsed.errors] == [
        "row 1, winner: 'b' is not one of model_a, model_b, tie, tie (bothbad)",
        "row 1, tstamp: 'yesterday' is not a Unix time in seconds",
    ]


def test_imported_votes_carry_the_denormalised_columns(tmp_path):
    a, b = AIModelFactory(key="a"), AIModelFactory(key="b")
    path = tmp_path / "votes.csv"
    path.write_text(
        "model_a,model_b,winner,timestamp,category,language\n"
        "a,b,tie (bothbad),2024-05-01T10:00:00+02:00,math,de\n"
    )
    import_votes(path, "csv")
    vote = Vote.objects.get()
    assert (
        vote.model_a,
        vote.model_b,
        vote.outcome,
        vote.modality,
        vote.category,
        vote.language,
        vote.count,
    ) == (a, b, "both_bad", "text", "math", "de", 1)
    assert vote.created_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_the_arena_source_is_reserved_for_votes_cast_here(tmp_path, capsys):
    VoteFactory()
    AIModelFactory(key="a"), AIModelFactory(key="b")
    path = tmp_path / "votes.csv"
    path.write_text("model_a,model_b,winner,timestamp\na,b,model_a,1\n")
    with pytest.raises(CommandError):
        import_votes(path, "csv", source="arena")
    assert "source: name the source" in capsys.readouterr().err
    assert Vote.objects.count() == 1


def test_a_missing_file_is_a_clear_error_not_a_traceback():
    with pytest.raises(CommandError, match="cannot read /nonexistent.csv"):
        import_votes("/nonexistent.csv", "csv")


def test_rows_without_a_time_take_the_timestamp_option_in_every_format(tmp_path):
    AIModelFactory(key="a"), AIModelFactory(key="b")
    votes_csv = tmp_path / "votes.csv"
    votes_csv.write_text("model_a,model_b,winner\na,b,model_a\n")
    battles = tmp_path / "battles.json"
    battles.write_text('[{"model_a": "a", "model_b": "b", "winner": "tie"}]')
    import_votes(votes_csv, "csv", "--timestamp", "2024-05-01T00:00:00Z", source="csv")
    import_votes(battles, "clean_battle", "--timestamp", "1714521600", source="json")
    assert set(Vote.objects.values_list("source", "created_at")) == {
        ("csv", datetime(2024, 5, 1, tzinfo=UTC)),
        ("json", datetime(2024, 5, 1, tzinfo=UTC)),
    }
