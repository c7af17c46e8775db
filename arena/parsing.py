"""Files in, typed rows and row-numbered errors out. No database access here."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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
        if self.row == 0:  # about the whole file or archive, not one row
            return f"{self.field}: {self.message}" if self.field else self.message
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
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows left out on purpose

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


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


# --- External votes -----------------------------------------------------------------------

# Winner values of the Chatbot Arena clean_battle format, also accepted in CSV vote files.
WINNERS = {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad"}
VOTE_CSV_COLUMNS = ("model_a", "model_b", "winner", "timestamp")
PAIR_COUNT_COLUMNS = ("model_i", "model_j", "wins_i", "wins_j", "ties", "ties_bothbad")
_EXTERNAL_ID_MAX = 128


@dataclass(frozen=True)
class VoteRow:
    """One imported judgement, or one cell of aggregated pair counts (``count`` > 1).
    ``created_at`` is None when the file has no times (pair counts)."""

    row: int
    model_a: str
    model_b: str
    outcome: str  # Vote.Outcome value: a, b, tie, both_bad
    count: int
    created_at: datetime | None
    category: str
    language: str
    external_id: str


def _content_id(prefix: str, parts: list[str], seen: dict[str, int]) -> str:
    """A stable id from the row's content, so re-importing the same file finds the same ids
    whatever the row order; exact duplicate rows are numbered by occurrence."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    seen[digest] = seen.get(digest, 0) + 1
    return f"{prefix}:{digest}:{seen[digest]}"


def _decode_text(data: bytes | str, result: Parsed) -> str | None:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        result.errors.append(RowError(line, "", f"not UTF-8 ({error.reason})"))
        return None


def parse_clean_battle_json(data: bytes | str, *, include_named: bool = False) -> Parsed[VoteRow]:
    """Parse a Chatbot Arena ``clean_battle`` log: a JSON list of objects with model_a,
    model_b, winner (model_a, model_b, tie, tie (bothbad)), tstamp (Unix seconds) and
    optionally anony, language, category. The row number is the object's position in the
    list (1-based). Non-anonymous battles (``anony`` false) are skipped unless
    ``include_named``; a battle of a model against itself is skipped and counted."""
    result: Parsed[VoteRow] = Parsed()
    text = _decode_text(data, result)
    if text is None:
        return result
    try:
        battles = json.loads(text)
    except json.JSONDecodeError as error:
        result.errors.append(
            RowError(error.lineno, "", f"not valid JSON ({error.msg} at column {error.colno})")
        )
        return result
    if not isinstance(battles, list):
        result.errors.append(RowError(1, "", "a JSON list of battles is expected"))
        return result
    seen: dict[str, int] = {}
    for number, battle in enumerate(battles, start=1):
        if not isinstance(battle, dict):
            result.errors.append(RowError(number, "", "a JSON object is expected"))
            continue
        errors_before = len(result.errors)

        def fail(name: str, message: str, number: int = number) -> None:
            result.errors.append(RowError(number, name, message))

        for name in ("model_a", "model_b"):
            value = battle.get(name)
            if not isinstance(value, str) or not value.strip():
                fail(name, "a model key is required")
        winner = battle.get("winner")
        if winner not in WINNERS:
            fail("winner", f"{winner!r} is not one of {', '.join(WINNERS)}")
        stamp = battle.get("tstamp")
        created_at = None
        if isinstance(stamp, bool) or not isinstance(stamp, int | float):
            fail("tstamp", f"{stamp!r} is not a Unix time in seconds")
        else:
            try:
                created_at = datetime.fromtimestamp(stamp, UTC)
            except (OverflowError, OSError, ValueError):
                fail("tstamp", f"{stamp!r} is out of range")
        extras = {name: battle.get(name) or "" for name in ("category", "language")}
        for name, value in extras.items():
            if not isinstance(value, str):
                fail(name, "must be a string")
        if len(result.errors) > errors_before:
            continue
        if battle.get("anony", True) is False and not include_named:
            result.skip("not anonymous (pass --include-named to import them)")
            continue
        if battle["model_a"].strip() == battle["model_b"].strip():
            result.skip("a model against itself")
            continue
        parts = [
            battle["model_a"],
            battle["model_b"],
            winner,
            repr(stamp),
            str(battle.get("judge", "")),
            str(battle.get("question_id", "")),
        ]
        result.rows.append(
            VoteRow(
                row=number,
                model_a=battle["model_a"].strip(),
                model_b=battle["model_b"].strip(),
                outcome=WINNERS[winner],
                count=1,
                created_at=created_at,
                category=extras["category"][:64],
                language=extras["language"][:16],
                external_id=_content_id("battle", parts, seen),
            )
        )
    return result


def parse_time(value: str) -> datetime | None:
    """ISO 8601 (a time without offset is UTC) or Unix seconds."""
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _csv_reader(text: str, columns: tuple[str, ...], result: Parsed) -> csv.DictReader | None:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in columns if column not in (reader.fieldnames or [])]
    if missing:
        result.errors.append(RowError(1, "", f"missing columns: {', '.join(missing)}"))
        return None
    return reader


def parse_votes_csv(data: bytes | str) -> Parsed[VoteRow]:
    """Parse ``model_a,model_b,winner,timestamp[,category,language]``; winner as in
    clean_battle (model_a, model_b, tie, tie (bothbad)); timestamp ISO 8601 or Unix seconds."""
    result: Parsed[VoteRow] = Parsed()
    text = _decode_text(data, result)
    reader = None if text is None else _csv_reader(text, VOTE_CSV_COLUMNS, result)
    if reader is None:
        return result
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            cell = {
                k: (values.get(k) or "").strip()
                for k in (*VOTE_CSV_COLUMNS, "category", "language")
            }
            errors_before = len(result.errors)
            for name in ("model_a", "model_b"):
                if not cell[name]:
                    result.errors.append(RowError(line, name, "a model key is required"))
            if cell["winner"] not in WINNERS:
                result.errors.append(
                    RowError(
                        line, "winner", f"{cell['winner']!r} is not one of {', '.join(WINNERS)}"
                    )
                )
            created_at = parse_time(cell["timestamp"])
            if created_at is None:
                result.errors.append(
                    RowError(
                        line,
                        "timestamp",
                        f"{cell['timestamp']!r} is not an ISO 8601 time or Unix seconds",
                    )
                )
            if len(cell["category"]) > 64 or len(cell["language"]) > 16:
                result.errors.append(RowError(line, "", "category (64) or language (16) too long"))
            if len(result.errors) > errors_before:
                continue
            if cell["model_a"] == cell["model_b"]:
                result.skip("a model against itself")
                continue
            parts = [cell[k] for k in (*VOTE_CSV_COLUMNS, "category", "language")]
            result.rows.append(
                VoteRow(
                    row=line,
                    model_a=cell["model_a"],
                    model_b=cell["model_b"],
                    outcome=WINNERS[cell["winner"]],
                    count=1,
                    created_at=created_at,
                    category=cell["category"],
                    language=cell["language"],
                    external_id=_content_id("csv", parts, seen),
                )
            )
    except csv.Error as error:
        result.errors.append(RowError(reader.line_num, "", f"not valid CSV ({error})"))
    return result


def parse_pair_counts_csv(data: bytes | str) -> Parsed[VoteRow]:
    """Parse aggregated counts per unordered pair:
    ``model_i,model_j,wins_i,wins_j,ties,ties_bothbad[,n]``. Each non-zero cell becomes one
    row with its count (model_i is side A), so a fit sees exactly these counts. The file has
    no times: ``created_at`` is None and the importer chooses it."""
    result: Parsed[VoteRow] = Parsed()
    text = _decode_text(data, result)
    reader = None if text is None else _csv_reader(text, PAIR_COUNT_COLUMNS, result)
    if reader is None:
        return result
    pairs: dict[frozenset[str], int] = {}
    cells = (("wins_i", "a"), ("wins_j", "b"), ("ties", "tie"), ("ties_bothbad", "both_bad"))
    try:
        for values in reader:
            line = reader.line_num
            model_i = (values.get("model_i") or "").strip()
            model_j = (values.get("model_j") or "").strip()
            errors_before = len(result.errors)
            for name, value in (("model_i", model_i), ("model_j", model_j)):
                if not value:
                    result.errors.append(RowError(line, name, "a model key is required"))
            counts: dict[str, int] = {}
            for name in (*PAIR_COUNT_COLUMNS[2:], "n"):
                raw = (values.get(name) or "").strip()
                if name == "n" and not raw:
                    continue
                if not raw.isdigit():
                    result.errors.append(
                        RowError(line, name, f"{raw!r} is not a count (0 or more)")
                    )
                else:
                    counts[name] = int(raw)
            if "n" in counts and len(counts) == 5:
                total = sum(counts[name] for name, _ in cells)
                if counts["n"] != total:
                    result.errors.append(
                        RowError(
                            line,
                            "n",
                            f"{counts['n']} is not wins_i + wins_j + ties + ties_bothbad = {total}",
                        )
                    )
            if model_i and model_i == model_j:
                result.errors.append(RowError(line, "model_j", "the same model as model_i"))
            pair = frozenset((model_i, model_j))
            if model_i and model_j and pair in pairs:
                result.errors.append(
                    RowError(
                        line, "", f"the pair {model_i} / {model_j} is already on row {pairs[pair]}"
                    )
                )
            pairs.setdefault(pair, line)
            if len(result.errors) > errors_before:
                continue
            for name, outcome in cells:
                if counts[name] == 0:
                    continue
                external_id = f"pair:{model_i}|{model_j}|{outcome}"
                if len(external_id) > _EXTERNAL_ID_MAX:
                    digest = hashlib.sha256(external_id.encode()).hexdigest()
                    external_id = f"pair:{digest}|{outcome}"
                result.rows.append(
                    VoteRow(
                        row=line,
                        model_a=model_i,
                        model_b=model_j,
                        outcome=outcome,
                        count=counts[name],
                        created_at=None,
                        category="",
                        language="",
                        external_id=external_id,
                    )
                )
    except csv.Error as error:
        result.errors.append(RowError(reader.line_num, "", f"not valid CSV ({error})"))
    return result
