"""Model catalogues: a CSV of models with their organisation and its country in, typed
rows and row-numbered errors out. No database access here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from arena.countries import COUNTRIES
from arena.models import DatePrecision, Modality, ReleaseDateSource
from pairwise.openness import UNKNOWN, weights_of
from pairwise.rows import Parsed, RowError, csv_records, decode_utf8

CATALOGUE_COLUMNS = (
    "key",
    "display_name",
    "organisation",
    "country",
    "release_date",
    "licence",
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
    weights: str  # pairwise.openness: open, proprietary or unknown
    modalities: tuple[str, ...]
    release_date_source: str = ""
    release_date_precision: str = ""
    first_listed: date | None = None


@dataclass(frozen=True)
class _Release:
    """A row's release date with where it comes from and how precise it is, and the day the
    model was first listed on a public leaderboard."""

    date: date | None = None
    source: str = ""
    precision: str = ""
    first_listed: date | None = None


@dataclass
class _Seen:
    """What earlier rows said: the row of each key, the country of each organisation."""

    keys: dict[str, int]
    countries: dict[str, tuple[str, int]]


def parse_catalogue_csv(data: bytes | str) -> Parsed[CatalogueRow]:
    """Parse a model catalogue. Columns: key, display_name, organisation, country (ISO
    3166-1 alpha-2 or blank), release_date (YYYY-MM-DD or blank), licence, and optionally
    open_weights (true/yes/open, false/no/proprietary, unknown; blank or absent: what the
    licence implies, ``pairwise.openness.weights_of_licence``), modalities (``text``,
    ``image|video``...; default text),
    release_date_source (key, publication, manual or first_listed; default manual),
    release_date_precision (day or month, then the date is the 1st; default day) and
    first_listed (YYYY-MM-DD: first seen on a public leaderboard, not the release)."""
    result: Parsed[CatalogueRow] = Parsed()
    text = decode_utf8(data, result)
    if text is None:
        return result
    seen = _Seen(keys={}, countries={})
    for line, values, _ in csv_records(text, CATALOGUE_COLUMNS, result):
        cell = {name: value.strip() for name, value in values.items()}
        errors = _key_errors(line, cell["key"], seen) + _lab_errors(line, cell, seen)
        released = _release(line, cell, errors)
        weights = _weights(line, cell, errors)
        modalities = tuple(m.strip() for m in (cell.get("modalities") or "text").split("|"))
        unknown = [m for m in modalities if m not in Modality.values]
        if unknown:
            message = f"unknown {unknown}; use {'|'.join(Modality.values)}"
            errors.append(RowError(line, "modalities", message))
        result.errors += errors
        if not errors:
            result.rows.append(_catalogue_row(line, cell, released, modalities, weights))
    return result


def _weights(line: int, cell: dict[str, str], errors: list[RowError]) -> str:
    """The row's openness: its open_weights cell, or what its licence implies."""
    try:
        return weights_of(cell.get("open_weights", ""), cell["licence"])
    except ValueError as error:
        errors.append(RowError(line, "open_weights", str(error)))
        return UNKNOWN


def _key_errors(line: int, key: str, seen: _Seen) -> list[RowError]:
    if not key or any(char.isspace() for char in key):
        return [RowError(line, "key", "a model key is required and has no spaces")]
    if key in seen.keys:
        return [RowError(line, "key", f"duplicate of row {seen.keys[key]}")]
    seen.keys[key] = line
    return []


def _lab_errors(line: int, cell: dict[str, str], seen: _Seen) -> list[RowError]:
    """The organisation is required, and has one ISO country (or blank) on every row."""
    organisation, country = cell["organisation"], cell["country"].upper()
    errors = [] if organisation else [RowError(line, "organisation", "required")]
    if country and country not in COUNTRIES:
        message = f"{cell['country']!r} is not an ISO 3166-1 alpha-2 code"
        return [*errors, RowError(line, "country", message)]
    if organisation:
        first = seen.countries.setdefault(organisation, (country, line))
        if first[0] != country:
            message = (
                f"{organisation!r} has country {first[0] or 'blank'} on row {first[1]}; "
                "one organisation has one country"
            )
            errors.append(RowError(line, "country", message))
    return errors


def _date(line: int, column: str, value: str, errors: list[RowError]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(line, column, f"{value!r} is not a YYYY-MM-DD date"))
        return None


def _release(line: int, cell: dict[str, str], errors: list[RowError]) -> _Release:
    """The release date and its source and precision (defaults for a date without them:
    manual, day), and the first-listed day; each bad cell is an error."""
    released = _date(line, "release_date", cell["release_date"], errors)
    first_listed = _date(line, "first_listed", cell.get("first_listed", ""), errors)
    source = cell.get("release_date_source", "")
    precision = cell.get("release_date_precision", "")
    if not cell["release_date"]:
        for column, value in (
            ("release_date_source", source),
            ("release_date_precision", precision),
        ):
            if value:
                errors.append(RowError(line, column, "given without a release_date"))
        return _Release(first_listed=first_listed)
    source = source or ReleaseDateSource.MANUAL
    precision = precision or DatePrecision.DAY
    if source not in ReleaseDateSource.values:
        message = f"{source!r} is not one of {'|'.join(ReleaseDateSource.values)}"
        errors.append(RowError(line, "release_date_source", message))
    if precision not in DatePrecision.values:
        message = f"{precision!r} is not one of {'|'.join(DatePrecision.values)}"
        errors.append(RowError(line, "release_date_precision", message))
    elif precision == DatePrecision.MONTH and released and released.day != 1:
        errors.append(RowError(line, "release_date", "with month precision, write the 1st"))
    return _Release(released, source, precision, first_listed)


def _catalogue_row(
    line: int,
    cell: dict[str, str],
    released: _Release,
    modalities: tuple[str, ...],
    weights: str,
) -> CatalogueRow:
    return CatalogueRow(
        row=line,
        key=cell["key"],
        display_name=cell["display_name"] or cell["key"],
        organisation=cell["organisation"],
        country=cell["country"].upper(),
        release_date=released.date,
        licence=cell["licence"],
        weights=weights,
        modalities=modalities,
        release_date_source=released.source,
        release_date_precision=released.precision,
        first_listed=released.first_listed,
    )
