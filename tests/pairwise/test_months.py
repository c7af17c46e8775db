from datetime import UTC, date, datetime

import pytest

from pairwise.months import (
    month_closed_by,
    month_end,
    month_ends,
    month_label,
    month_of,
    month_ordinal,
    month_range,
    month_start,
)


def test_consecutive_months_have_consecutive_ordinals_across_a_new_year():
    assert month_ordinal("2024-01") - month_ordinal("2023-12") == 1
    assert month_label(month_ordinal("2023-12") + 1) == "2024-01"
    assert month_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert month_range("2024-02", "2024-01") == []


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-1", "24-01", "2024-01-01", ""])
def test_anything_but_yyyy_mm_is_refused(text):
    with pytest.raises(ValueError, match="is not a month written YYYY-MM"):
        month_ordinal(text)


def test_a_month_starts_and_ends_at_midnight_utc():
    assert month_start("2024-12") == datetime(2024, 12, 1, tzinfo=UTC)
    assert month_end("2024-12") == datetime(2025, 1, 1, tzinfo=UTC)
    assert month_of(date(2024, 2, 29)) == "2024-02"
    # A month-end cutoff is the first instant of the next month: it closes the month before.
    assert month_closed_by(datetime(2025, 1, 1, tzinfo=UTC)) == "2024-12"


def test_month_ends_cover_every_month_with_votes_that_has_ended():
    ends = month_ends(
        datetime(2023, 11, 5, tzinfo=UTC),
        datetime(2024, 2, 3, tzinfo=UTC),
        now=datetime(2024, 2, 20, tzinfo=UTC),
    )
    assert [e.date().isoformat() for e in ends] == ["2023-12-01", "2024-01-01", "2024-02-01"]
