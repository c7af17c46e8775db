"""Online Elo and the win-rate downloads on PostgreSQL, where times come back from the
server's own type: days are still UTC days and the order is still the casting order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.factories import AIModelFactory, VoteFactory
from tests.ranking.test_online_elo import points, publish_snapshot, three_votes  # noqa: F401
from tests.ranking.test_win_rate_downloads import three_models  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_hand_computed_sequence_gives_the_same_points(three_votes):  # noqa: F811
    assert points("p") == [(date(2024, 1, 2), 1002.0, 1), (date(2024, 1, 3), 1003.99, 2)]
    assert points("r") == [(date(2024, 1, 3), 998.0, 2)]


def test_a_day_is_a_utc_day(db):
    for hour, minute in ((23, 59), (0, 1)):
        day = 2 if hour == 23 else 3
        VoteFactory(
            model_a=AIModelFactory(key="p"),
            model_b=AIModelFactory(key="q"),
            created_at=datetime(2024, 1, day, hour, minute, tzinfo=UTC),
        )
    publish_snapshot()
    assert [point[0] for point in points("p")] == [date(2024, 1, 2), date(2024, 1, 3)]


def test_the_long_form_counts_match(client, three_models):  # noqa: F811
    rows = client.get(f"/api/v1/snapshots/{three_models.pk}/win_rates.json").json()["win_rates"]
    by_pair = {(row["model_a"], row["model_b"]): row for row in rows}
    assert (by_pair[("ant", "bee")]["battles"], by_pair[("ant", "bee")]["wins"]) == (6, 3.5)
