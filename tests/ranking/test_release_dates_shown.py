"""Release dates are shown as precise as they are known, with where they come from."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("source", "precision", "shown", "said"),
    [
        ("key", "day", "2023-03-14", "written in the model&#x27;s key or name, to the day"),
        ("manual", "month", "2023-03", "set by hand, to the month"),
        ("first_listed", "day", "≤ 2023-03-14", "first listed on a public leaderboard"),
    ],
)
def test_the_model_page_says_how_precise_the_release_date_is_and_where_it_comes_from(
    client, source, precision, shown, said
):
    released = date(2023, 3, 1) if precision == "month" else date(2023, 3, 14)
    AIModelFactory(
        key="gpt-4-0314",
        release_date=released,
        release_date_source=source,
        release_date_precision=precision,
        first_listed=date(2024, 1, 9),
    )
    html = client.get("/leaderboard/text/models/gpt-4-0314/").content.decode()
    assert f"released {shown}" in html and said in html
    assert "first listed on the public leaderboard 2024-01-09" in html


def test_a_model_without_a_release_date_reads_unknown(client):
    AIModelFactory(key="mystery")
    html = client.get("/leaderboard/text/models/mystery/").content.decode()
    assert "released unknown" in html and "first listed" not in html
