"""The vote file formats: one set of rules for the importer and the engine's command line."""

from datetime import UTC, datetime

from pairwise.formats import (
    FORMATS,
    Skip,
    parse_clean_battle_json,
    parse_pair_counts_csv,
    parse_time,
    parse_votes,
    parse_votes_csv,
)
from pairwise.outcomes import Outcome
from pairwise.rows import RowError


def errors(parsed) -> list[str]:
    return [str(error) for error in parsed.errors]


def test_a_battle_without_anony_is_anonymous_and_only_false_marks_a_named_one():
    log = (
        '[{"model_a": "a", "model_b": "b", "winner": "model_a"},'
        ' {"model_a": "a", "model_b": "b", "winner": "model_b", "anony": true},'
        ' {"model_a": "a", "model_b": "b", "winner": "tie", "anony": false}]'
    )
    anonymous = parse_clean_battle_json(log)
    assert [row.outcome for row in anonymous.rows] == [Outcome.A_WINS, Outcome.B_WINS]
    assert anonymous.skipped == {Skip.NAMED: 1}
    assert len(parse_clean_battle_json(log, include_named=True).rows) == 3


def test_a_model_against_itself_is_skipped_and_counted_in_both_vote_formats():
    csv_votes = parse_votes_csv("model_a,model_b,winner\nx,x,tie\nx,y,tie\n")
    log = parse_clean_battle_json('[{"model_a": "x", "model_b": " x", "winner": "tie"}]')
    assert (len(csv_votes.rows), csv_votes.skipped) == (1, {Skip.SELF: 1})
    assert (log.rows, log.skipped) == ([], {Skip.SELF: 1})


def test_the_time_is_optional_and_a_bad_one_is_an_error():
    parsed = parse_votes_csv(
        "model_a,model_b,winner,timestamp\n"
        "a,b,model_a,\n"
        "a,b,model_a,1714521600\n"
        "a,b,model_a,2024-05-01T02:00:00+02:00\n"
        "a,b,model_a,May Day\n"
    )
    may_day = datetime(2024, 5, 1, tzinfo=UTC)
    assert [row.created_at for row in parsed.rows] == [None, may_day, may_day]
    assert errors(parsed) == ["row 5, timestamp: 'May Day' is not an ISO 8601 time or Unix seconds"]
    assert parse_votes_csv("model_a,model_b,winner\na,b,tie\n").rows[0].created_at is None


def test_counts_are_whole_numbers_of_zero_or_more():
    parsed = parse_pair_counts_csv(
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\n"
        "a,b,3.0,1,0,0\n"
        "c,d,-1,1,0,0\n"
        "e,f,²,1,0,0\n"
        "g,h,2,0,0,1\n"
    )
    assert errors(parsed) == [
        "row 2, wins_i: '3.0' is not a count (0 or more)",
        "row 3, wins_i: '-1' is not a count (0 or more)",
        "row 4, wins_i: '²' is not a count (0 or more)",
    ]
    assert [(row.outcome, row.count) for row in parsed.rows] == [
        (Outcome.A_WINS, 2),
        (Outcome.BOTH_BAD, 1),
    ]


def test_a_row_with_more_fields_than_the_header_is_refused_not_shifted():
    parsed = parse_votes_csv("model_a,model_b,winner\nllama, 3,b,model_a\nx,y\n")
    assert errors(parsed) == [
        "row 2: 1 field(s) beyond the header's columns",
        "row 2, winner: 'b' is not one of model_a, model_b, tie, tie (bothbad)",
        "row 3, winner: '' is not one of model_a, model_b, tie, tie (bothbad)",
    ]


def test_rows_are_numbered_by_their_line_past_blank_lines_and_a_byte_order_mark():
    parsed = parse_votes_csv(b"\xef\xbb\xbfmodel_a,model_b,winner\n\na,b,draw\n")
    assert errors(parsed) == [
        "row 3, winner: 'draw' is not one of model_a, model_b, tie, tie (bothbad)"
    ]
    assert errors(parse_votes_csv(b"model_a,model_b,winner\na,\xe9,tie\n")) == [
        "row 2: not UTF-8 (byte 0xe9); save as UTF-8"
    ]


def test_category_and_language_must_fit_their_columns_in_every_format():
    long = "x" * 65
    log = f'[{{"model_a": "a", "model_b": "b", "winner": "tie", "category": "{long}"}}]'
    assert errors(parse_clean_battle_json(log)) == [
        "row 1, category: 65 characters; the limit is 64"
    ]
    csv_votes = parse_votes_csv(f"model_a,model_b,winner,language\na,b,tie,{long[:17]}\n")
    assert errors(csv_votes) == ["row 2, language: 17 characters; the limit is 16"]


def test_a_battle_with_a_winner_of_the_wrong_type_is_an_error_not_a_crash():
    parsed = parse_clean_battle_json('[{"model_a": "a", "model_b": 7, "winner": ["model_a"]}]')
    assert errors(parsed) == [
        "row 1, model_b: a model key is required",
        "row 1, winner: ['model_a'] is not one of model_a, model_b, tie, tie (bothbad)",
    ]


def test_external_ids_follow_the_content_not_the_row_order():
    forward = parse_votes_csv("model_a,model_b,winner\na,b,tie\nc,d,tie\na,b,tie\n")
    shuffled = parse_votes_csv("model_a,model_b,winner\nc,d,tie\na,b,tie\na,b,tie\n")
    ids = [row.external_id for row in forward.rows]
    assert sorted(ids) == sorted(row.external_id for row in shuffled.rows)
    # exact duplicates are told apart by their occurrence
    assert len(set(ids)) == 3 and ids[0].endswith(":1") and ids[2].endswith(":2")


def test_every_format_is_read_through_one_entry_point():
    assert set(FORMATS) == {"clean_battle", "csv", "pair_counts"}
    log = '[{"model_a": "a", "model_b": "b", "winner": "tie", "anony": false}]'
    assert parse_votes(log, format_name="clean_battle").skipped == {Skip.NAMED: 1}
    assert len(parse_votes(log, format_name="clean_battle", include_named=True).rows) == 1


def test_times_are_iso_8601_or_unix_seconds():
    assert parse_time("0") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_time("2024-05-01 10:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_time("2024-05-01T10:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_time("soon") is None


def test_an_error_names_its_place_as_its_reader_calls_it():
    assert str(RowError(3, "winner", "bad")) == "row 3, winner: bad"
    assert RowError(3, "", "bad").at("line") == "line 3: bad"
    assert str(RowError(0, "media", "missing")) == "media: missing"
