"""Reading a published rating history: rows into months, every bad line named."""

from __future__ import annotations

import io

import pytest

from ranking.stats.frontier import monthly_frontier
from ranking.stats.history import HistoryError, read_rating_history

CSV = """month,model,country,score,ci_low,ci_high
2024-01,gpt-4,US,1250,1240,1260
2024-01,qwen,CN,1150,1140,1160
2024-02,gpt-4,US,1251,1241,1261
2024-02,qwen-2,cn,1245,1235,1255
"""


def test_a_published_history_reads_into_months_with_intervals():
    months = read_rating_history(io.StringIO(CSV))
    row = monthly_frontier(months).months[1]
    assert (row.b_model, row.b_low, row.b_high, row.lag) == ("qwen-2", 1235, 1255, 1)
    assert row.gap == 6 and row.gap_low is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("month,model,score\n", "line 1: missing column(s) country"),
        ("month,model,country,score\n2024-13,a,US,1\n", "line 2: month '2024-13' is not YYYY-MM"),
        ("month,model,country,score\n2024-01,a,USA,1\n", "line 2: country 'USA'"),
        ("month,model,country,score\n2024-01,a,US,high\n", "line 2: score 'high' is not a number"),
        ("month,model,country,score\n2024-01,a,US,1\n2024-01,a,US,2\n", "line 3: a appears twice"),
        ("month,model,country,score\n2024-01,a,US\n", "line 2: wrong number of fields"),
        ("month,model,country,score\n", "no rows after the header"),
        (
            "month,model,country,score,ci_low,ci_high\n2024-01,a,US,5,6,7\n",
            "line 2: expected ci_low <= score",
        ),
    ],
)
def test_a_bad_history_names_each_bad_line(text, error):
    with pytest.raises(HistoryError) as raised:
        read_rating_history(io.StringIO(text))
    assert any(e.startswith(error) for e in raised.value.errors), raised.value.errors


def test_a_published_history_with_votes_leaves_thin_models_out_of_the_top():
    text = (
        "month,model,country,score,votes\n"
        "2024-01,gpt-4,US,1250,30000\n2024-01,qwen,CN,1150,20000\n"
        "2024-02,gpt-4,US,1251,31000\n2024-02,qwen-2,CN,1300,9\n2024-02,qwen,CN,1150,\n"
    )
    row = monthly_frontier(read_rating_history(io.StringIO(text)), min_votes=300).months[1]
    # qwen's blank votes are unknown: it counts; qwen-2's 9 votes do not.
    assert (row.b_model, row.b_provisional, row.leader) == ("qwen", "qwen-2", "US")
    with pytest.raises(HistoryError) as raised:
        read_rating_history(io.StringIO("month,model,country,score,votes\n2024-01,a,US,1,-3\n"))
    assert raised.value.errors == ["line 2: votes '-3' is not a count"]


def test_a_history_may_give_openness_by_licence_or_open_weights():
    text = (
        "month,model,country,score,licence,open_weights\n"
        "2024-01,gpt,US,1250,Proprietary,\n"
        "2024-01,llama,US,1100,Llama 2 Community,\n"
        "2024-01,qwen,CN,1150,,yes\n"
        "2024-01,mystery,CN,1300,,\n"
        "2024-01,odd,CN,1000,Apache-2.0,unknown\n"
    )
    (month,) = read_rating_history(io.StringIO(text))
    assert month.weights == ("proprietary", "open", "open", "unknown", "unknown")
    (plain,) = read_rating_history(io.StringIO("month,model,country,score\n2024-01,a,US,1\n"))
    assert plain.weights is None
    with pytest.raises(HistoryError) as raised:
        read_rating_history(
            io.StringIO("month,model,country,score,open_weights\n2024-01,a,US,1,kinda\n")
        )
    assert raised.value.errors == [
        "line 2: open_weights 'kinda' is not one of true/yes/open, false/no/proprietary, "
        "unknown, or blank"
    ]
