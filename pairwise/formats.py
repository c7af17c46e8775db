"""The three vote file formats and their rules, written once for every reader: the importer
(``manage.py import_votes``, in arena) and the engine's command line (``python -m
ranking.stats``, through :mod:`ranking.stats.io`). docs/uploads.md describes them.

- ``clean_battle``: a Chatbot Arena log, a JSON list of battles.
- ``csv``: one vote a line, ``model_a,model_b,winner[,timestamp,category,language]``.
- ``pair_counts``: one unordered pair a line with its counts per outcome.

Each reader returns every problem with its row, not only the first, and never raises for
bad content. A row without a time has ``created_at`` None; whoever reads it decides the
time (the importer: ``--timestamp`` or now).
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import BinaryIO

import ijson

from pairwise.outcomes import OUTCOME_NAMES, Outcome
from pairwise.rows import Parsed, RowError, csv_records, text_lines

#: The ``winner`` values of clean_battle logs, also those of CSV vote files.
WINNERS: dict[str, Outcome] = {
    "model_a": Outcome.A_WINS,
    "model_b": Outcome.B_WINS,
    "tie": Outcome.TIE,
    "tie (bothbad)": Outcome.BOTH_BAD,
}
VOTE_CSV_COLUMNS = ("model_a", "model_b", "winner")
VOTE_CSV_OPTIONAL = ("timestamp", "category", "language")
#: Required columns of pair counts; ``n`` (the sum of the four counts) is optional.
PAIR_COUNT_COLUMNS = ("model_i", "model_j", "wins_i", "wins_j", "ties", "ties_bothbad")
#: The outcome each count stands for, model_i being side A.
PAIR_COUNT_CELLS: dict[str, Outcome] = {
    "wins_i": Outcome.A_WINS,
    "wins_j": Outcome.B_WINS,
    "ties": Outcome.TIE,
    "ties_bothbad": Outcome.BOTH_BAD,
}
#: The widths of the vote table's columns: a longer value is a row error, not a crash.
MAX_LENGTH = {"category": 64, "language": 16}
EXTERNAL_ID_MAX = 128


class Skip(StrEnum):
    """Why a well-formed row is left out (counted in ``Parsed.skipped``)."""

    SELF = "a model against itself"
    NAMED = "not anonymous"


@dataclass(frozen=True)
class VoteRow:
    """One judgement, or one cell of pair counts (``count`` judgements alike).

    ``external_id`` is stable across re-reads of the same file, whatever the row order, so
    a re-import can recognise the rows it already holds."""

    row: int
    model_a: str
    model_b: str
    outcome: Outcome
    count: int
    created_at: datetime | None
    category: str
    language: str
    external_id: str


def parse_votes(
    data: bytes | str, *, format_name: str, include_named: bool = False
) -> Parsed[VoteRow]:
    """Read a whole vote file in one of ``FORMATS``; ``include_named`` applies to clean_battle.
    The rows are those of :func:`read_votes` with their ids numbered (:func:`numbered`)."""
    result: Parsed[VoteRow] = Parsed()
    stream = io.BytesIO(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    rows = read_votes(stream, format_name=format_name, result=result, include_named=include_named)
    result.rows = list(numbered(rows) if format_name in NUMBERED_FORMATS else rows)
    return result


def read_votes(
    stream: BinaryIO,
    *,
    format_name: str,
    result: Parsed[VoteRow],
    include_named: bool = False,
) -> Iterator[VoteRow]:
    """The rows of a vote file, read incrementally from a binary stream: memory does not
    grow with the file. Problems and skipped rows go to ``result`` (whose ``rows`` stay
    empty). Rows of the ``NUMBERED_FORMATS`` carry the base of their content id
    (``prefix:digest``): the number of its occurrence in the file is appended by
    :func:`numbered`, or by whoever writes them (the importer numbers them a batch at a time
    with :class:`pairwise.occurrences.Occurrences`, 16 bytes an id instead of a dict)."""
    if format_name == "clean_battle":
        return _clean_battle_rows(stream, result, include_named=include_named)
    return _STREAM_READERS[format_name](stream, result)


def numbered(rows: Iterable[VoteRow]) -> Iterator[VoteRow]:
    """Rows with their content id completed by its occurrence (``prefix:digest:n``): exact
    duplicate rows are numbered in file order, so re-reading a file finds the same ids."""
    seen: dict[str, int] = {}
    for row in rows:
        seen[row.external_id] = seen.get(row.external_id, 0) + 1
        yield replace(row, external_id=f"{row.external_id}:{seen[row.external_id]}")


def parse_time(value: str) -> datetime | None:
    """ISO 8601 (a time without offset is UTC) or Unix seconds; None if it is neither."""
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- clean_battle ---------------------------------------------------------------------------


def parse_clean_battle_json(data: bytes | str, *, include_named: bool = False) -> Parsed[VoteRow]:
    """A JSON list of objects with model_a, model_b, winner and optionally tstamp (Unix
    seconds), anony, category, language. The row of an object is its position in the list
    (1-based). A battle with ``"anony": false`` is skipped unless ``include_named``; one
    without ``anony`` is anonymous, as in Chatbot Arena's logs."""
    return parse_votes(data, format_name="clean_battle", include_named=include_named)


def _clean_battle_rows(
    stream: BinaryIO, result: Parsed[VoteRow], *, include_named: bool
) -> Iterator[VoteRow]:
    number = 0
    try:
        for number, battle in enumerate(_json_items(stream, result), start=1):
            if result.full(number):
                return
            row = _battle_row(number, battle, result, include_named=include_named)
            if row is not None:
                yield row
    except ijson.JSONError as error:
        reason = str(error).splitlines()[0].strip() if str(error) else "truncated"
        if "UTF8" in reason:
            reason = "not UTF-8; save as UTF-8"
        result.errors.append(RowError(number + 1, "", f"not valid JSON ({reason})"))
    except UnicodeDecodeError:  # the C parser's reaction to a lone surrogate escape
        message = "is not valid Unicode text (a lone surrogate escape)"
        result.errors.append(RowError(number + 1, "", message))


def _json_items(stream: BinaryIO, result: Parsed) -> Iterator[object]:
    """The items of a JSON list, parsed incrementally (ijson); anything else is an error."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
    head = buffered.peek(64)[:64]
    if head.startswith(codecs.BOM_UTF8):
        buffered.read(len(codecs.BOM_UTF8))
        head = head[len(codecs.BOM_UTF8) :]
    if not head.lstrip().startswith(b"["):
        if head.strip():
            result.errors.append(RowError(1, "", "a JSON list of battles is expected"))
        else:
            result.errors.append(RowError(1, "", "not valid JSON (the file is empty)"))
        return iter(())
    return ijson.items(buffered, "item", use_float=True)


def _battle_row(
    number: int, battle: object, result: Parsed[VoteRow], *, include_named: bool
) -> VoteRow | None:
    if not isinstance(battle, dict):
        result.errors.append(RowError(number, "", "a JSON object is expected"))
        return None
    stamp = battle.get("tstamp")
    created_at, time_error = _unix_time(stamp)
    errors = _vote_errors(number, battle)
    if time_error:
        errors.append(RowError(number, "tstamp", time_error))
    if errors:
        result.errors += errors
        return None
    if battle.get("anony", True) is False and not include_named:
        result.skip(Skip.NAMED)
        return None
    parts = [battle[name] for name in VOTE_CSV_COLUMNS] + [repr(stamp)]
    parts += [str(battle.get(name, "")) for name in ("judge", "question_id")]
    return _vote(result, number, battle, created_at, _content_id("battle", parts))


def _unix_time(stamp: object) -> tuple[datetime | None, str]:
    """(time, "") from Unix seconds; (None, "") without one; (None, problem) if bad."""
    if stamp is None:
        return None, ""
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None, f"{stamp!r} is not a Unix time in seconds"
    try:
        return datetime.fromtimestamp(stamp, UTC), ""
    except (OverflowError, OSError, ValueError):
        return None, f"{stamp!r} is out of range"


# --- csv --------------------------------------------------------------------------------------


def parse_votes_csv(data: bytes | str) -> Parsed[VoteRow]:
    """``model_a,model_b,winner[,timestamp,category,language]`` with a header; winner as in
    clean_battle; timestamp ISO 8601 or Unix seconds, or blank. Row = line in the file."""
    return parse_votes(data, format_name="csv")


def _votes_csv_rows(stream: BinaryIO, result: Parsed[VoteRow]) -> Iterator[VoteRow]:
    columns = (*VOTE_CSV_COLUMNS, *VOTE_CSV_OPTIONAL)
    for line, values, surplus in csv_records(text_lines(stream, result), VOTE_CSV_COLUMNS, result):
        if result.full(line):
            return
        cells = {name: values.get(name, "").strip() for name in columns}
        errors = _surplus_errors(line, surplus) + _vote_errors(line, cells)
        created_at = parse_time(cells["timestamp"]) if cells["timestamp"] else None
        if cells["timestamp"] and created_at is None:
            message = f"{cells['timestamp']!r} is not an ISO 8601 time or Unix seconds"
            errors.append(RowError(line, "timestamp", message))
        if errors:
            result.errors += errors
            continue
        content = _content_id("csv", [cells[name] for name in columns])
        row = _vote(result, line, cells, created_at, content)
        if row is not None:
            yield row


# --- pair_counts ------------------------------------------------------------------------------


def parse_pair_counts_csv(data: bytes | str) -> Parsed[VoteRow]:
    """``model_i,model_j,wins_i,wins_j,ties,ties_bothbad[,n]`` per unordered pair, counts
    being whole numbers (0 or more) and ``n``, when given, their sum. Each non-zero count
    becomes one row with that count, model_i as side A. Row = line in the file."""
    return parse_votes(data, format_name="pair_counts")


def _pair_counts_rows(stream: BinaryIO, result: Parsed[VoteRow]) -> Iterator[VoteRow]:
    pairs: dict[frozenset[str], int] = {}
    records = csv_records(text_lines(stream, result), PAIR_COUNT_COLUMNS, result)
    for line, values, surplus in records:
        if result.full(line):
            return
        model_i, model_j = values["model_i"].strip(), values["model_j"].strip()
        errors = _surplus_errors(line, surplus)
        errors += _model_errors(line, {"model_i": model_i, "model_j": model_j})
        counts = _counts(line, values, errors)
        if model_i and model_i == model_j:
            errors.append(RowError(line, "model_j", "the same model as model_i"))
        pair = frozenset((model_i, model_j))
        if model_i and model_j and pair in pairs:
            message = f"the pair {model_i} / {model_j} is already on row {pairs[pair]}"
            errors.append(RowError(line, "", message))
        pairs.setdefault(pair, line)
        result.errors += errors
        if not errors:
            for column, outcome in PAIR_COUNT_CELLS.items():
                if counts[column]:
                    yield _pair_cell(line, model_i, model_j, outcome, counts[column])


def _counts(line: int, values: Mapping[str, str], errors: list[RowError]) -> dict[str, int]:
    """The counts of a row; each one that is not a whole number 0 or more is an error, and
    so is an ``n`` that is not their sum."""
    counts: dict[str, int] = {}
    for name in (*PAIR_COUNT_CELLS, "n"):
        raw = values.get(name, "").strip()
        if name == "n" and not raw:
            continue
        if raw.isascii() and raw.isdigit():
            counts[name] = int(raw)
        else:
            errors.append(RowError(line, name, f"{raw!r} is not a count (0 or more)"))
    total = sum(counts.get(name, 0) for name in PAIR_COUNT_CELLS)
    if "n" in counts and len(counts) == len(PAIR_COUNT_CELLS) + 1 and counts["n"] != total:
        message = f"{counts['n']} is not wins_i + wins_j + ties + ties_bothbad = {total}"
        errors.append(RowError(line, "n", message))
    return counts


def _pair_cell(line: int, model_i: str, model_j: str, outcome: Outcome, count: int) -> VoteRow:
    name = OUTCOME_NAMES[outcome]
    external_id = f"pair:{model_i}|{model_j}|{name}"
    if len(external_id) > EXTERNAL_ID_MAX:
        external_id = f"pair:{hashlib.sha256(external_id.encode()).hexdigest()}|{name}"
    return VoteRow(
        row=line,
        model_a=model_i,
        model_b=model_j,
        outcome=outcome,
        count=count,
        created_at=None,
        category="",
        language="",
        external_id=external_id,
    )


# --- What the formats share -----------------------------------------------------------------


def _model_errors(line: int, models: Mapping[str, object]) -> list[RowError]:
    return [
        RowError(line, name, "a model key is required")
        for name, value in models.items()
        if not isinstance(value, str) or not value.strip()
    ]


def _vote_errors(line: int, cells: Mapping[str, object]) -> list[RowError]:
    """The checks of one vote of clean_battle or csv, apart from its time."""
    if _plainly_valid(cells):
        return []
    errors = _model_errors(line, {name: cells.get(name) for name in ("model_a", "model_b")})
    winner = cells.get("winner")
    if not isinstance(winner, str) or winner not in WINNERS:
        errors.append(RowError(line, "winner", f"{winner!r} is not one of {', '.join(WINNERS)}"))
    for name, limit in MAX_LENGTH.items():
        value = cells.get(name) or ""
        if not isinstance(value, str):
            errors.append(RowError(line, name, "must be a string"))
        elif len(value) > limit:
            errors.append(RowError(line, name, f"{len(value)} characters; the limit is {limit}"))
    errors += [
        RowError(line, name, "is not valid Unicode text (a lone surrogate escape)")
        for name in _STORED
        if isinstance(cells.get(name), str) and not _is_unicode(cells[name])
    ]
    return errors


#: The fields of a vote that are stored (and so must be valid Unicode text).
_STORED = ("model_a", "model_b", "winner", "category", "language")


def _plainly_valid(cells: Mapping[str, object]) -> bool:
    """The common case in few operations (a file of millions of votes is mostly valid):
    model keys, a known winner, category and language within their widths, all ASCII. Any
    other vote gets the full checks, which name each problem."""
    model_a, model_b = cells.get("model_a"), cells.get("model_b")
    category, language = cells.get("category") or "", cells.get("language") or ""
    return (
        type(model_a) is str
        and type(model_b) is str
        and type(category) is str
        and type(language) is str
        and type(cells.get("winner")) is str
        and cells["winner"] in WINNERS
        and len(category) <= MAX_LENGTH["category"]
        and len(language) <= MAX_LENGTH["language"]
        and (model_a + model_b + category + language).isascii()
        and bool(model_a.strip())
        and bool(model_b.strip())
    )


def _is_unicode(text: str) -> bool:
    """False for text holding a lone surrogate, which JSON's ``\\udcff`` escapes can make."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surplus_errors(line: int, surplus: int) -> list[RowError]:
    # More fields than columns: most likely a comma in an unquoted name, shifting the rest.
    if not surplus:
        return []
    return [RowError(line, "", f"{surplus} field(s) beyond the header's columns")]


def _content_id(prefix: str, parts: list[str]) -> str:
    """The base of a stable id from a row's content (``prefix:digest``), the same whatever
    the row order; :func:`numbered` appends the occurrence of exact duplicates."""
    return f"{prefix}:{hashlib.sha256(chr(0x1F).join(parts).encode()).hexdigest()[:40]}"


def _vote(
    result: Parsed[VoteRow],
    line: int,
    cells: Mapping[str, object],
    created_at: datetime | None,
    external_id: str,
) -> VoteRow | None:
    """A checked vote, or None (counted as skipped) if it pits a model against itself."""
    model_a, model_b = str(cells["model_a"]).strip(), str(cells["model_b"]).strip()
    if model_a == model_b:
        result.skip(Skip.SELF)
        return None
    return VoteRow(
        row=line,
        model_a=model_a,
        model_b=model_b,
        outcome=WINNERS[str(cells["winner"])],
        count=1,
        created_at=created_at,
        category=str(cells.get("category") or ""),
        language=str(cells.get("language") or ""),
        external_id=external_id,
    )


_STREAM_READERS: dict[str, Callable[[BinaryIO, Parsed[VoteRow]], Iterator[VoteRow]]] = {
    "csv": _votes_csv_rows,
    "pair_counts": _pair_counts_rows,
}
#: Formats whose ids are content digests numbered by occurrence (pair counts: one id a cell).
NUMBERED_FORMATS = frozenset({"clean_battle", "csv"})

#: Format name -> reader. ``parse_votes`` passes ``include_named`` to clean_battle.
FORMATS: dict[str, Callable[[bytes | str], Parsed[VoteRow]]] = {
    "clean_battle": parse_clean_battle_json,
    "csv": parse_votes_csv,
    "pair_counts": parse_pair_counts_csv,
}
