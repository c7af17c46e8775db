"""What reading a file gives: typed rows, every problem with the line it is on, and the rows
left out on purpose. Shared by the readers of vote files (:mod:`pairwise.formats`), of
model catalogues and of prompt/output manifests, so they decode and report alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line (or list position) in the file; 0: about the whole file
    field: str
    message: str

    def __str__(self) -> str:
        return self.at("row")

    def at(self, place: str) -> str:
        """The error with its place named by ``place``: ``row 3, winner: ...``."""
        where = f"{place} {self.row}" if self.row else ""
        head = ", ".join(part for part in (where, self.field) if part)
        return f"{head}: {self.message}" if head else self.message


T = TypeVar("T")


@dataclass
class Parsed(Generic[T]):
    rows: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows left out on purpose

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def decode_utf8(data: bytes | str, result: Parsed) -> str | None:
    """The text of a UTF-8 file (a byte order mark is dropped); None, with an error naming
    the line and the first bad byte, when it is not UTF-8."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        result.errors.append(
            RowError(line, "", f"not UTF-8 (byte {data[error.start]:#04x}); save as UTF-8")
        )
        return None


def csv_records(
    text: str, required: tuple[str, ...], result: Parsed
) -> Iterator[tuple[int, dict[str, str], int]]:
    """(line where the record starts, cells by column, fields beyond the header) for each
    record of a CSV file with a header; blank lines are passed over and a missing trailing
    cell is "". A header without all ``required`` columns, or a record that is not valid
    CSV, is an error in ``result`` and ends the records."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
    except csv.Error as error:
        result.errors.append(RowError(1, "", f"not valid CSV ({error})"))
        return
    missing = [column for column in required if column not in header]
    if missing:
        result.errors.append(RowError(1, "", f"missing columns: {', '.join(missing)}"))
        return
    start = reader.line_num + 1
    try:
        for values in reader:
            if values:
                cells = dict(zip(header, values, strict=False))
                surplus = max(0, len(values) - len(header))
                yield start, {name: cells.get(name, "") for name in header}, surplus
            start = reader.line_num + 1
    except csv.Error as error:
        result.errors.append(RowError(start, "", f"not valid CSV ({error})"))
