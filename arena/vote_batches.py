"""A vote file's rows in batches ready for the vote table, prepared by a thread that reads
ahead of the writer: what needs no database is done there, on the other core, while the
database writes the previous batch (the GIL is released while waiting for it).

Preparing a batch numbers its duplicate content ids in file order across the whole file
(``pairwise.occurrences``), puts the model ids in place of the keys and encodes every
column of the vote table: COPY text on PostgreSQL, INSERT parameters on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from queue import Empty, Full, Queue
from typing import BinaryIO

from django.db import connection

from arena.models import Vote
from pairwise.formats import VoteRow
from pairwise.occurrences import Occurrences
from pairwise.outcomes import OUTCOME_NAMES

#: The columns whose values each row gives, in this order; the vote table's other columns
#: get the same value in every row (the source, the modality, each field's default).
ROW_COLUMNS = (
    "external_id",
    "outcome",
    "count",
    "created_at",
    "model_a_id",
    "model_b_id",
    "category",
    "language",
)


@dataclass
class Batch:
    """Rows read together, with what the writer needs of them, prepared by the reading
    thread: their final external ids, their model keys and their values for the vote table
    (``payload``; None when a model had no id yet as the batch was read)."""

    rows: list[VoteRow]
    external_ids: list[str]
    keys: set[str]
    payload: str | list[tuple] | None
    total: int  # the rows of the file, estimated from the bytes read so far


def prepare(
    rows: list[VoteRow], *, encoder: Encoder, occurrences: Occurrences | None
) -> tuple[list[str], set[str], str | list[tuple] | None]:
    """A batch's external ids (content ids numbered by occurrence in the file, as
    :func:`pairwise.formats.numbered` numbers them), model keys and payload."""
    external_ids = [row.external_id for row in rows]
    if occurrences is not None:
        numbers = occurrences.number(external_ids)
        external_ids = [f"{base}:{n}" for base, n in zip(external_ids, numbers, strict=True)]
    keys = {key for row in rows for key in (row.model_a, row.model_b)}
    return external_ids, keys, encoder.encode(rows, external_ids, keys)


_DONE = object()


def read_ahead(
    rows: Iterator[VoteRow],
    prepare: Callable[[list[VoteRow]], tuple[list[str], set[str], str | list[tuple] | None]],
    stream: BinaryIO,
    size: int,
    *,
    batch_rows: int,
) -> Iterator[Batch]:
    """The rows in batches, read and prepared by a thread one batch ahead of the caller, so
    the file is parsed while the database writes (the GIL is released while waiting for
    it). At most two batches wait: memory stays bounded. A problem in the thread is raised
    here; when the caller stops early, the thread stops at its next batch."""
    ready: Queue = Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def read() -> None:
        read_so_far = 0
        try:
            while batch := list(islice(rows, batch_rows)):
                read_so_far += len(batch)
                total = _estimate(stream, size, read_so_far)
                if not hand_over(Batch(batch, *prepare(batch), total)):
                    return
        except BaseException as error:  # handed to the caller, raised there
            hand_over(error)
            return
        hand_over(_DONE)

    reader = threading.Thread(target=read, name="vote-import-reader", daemon=True)
    reader.start()
    try:
        while (item := _next(ready, reader)) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _next(ready: Queue, reader: threading.Thread) -> object:
    while True:
        try:
            return ready.get(timeout=1)
        except Empty:
            if not reader.is_alive() and ready.empty():
                return _DONE


def _estimate(stream: BinaryIO, size: int, rows: int) -> int:
    """The total rows of the file, estimated from the bytes read so far."""
    try:
        position = stream.tell()
    except (OSError, ValueError):
        return 0
    return max(rows, rows * size // position) if size and position else 0


#: COPY's text format: these characters of a value are written as escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: object) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


class Encoder:
    """A batch's rows as the vote table's rows, every column given (the columns of
    ``ROW_COLUMNS``, then the others with their value for the whole import): COPY text on
    PostgreSQL, parameters of an INSERT on SQLite. Runs in the reading thread, which opens
    no connection of its own (times get the database's form through ``adapt``)."""

    def __init__(self, *, source: str, modality: str, when: datetime) -> None:
        self.when = when
        self.postgres = connection.vendor == "postgresql"
        self.adapt = connection.ops.adapt_datetimefield_value
        #: Model key -> id. Replaced whole by the writer as it learns ids (never changed in
        #: place), so the reading thread can take it as it is.
        self.model_ids: dict[str, int] = {}
        given = {"source": source, "modality": modality}
        fixed: dict[str, object] = {}
        for vote_field in Vote._meta.concrete_fields:
            if vote_field.primary_key or vote_field.column in ROW_COLUMNS:
                continue
            if vote_field.column in given:
                fixed[vote_field.column] = given[vote_field.column]
            elif vote_field.null:
                fixed[vote_field.column] = None
            else:
                default = vote_field.get_default()
                fixed[vote_field.column] = vote_field.get_db_prep_save(default, connection)
        self.columns = ", ".join(
            connection.ops.quote_name(column) for column in (*ROW_COLUMNS, *fixed)
        )
        self.width = len(ROW_COLUMNS) + len(fixed)
        self.fixed = tuple(fixed.values())
        self.copy_end = "".join(f"\t{_copy_value(value)}" for value in fixed.values()) + "\n"

    def encode(
        self, rows: list[VoteRow], external_ids: list[str], keys: set[str]
    ) -> str | list[tuple] | None:
        """The payload of a batch, or None if a model of ``keys`` has no id yet."""
        model_ids = self.model_ids
        if not keys <= model_ids.keys():
            return None
        if self.postgres:
            return self._copy_text(rows, external_ids, model_ids)
        return self._parameters(rows, external_ids, model_ids)

    def _copy_text(
        self, rows: list[VoteRow], external_ids: list[str], model_ids: dict[str, int]
    ) -> str:
        escaped: dict[str, str] = {}  # categories, languages: few distinct values

        def text(value: str) -> str:
            found = escaped.get(value)
            if found is None:
                found = escaped[value] = value.translate(_COPY_ESCAPES)
            return found

        names, when, end = OUTCOME_NAMES, self.when, self.copy_end
        return "".join(
            [
                f"{external_id.translate(_COPY_ESCAPES)}\t{names[row.outcome]}\t{row.count}\t"
                f"{(row.created_at or when).isoformat()}\t{model_ids[row.model_a]}\t"
                f"{model_ids[row.model_b]}\t{text(row.category)}\t{text(row.language)}{end}"
                for row, external_id in zip(rows, external_ids, strict=True)
            ]
        )

    def _parameters(
        self, rows: list[VoteRow], external_ids: list[str], model_ids: dict[str, int]
    ) -> list[tuple]:
        names, when, adapt, fixed = OUTCOME_NAMES, self.when, self.adapt, self.fixed
        return [
            (
                external_id,
                names[row.outcome],
                row.count,
                adapt(row.created_at or when),
                model_ids[row.model_a],
                model_ids[row.model_b],
                row.category,
                row.language,
                *fixed,
            )
            for row, external_id in zip(rows, external_ids, strict=True)
        ]
