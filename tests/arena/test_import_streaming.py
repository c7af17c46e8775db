"""Vote files are read as streams and written in batches through a temporary table: the
rows and ids are those of the whole-file reader, duplicates are numbered across batches,
a refusal after some batches leaves nothing, and the progress bar shows rate and time left.
Run on SQLite and, in the PostgreSQL pass, on PostgreSQL (COPY)."""

from __future__ import annotations

import io
import json
import threading

import pytest

from arena import vote_import
from arena.models import Vote
from arena.progress import ProgressBar
from arena.vote_import import votes_import
from pairwise.formats import parse_votes, read_votes
from pairwise.rows import Parsed
from tests.factories import AIModelFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

BATTLES = [
    {"model_a": "a", "model_b": "b", "winner": "model_a", "tstamp": 1723590000.5},
    {"model_a": "b", "model_b": "c", "winner": "tie", "tstamp": 1723590001},
    {"model_a": "a", "model_b": "b", "winner": "model_a", "tstamp": 1723590000.5},  # duplicate
    {"model_a": "c", "model_b": "a", "winner": "tie (bothbad)", "tstamp": 1723590002},
    {"model_a": "a", "model_b": "b", "winner": "model_a", "tstamp": 1723590000.5},  # again
]
LOG = json.dumps(BATTLES).encode()


class Reader(io.RawIOBase):
    """A file read in small pieces, which remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece = self.data[self.position : self.position + min(len(buffer), 64)]
        buffer[: len(piece)] = piece
        self.position += len(piece)
        return len(piece)


def test_rows_are_read_before_the_file_is_read_to_its_end():
    battles = json.dumps(BATTLES * 2000).encode()
    votes = b"model_a,model_b,winner\n" + b"a,b,model_a\n" * 1000
    for data, format_name in ((battles, "clean_battle"), (votes, "csv")):
        reader = Reader(data)
        rows = read_votes(io.BufferedReader(reader, 256), format_name=format_name, result=Parsed())
        next(rows)
        assert reader.position < len(data) // 10


def _import(data: bytes, format_name: str = "clean_battle", **options) -> vote_import.VotesReport:
    return votes_import(
        stream=io.BytesIO(data), format_name=format_name, modality="text", source="s", **options
    )


def test_batched_import_numbers_duplicates_like_the_whole_file_reader(monkeypatch):
    monkeypatch.setattr(vote_import, "BATCH_ROWS", 2)
    for key in "abc":
        AIModelFactory(key=key)
    report = _import(LOG)
    assert report.ok and (report.rows, report.created, report.votes_created) == (5, 5, 5)
    expected = [row.external_id for row in parse_votes(LOG, format_name="clean_battle").rows]
    assert list(Vote.objects.order_by("id").values_list("external_id", flat=True)) == expected
    assert expected[0].endswith(":1") and expected[2] == expected[0][:-1] + "2"
    again = _import(LOG)
    assert (again.created, again.already_present) == (0, 5)
    longer = _import(json.dumps([*BATTLES, BATTLES[0]]).encode())
    assert (longer.created, longer.already_present) == (1, 5)
    assert Vote.objects.filter(external_id=expected[0][:-1] + "4").exists()


def test_models_first_named_in_a_later_batch_are_created_and_referenced(monkeypatch):
    # The reading thread encodes a batch with the model ids it knows; a batch naming a model
    # not created yet is encoded by the writer once it has created it.
    monkeypatch.setattr(vote_import, "BATCH_ROWS", 2)
    AIModelFactory(key="a"), AIModelFactory(key="b")
    data = b"model_a,model_b,winner\na,b,tie\nb,a,tie\na,new-c,model_a\nnew-d,b,model_b\n"
    report = _import(data, "csv", create_models=True)
    assert report.ok and (report.created, report.models_created) == (4, 2)
    pairs = Vote.objects.order_by("id").values_list("model_a__key", "model_b__key", "outcome")
    assert list(pairs) == [
        ("a", "b", "tie"),
        ("b", "a", "tie"),
        ("a", "new-c", "a"),
        ("new-d", "b", "b"),
    ]
    assert set(Vote.objects.values_list("source", "modality", "count", "excluded").distinct()) == {
        ("s", "text", 1, False)
    }


def test_a_problem_after_some_batches_leaves_nothing(monkeypatch):
    monkeypatch.setattr(vote_import, "BATCH_ROWS", 2)
    for key in "abc":
        AIModelFactory(key=key)
    bad = json.dumps([*BATTLES, {"model_a": "a", "model_b": "b", "winner": "?"}]).encode()
    report = _import(bad)
    assert not report.ok and [str(e) for e in report.errors] == [
        "row 6, winner: '?' is not one of model_a, model_b, tie, tie (bothbad)"
    ]
    unknown = _import(b"model_a,model_b,winner\na,b,tie\nb,c,tie\nc,zed,tie\n", "csv")
    assert [str(e) for e in unknown.errors] == [
        "row 4, model: unknown model 'zed' (1 rows); add it with import_models, or pass "
        "--create-models"
    ]
    assert not Vote.objects.exists()


def test_created_models_and_votes_roll_back_together_when_refused(monkeypatch):
    monkeypatch.setattr(vote_import, "BATCH_ROWS", 1)
    report = _import(
        b"model_a,model_b,winner\nnew-a,new-b,tie\nnew-b,new-c,nope\n", "csv", create_models=True
    )
    assert not report.ok and not Vote.objects.exists()
    assert not AIModelFactory._meta.model.objects.filter(key__startswith="new-").exists()


def test_a_file_with_too_many_problems_stops_being_read(monkeypatch):
    monkeypatch.setattr(vote_import, "MAX_ERRORS", 3)
    report = _import(b"model_a,model_b,winner\n" + b"a,b,x\n" * 10, "csv")
    assert [str(e) for e in report.errors][-1] == ("more than 3 problems: stopped reading at row 5")


def test_the_progress_line_shows_rows_a_second_and_time_left():
    bar = ProgressBar(io.StringIO(), width=10)
    assert bar.line("reading", 2_000, 5_000, 2.0) == (
        "        reading [####------]  40% 2,000/5,000 1,000/s, 0:03 left"
    )
    assert bar.line("reading", 5_000, 5_000, 2.0).endswith("5,000/5,000 2,500/s")
    assert bar.line("reading", 10, 5_000, 0.1).endswith("10/5,000")  # too soon to tell


def test_values_with_copy_escapes_and_a_time_arrive_as_written():
    AIModelFactory(key="a\\b"), AIModelFactory(key="c")
    category = 'tab\there, back\\slash, new\nline, cr\r"end'
    data = (
        'model_a,model_b,winner,timestamp,category,language\n"a\\b",c,tie,'
        f'2024-08-14T01:02:03.250001Z,"{category.replace(chr(34), chr(34) * 2)}",de\n'
    ).encode()
    report = _import(data, "csv")
    assert report.ok and report.created == 1
    vote = Vote.objects.get()
    assert (vote.model_a.key, vote.category, vote.language) == ("a\\b", category, "de")
    assert vote.created_at.isoformat() == "2024-08-14T01:02:03.250001+00:00"


def _reader_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "vote-import-reader"]


def test_a_database_failure_stops_the_reading_thread_and_leaves_nothing(monkeypatch):
    monkeypatch.setattr(vote_import, "BATCH_ROWS", 2)
    for key in "abc":
        AIModelFactory(key=key)
    written = vote_import._Writer.write

    def fail_on_the_second_batch(writer, batch):
        if writer.report.rows:
            raise RuntimeError("connection lost")
        written(writer, batch)

    monkeypatch.setattr(vote_import._Writer, "write", fail_on_the_second_batch)
    with pytest.raises(RuntimeError, match="connection lost"):
        _import(json.dumps(BATTLES * 10).encode())
    assert not Vote.objects.exists() and not _reader_threads()


def test_a_read_failure_in_the_reading_thread_reaches_the_caller_and_leaves_nothing():
    for key in "abc":
        AIModelFactory(key=key)

    class Failing(Reader):
        def readinto(self, buffer) -> int:
            if self.position > 20_000:
                raise OSError("disk gone")
            return super().readinto(buffer)

    data = json.dumps(BATTLES * 2000).encode()
    with pytest.raises(OSError, match="disk gone"):
        votes_import(
            stream=io.BufferedReader(Failing(data), 256),
            format_name="clean_battle",
            modality="text",
            source="s",
        )
    assert not Vote.objects.exists() and not _reader_threads()
