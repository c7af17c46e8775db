"""What reading a file gives: typed rows, every problem with the line it is on, and the rows
left out on purpose. Shared by the readers of vote files (:mod:`pairwise.formats`), of
model catalogues and of prompt/output manifests, so they decode and report alike.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
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
    max_errors: int = 0  # a streaming reader stops after this many problems (0: never)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def full(self, row: int) -> bool:
        """True once ``max_errors`` problems are recorded, saying (once) where reading
        stopped: a file of any size gives a report of bounded size."""
        if not self.max_errors or len(self.errors) < self.max_errors:
            return False
        stopped = f"more than {self.max_errors} problems: stopped reading at row {row}"
        if self.errors[-1].message != stopped:
            self.errors.append(RowError(0, "", stopped))
        return True


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


def text_lines(stream: Iterable[bytes], result: Parsed) -> Iterator[str]:
    """The lines of a UTF-8 byte stream (a binary file), decoded one at a time so a file of
    any size is read in constant memory; a byte order mark is dropped. Bytes that are not
    UTF-8 are an error in ``result`` naming the line and the first bad byte, and end the
    lines."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    for number, raw in enumerate(stream, start=1):
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError as error:
            result.errors.append(
                RowError(number, "", f"not UTF-8 (byte {raw[error.start]:#04x}); save as UTF-8")
            )
            return
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        result.errors.append(RowError(0, "", "not UTF-8 (the file ends mid-character)"))


def csv_records(
    text: str | Iterable[str], required: tuple[str, ...], result: Parsed
) -> Iterator[tuple[int, dict[str, str], int]]:
    """(line where the record starts, cells by column, fields beyond the header) for each
    record of a CSV file with a header, from its whole text or its lines (``text_lines``);
    blank lines are passed over and a missing trailing cell is "". A header without all
    ``required`` columns, or a record that is not valid CSV, is an error in ``result`` and
    ends the records."""
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    reader = csv.reader(lines)
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
