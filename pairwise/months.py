"""Calendar months: ``YYYY-MM`` labels, ordinals that differ by one between consecutive
months, and the instants (UTC) at which months begin and end."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_ordinal(month: str) -> int:
    """'YYYY-MM' -> months since year 0, so consecutive months differ by one."""
    found = _MONTH.match(month)
    if not found:
        raise ValueError(f"{month!r} is not a month written YYYY-MM")
    return int(found.group(1)) * 12 + int(found.group(2)) - 1


def month_label(ordinal: int) -> str:
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive."""
    return [month_label(o) for o in range(month_ordinal(first), month_ordinal(last) + 1)]


def month_of(moment: date) -> str:
    """The month a date or an instant falls in."""
    return f"{moment:%Y-%m}"


def month_start(month: str) -> datetime:
    """The first instant of a month, UTC."""
    ordinal = month_ordinal(month)
    return datetime(ordinal // 12, ordinal % 12 + 1, 1, tzinfo=UTC)


def month_end(month: str) -> datetime:
    """The end of a month: the first instant of the next one, UTC."""
    return month_start(month_label(month_ordinal(month) + 1))


def month_closed_by(cutoff: datetime) -> str:
    """The month a month-end cutoff closes (the cutoff is the next month's first instant)."""
    return month_of(cutoff - timedelta(microseconds=1))


def month_ends(first: datetime, last: datetime, *, now: datetime) -> list[datetime]:
    """The end of every month from ``first``'s to ``last``'s, leaving out a month that has
    not ended by ``now``."""
    ends = (month_end(month) for month in month_range(month_of(first), month_of(last)))
    return [end for end in ends if end <= now]
