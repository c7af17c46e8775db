import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ranking.stats.io import read_battles_json, read_votes_csv

ROOT = Path(__file__).resolve().parents[3]

VOTES = """model_a,model_b,winner
alpha,beta,model_a
alpha,beta,model_a
beta,alpha,model_b
alpha,gamma,model_a
gamma,beta,tie
beta,gamma,tie (bothbad)
gamma,alpha,model_a
beta,gamma,model_a
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ranking.stats", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(tmp_path: Path, text: str, name: str = "votes.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_votes_csv_prints_one_row_per_model_sorted_by_score(tmp_path):
    result = run(write(tmp_path, VOTES), "--rounds", "100", "--seed", "1")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "model",
        "score",
        "ci_low",
        "ci_high",
        "rank",
        "rank_ub",
        "votes",
        "component",
    ]
    assert [row["model"] for row in rows] == ["alpha", "gamma", "beta"]
    assert [float(r["score"]) for r in rows] == sorted(
        (float(r["score"]) for r in rows), reverse=True
    )
    assert rows[0]["rank"] == "1"
    assert sum(int(row["votes"]) for row in rows) == 2 * 8


def test_pair_counts_json_with_anchor_fixes_that_models_score(tmp_path):
    counts = (
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad,n\n"
        "x,y,30,10,5,5,50\ny,z,20,20,0,0,40\nx,z,25,5,0,0,30\n"
    )
    result = run(
        write(tmp_path, counts),
        "--format-in",
        "pair_counts",
        "--anchor",
        "z=1114",
        "--rounds",
        "100",
        "--out",
        "json",
        "--ties",
        "drop",
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["model"]: row["score"] for row in rows}["z"] == 1114.0
    assert rows[0]["model"] == "x"


def test_same_seed_gives_the_same_output(tmp_path):
    path = write(tmp_path, VOTES)
    assert (
        run(path, "--rounds", "100", "--seed", "7").stdout
        == run(path, "--rounds", "100", "--seed", "7").stdout
    )


def test_the_output_does_not_depend_on_the_workers(tmp_path):
    path = write(tmp_path, VOTES)
    outputs = {
        run(path, "--rounds", "100", "--seed", "7", *workers).stdout
        for workers in (("--workers", "1"), ("--workers", "3"), ("--threads", "2"))
    }
    assert len(outputs) == 1 and outputs != {""}


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("model_a,winner\nx,model_a\n", (), "line 1: missing columns: model_b"),
        ("model_a,model_b,winner\nx,y,model_a\n", ("--workers", "0"), "--workers must be"),
        (
            "model_a,model_b,winner\nx,y,model_a\nx,y,draw\n",
            (),
            "line 3, winner: 'draw' is not one of model_a, model_b, tie, tie (bothbad)",
        ),
        (
            "model_a,model_b,winner\nx,y,model_a\n",
            ("--anchor", "nobody=1000"),
            "unknown model 'nobody'",
        ),
        (
            "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\nx,y,3,two,0,0\n",
            ("--format-in", "pair_counts"),
            "line 2, wins_j: 'two' is not a count (0 or more)",
        ),
    ],
)
def test_bad_input_exits_2_with_a_message_naming_the_problem(tmp_path, text, args, message):
    result = run(write(tmp_path, text), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_file_exits_2_without_traceback(tmp_path):
    result = run(str(tmp_path / "absent.csv"))
    assert result.returncode == 2
    assert "cannot open" in result.stderr and "Traceback" not in result.stderr


def test_a_clean_battle_log_is_read_like_the_importer_reads_it(tmp_path):
    battles = [
        {"model_a": "x", "model_b": "y", "winner": "model_a", "tstamp": 2},
        {"model_a": "y", "model_b": "x", "winner": "model_a"},  # no anony: anonymous
        {"model_a": "x", "model_b": "x", "winner": "tie"},  # skipped
    ]
    path = write(tmp_path, json.dumps(battles), "battles.json")
    result = run(path, "--format-in", "clean_battle", "--rounds", "100", "--out", "json")
    assert result.returncode == 0, result.stderr
    assert sum(row["votes"] for row in json.loads(result.stdout)) == 2 * 2


def test_the_old_name_of_the_votes_format_still_works(tmp_path):
    path = write(tmp_path, VOTES)
    assert run(path, "--format-in", "votes", "--rounds", "100").stdout == (
        run(path, "--format-in", "csv", "--rounds", "100").stdout
    )


def test_votes_with_times_come_in_time_order_and_without_them_in_file_order(tmp_path):
    timed = write(
        tmp_path,
        "model_a,model_b,winner,timestamp\n"
        "a,b,model_a,2024-05-03\n"
        "c,b,model_a,2024-05-01\n"
        "a,c,tie,2024-05-03\n",
    )
    votes = read_votes_csv(timed)
    assert [votes.labels[i] for i in votes.model_a] == ["c", "a", "a"]
    untimed = read_votes_csv(write(tmp_path, "model_a,model_b,winner\nb,a,tie\na,c,tie\n", "u.csv"))
    assert [untimed.labels[i] for i in untimed.model_a] == ["b", "a"]
    log = write(
        tmp_path,
        json.dumps(
            [
                {"model_a": "a", "model_b": "b", "winner": "tie", "anony": False},
                {"model_a": "a", "model_b": "c", "winner": "tie"},
            ]
        ),
        "battles.json",
    )
    assert read_battles_json(log, anonymous_only=True).labels == ("a", "c")


def write_bytes(tmp_path: Path, data: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


PAIR_HEADER = "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\n"
PERFECT = "model_a,model_b,winner\n" + "a,b,model_a\n" * 10


@pytest.mark.parametrize(
    ("name", "data", "args", "message"),
    [
        (
            "zeros.csv",
            (PAIR_HEADER + "x,y,0,0,0,0\ny,z,0,0,0,0\n").encode(),
            ("--format-in", "pair_counts"),
            "no votes",
        ),
        (
            "ties.csv",
            b"model_a,model_b,winner\nx,y,tie\ny,x,tie (bothbad)\n",
            ("--ties", "drop"),
            "fewer than two models have votes to fit (ties='drop' leaves out ties",
        ),
        (
            "huge.csv",
            (PAIR_HEADER + "x,y,1" + "0" * 300 + ",2,0,0\n").encode(),
            ("--format-in", "pair_counts"),
            "the counts add up to 1e+300 votes, more than the 1e+09 one fit accepts",
        ),
        (
            "latin1.csv",
            "model_a,model_b,winner\nx,y,model_a\ncafé,y,model_a\n".encode("latin-1"),
            (),
            "line 3: not UTF-8 (byte 0xe9); save as UTF-8",
        ),
        (
            "surrogate.json",
            b'[{"model_a": "x\\udcff", "model_b": "y", "winner": "model_a"}]',
            ("--format-in", "clean_battle"),
            "not valid Unicode text",
        ),
        ("nan.csv", PERFECT.encode(), ("--anchor", "a=nan"), "--anchor score must be a finite"),
        ("inf.csv", PERFECT.encode(), ("--anchor", "b=-inf"), "--anchor score must be a finite"),
        ("one.csv", PERFECT.encode(), ("--rounds", "1"), "--rounds must be at least 100"),
    ],
)
def test_input_the_engine_cannot_rate_exits_2_with_one_line(tmp_path, name, data, args, message):
    result = run(write_bytes(tmp_path, data, name), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stdout == ""


def test_warnings_name_models_by_label_and_open_sides_print_as_infinite(tmp_path):
    result = run(write(tmp_path, PERFECT), "--rounds", "100")
    assert result.returncode == 0, result.stderr
    assert "interval open above: a\n" in result.stderr
    assert "interval open below: b\n" in result.stderr
    rows = {row["model"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["a"]["ci_high"] == "inf" and rows["b"]["ci_low"] == "-inf"
    assert float(rows["a"]["ci_low"]) < float(rows["a"]["score"])


def test_json_output_writes_an_open_side_as_null(tmp_path):
    result = run(write(tmp_path, PERFECT), "--interval", "analytic", "--out", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["model"]: row for row in json.loads(result.stdout)}
    assert rows["a"]["ci_high"] is None and rows["b"]["ci_low"] is None
    assert rows["a"]["ci_low"] < rows["a"]["score"]


def test_a_model_left_without_votes_is_not_printed_and_is_named_in_a_warning(tmp_path):
    votes = "model_a,model_b,winner\nx,y,model_a\ny,x,model_a\nx,y,tie\nz,x,tie\n"
    result = run(write(tmp_path, votes), "--ties", "drop", "--rounds", "100")
    assert result.returncode == 0, result.stderr
    assert "left out (no score): z\n" in result.stderr
    assert {row["model"] for row in csv.DictReader(io.StringIO(result.stdout))} == {"x", "y"}


def test_the_default_path_imports_no_scipy(tmp_path):
    """Importing scipy costs the command a third of a second (docs/decisions.md, "The
    command line without scipy"): pair counts of one strongly connected board, ties as
    half, the default bootstrap must not load it."""
    path = tmp_path / "counts.csv"
    path.write_text(
        "model_i,model_j,wins_i,wins_j,ties,ties_bothbad\n"
        "a,b,30,20,5,1\na,c,25,25,3,0\nb,c,22,28,4,2\nc,d,40,10,1,1\nb,d,30,21,0,0\n"
    )
    code = (
        "import contextlib, io, sys\n"
        "from ranking.stats.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main([{str(path)!r}, '--format-in', 'pair_counts', '--rounds', '200']) == 0\n"
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] == 'scipy')\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
