"""ISO 3166-1 alpha-2 country codes with their short English names.

Labs carry a country so that ratings can be grouped by country (the US-vs-China frontier and
any other pair of countries). Kept here (the table is arena/data/countries.csv), not in a
dependency, because the list is small and changes about once a decade.
"""

from __future__ import annotations

import csv
from pathlib import Path

COUNTRIES: dict[str, str] = {
    row["code"]: row["name"]
    for row in csv.DictReader(
        (Path(__file__).resolve().parent / "data" / "countries.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
}


def country_name(code: str) -> str:
    """The short name of an ISO code, or the empty string for an unknown or blank code."""
    return COUNTRIES.get(code, "")


def country_flag(code: str) -> str:
    """The flag emoji of an ISO code: two regional-indicator symbols (empty if unknown)."""
    if code not in COUNTRIES:
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code)
