"""Files in, typed rows and row-numbered errors out. No database access here."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from arena.countries import COUNTRIES
from arena.models import Modality

CATALOGUE_COLUMNS = (
    "key",
    "display_name",
    "organisation",
    "country",
    "release_date",
    "licence",
    "open_weights",
)
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0", ""}


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, header included
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"row {self.row}, {self.field}: {self.message}"
            if self.field
            else f"row {self.row}: {self.message}"
        )


@dataclass(frozen=True)
class CatalogueRow:
    row: int
    key: str
    display_name: str
    organisation: str
    country: str
    release_date: date | None
    licence: str
    open_weights: bool
    modalities: tuple[str, ...]


T = TypeVar("T")


@dataclass
class Parsed(Generic[T]):
    rows: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_catalogue_csv(data: bytes | str) -> Parsed[CatalogueRow]:
    """Parse a model catalogue. Columns: key, display_name, organisation, country (ISO
    3166-1 alpha-2 or blank), release_date (YYYY-MM-DD or blank), licence, open_weights
    (true/false), and optionally modalities (``text``, ``image|video``...; default text)."""
    result: Parsed[CatalogueRow] = Parsed()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            result.errors.append(RowError(0, "", f"the file is not UTF-8 ({error.reason})"))
            return result
    reader = csv.DictReader(io.StringIO(data))
    missing = [column for column in CATALOGUE_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        result.errors.append(RowError(1, "", f"missing columns: {', '.join(missing)}"))
        return result
    seen: dict[str, int] = {}
    lab_country: dict[str, tuple[str, int]] = {}
    for values in reader:
        line = reader.line_num
        errors_before = len(result.errors)
        cell = {name: (values.get(name) or "").strip() for name in reader.fieldnames or []}

        def fail(column: str, message: str, line: int = line) -> None:
            result.errors.append(RowError(line, column, message))

        key = cell["key"]
        if not key or any(char.isspace() for char in key):
            fail("key", "a model key is required and has no spaces")
        elif key in seen:
            fail("key", f"duplicate of row {seen[key]}")
        else:
            seen[key] = line
        if not cell["organisation"]:
            fail("organisation", "required")
        country = cell["country"].upper()
        if country and country not in COUNTRIES:
            fail("country", f"{cell['country']!r} is not an ISO 3166-1 alpha-2 code")
        if cell["organisation"] and not any(
            e.field == "country" for e in result.errors[errors_before:]
        ):
            first = lab_country.setdefault(cell["organisation"], (country, line))
            if first[0] != country:
                fail(
                    "country",
                    f"{cell['organisation']!r} has country {first[0] or 'blank'} "
                    f"on row {first[1]}; one organisation has one country",
                )
        released = None
        if cell["release_date"]:
            try:
                released = date.fromisoformat(cell["release_date"])
            except ValueError:
                fail("release_date", f"{cell['release_date']!r} is not a YYYY-MM-DD date")
        open_weights = cell["open_weights"].lower()
        if open_weights not in _TRUE | _FALSE:
            fail("open_weights", f"{cell['open_weights']!r} is not true or false")
        modalities = tuple(m.strip() for m in (cell.get("modalities") or "text").split("|"))
        unknown = [m for m in modalities if m not in Modality.values]
        if unknown:
            fail("modalities", f"unknown {unknown}; use {'|'.join(Modality.values)}")
        if len(result.errors) == errors_before:
            result.rows.append(
                CatalogueRow(
                    row=line,
                    key=key,
                    display_name=cell["display_name"] or key,
                    organisation=cell["organisation"],
                    country=country,
                    release_date=released,
                    licence=cell["licence"],
                    open_weights=open_weights in _TRUE,
                    modalities=modalities,
                )
            )
    return result
