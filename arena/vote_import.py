"""External votes in: a vote file (``pairwise.formats``) is read as a stream and written
under its source in one transaction, or nothing is; the external ids the source already
holds are skipped, so importing the same file again adds nothing.

Memory does not grow with the file, and reading overlaps writing: a thread parses the file
a batch at a time while the database writes the previous batch (each on its own core).
Each batch is copied into a temporary table (PostgreSQL ``COPY``, batched inserts on
SQLite) and inserted from there: duplicate content ids are numbered in file order, counting
the occurrences in earlier batches (a temporary table of the ids seen so far), and the rows
the source already holds are left out. Any problem (a bad row, an unknown model) rolls the
whole import back.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice, repeat
from queue import Empty, Full, Queue
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from arena.models import AIModel, Modality, Vote
from arena.progress import Progress, no_progress
from arena.signals import data_imported
from arena.unknown_models import models_create, unknown_model_errors
from pairwise.formats import NUMBERED_FORMATS, VoteRow, read_votes
from pairwise.outcomes import OUTCOME_NAMES
from pairwise.rows import Parsed, RowError

#: Rows per batch (one COPY or executemany, one INSERT): big enough to amortise a
#: statement, small enough that a batch is a few megabytes.
BATCH_ROWS = 20_000
#: A file with more problems than this stops being read; the report says so.
MAX_ERRORS = 1_000
_BATCH = "vote_import_batch"
_SEEN = "vote_import_seen"
#: The first key of the advisory locks that make imports of one source take turns.
_LOCK = 15_001
_STAGED = (
    "row_no",
    "base_id",
    "outcome",
    "n",
    "created_at",
    "model_a",
    "model_b",
    "category",
    "language",
)


@dataclass
class VotesReport:
    ok: bool = False
    rows: int = 0
    created: int = 0
    already_present: int = 0
    votes_created: int = 0  # sum of counts: pair-count cells stand for many votes
    models_created: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ok:
            return f"refused: {len(self.errors)} problems; nothing was written"
        skipped = "".join(f"; skipped ({reason}): {n}" for reason, n in self.skipped.items())
        return (
            f"{self.rows} rows accepted; {self.created} vote rows created ({self.votes_created:,} "
            f"votes), {self.already_present} already present; models created: "
            f"{self.models_created}{skipped}"
        )


class _Refused(Exception):
    """Raised inside the transaction to roll back everything staged so far."""


def votes_import(
    *,
    stream: BinaryIO,
    format_name: str,
    modality: str,
    source: str,
    include_named: bool = False,
    create_models: bool = False,
    timestamp: datetime | None = None,
    size: int = 0,
    progress: Progress = no_progress,
) -> VotesReport:
    """Read a vote file from ``stream`` and write its votes under ``source``, skipping the
    external ids the source already holds; all or nothing. ``timestamp`` dates the rows
    that have no time (pair counts always, clean_battle and csv rows without one); default:
    now. ``size``, the file's size in bytes if known, lets the progress estimate the total."""
    report = VotesReport(errors=_argument_errors(modality, source))
    if report.errors:
        return report
    parsed: Parsed[VoteRow] = Parsed(max_errors=MAX_ERRORS)
    rows = read_votes(stream, format_name=format_name, result=parsed, include_named=include_named)
    numbered = format_name in NUMBERED_FORMATS
    writer = _Writer(report, parsed, source, modality, create_models, numbered=numbered)
    when = timestamp or timezone.now()
    if writer.postgres:
        encode = partial(_copy_text, when=when)
    else:
        encode = partial(_sqlite_rows, when=when, adapt=connection.ops.adapt_datetimefield_value)
    try:
        with transaction.atomic():
            writer.start()
            for batch in _read_ahead(rows, encode, stream, size):
                writer.write(batch)
                progress("importing", report.rows, batch.total)
            progress("importing", report.rows, report.rows)
            report.skipped = dict(parsed.skipped)
            # Unknown models are only worth naming in a file that is otherwise valid.
            report.errors = parsed.errors or writer.unknown_errors()
            if report.errors:
                raise _Refused
            writer.count()
    except _Refused:
        return report
    finally:
        writer.drop()
    report.ok = True
    data_imported.send(sender=votes_import, what="votes")
    return report


def _argument_errors(modality: str, source: str) -> list[RowError]:
    errors = []
    if modality not in Modality.values:
        errors.append(
            RowError(0, "modality", f"{modality!r} is not one of {'|'.join(Modality.values)}")
        )
    if not source or len(source) > 64 or source == Vote.SOURCE_ARENA:
        errors.append(
            RowError(
                0,
                "source",
                "name the source (up to 64 characters; "
                f"{Vote.SOURCE_ARENA!r} is for votes cast here)",
            )
        )
    return errors


@dataclass
class _Batch:
    """Rows read together, with what the writer needs of them, prepared by the reading
    thread: their model keys and their values for the temporary table (``payload``)."""

    rows: list[VoteRow]
    keys: set[str]
    payload: str | list[tuple]
    total: int  # the rows of the file, estimated from the bytes read so far


_DONE = object()


def _read_ahead(
    rows: Iterator[VoteRow],
    encode: Callable[[list[VoteRow]], str | list[tuple]],
    stream: BinaryIO,
    size: int,
) -> Iterator[_Batch]:
    """The rows in batches, read and encoded by a thread one batch ahead of the caller, so
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
            while batch := list(islice(rows, BATCH_ROWS)):
                read_so_far += len(batch)
                keys = {key for row in batch for key in (row.model_a, row.model_b)}
                total = _estimate(stream, size, read_so_far)
                if not hand_over(_Batch(batch, keys, encode(batch), total)):
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


def _copy_text(rows: list[VoteRow], when: datetime) -> str:
    """The rows as lines of PostgreSQL's COPY text format, in the order of ``_STAGED``."""
    escaped: dict[str, str] = {}  # model keys, categories, languages: few distinct values

    def text(value: str) -> str:
        found = escaped.get(value)
        if found is None:
            found = escaped[value] = value.translate(_COPY_ESCAPES)
        return found

    names = OUTCOME_NAMES
    return "".join(
        [
            f"{row.row}\t{row.external_id.translate(_COPY_ESCAPES)}\t{names[row.outcome]}\t"
            f"{row.count}\t{(row.created_at or when).isoformat()}\t{text(row.model_a)}\t"
            f"{text(row.model_b)}\t{text(row.category)}\t{text(row.language)}\n"
            for row in rows
        ]
    )


def _sqlite_rows(
    rows: list[VoteRow], when: datetime, adapt: Callable[[datetime], str]
) -> list[tuple]:
    """The rows as parameters of an INSERT, in the order of ``_STAGED``, times in the
    database's form (``adapt``; the reading thread opens no connection of its own)."""
    names = OUTCOME_NAMES
    return [
        (
            row.row,
            row.external_id,
            names[row.outcome],
            row.count,
            adapt(row.created_at or when),
            row.model_a,
            row.model_b,
            row.category,
            row.language,
        )
        for row in rows
    ]


class _Writer:
    """Writes the batches of one import: each through a temporary table into the vote
    table, its content ids numbered after the occurrences in earlier batches."""

    def __init__(
        self,
        report: VotesReport,
        parsed: Parsed[VoteRow],
        source: str,
        modality: str,
        create_models: bool,
        *,
        numbered: bool,
    ) -> None:
        self.report = report
        self.parsed = parsed
        self.source = source
        self.modality = modality
        self.create_models = create_models
        self.numbered = numbered
        self._known: set[str] | None = None
        self.unknown_first: dict[str, int] = {}
        self.unknown_rows: Counter[str] = Counter()
        self.postgres = connection.vendor == "postgresql"
        self.created_tables = False
        self.before: int | None = None  # the source's last id before this import

    def start(self) -> None:
        """Create the temporary tables; take the source's turn (PostgreSQL)."""
        time = "timestamptz" if self.postgres else "datetime"
        batch_columns = (
            f"row_no bigint, base_id varchar({_ID_WIDTH}), outcome varchar(8), n bigint, "
            f"created_at {time}, model_a varchar({_KEY_WIDTH}), model_b varchar({_KEY_WIDTH}), "
            "category varchar(64), language varchar(16)"
        )
        seen_columns = f"base_id varchar({_ID_WIDTH})"
        suffix = " ON COMMIT DROP" if self.postgres else ""
        with connection.cursor() as cursor:
            for table, columns in ((_BATCH, batch_columns), (_SEEN, seen_columns)):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns}){suffix}")
            # Looked up by equality only: a hash index on PostgreSQL (smaller, one probe).
            method = " USING hash" if self.postgres else ""
            if not self.postgres:
                # SQLite caches 2 MB of the temporary tables by default: the seen ids'
                # index overflowed it at once (1 M battles: 10% faster with 64 MB).
                cursor.execute("PRAGMA temp.cache_size = -65536")
            cursor.execute(f"CREATE INDEX {_SEEN}_base_id ON {_SEEN}{method} (base_id)")
            self.created_tables = True
            if self.postgres:
                # Imports of one source take turns (SQLite's write lock does the same): the
                # second finds the rows of the first and skips them.
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK, self.source]
                )
                # The import is one transaction that can be run again: its commit need not
                # wait for the disk (a crash loses it whole, never half of it).
                cursor.execute("SET LOCAL synchronous_commit = off")
                # Without statistics on the temporary tables the planner overrates each
                # batch's statement and compiles it (JIT): 0.4 s a batch, more than the insert.
                cursor.execute("SET LOCAL jit = off")
                # The model references are checked as each batch is written, while the next
                # is read, instead of all of them at the commit.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def write(self, batch: _Batch) -> None:
        """Insert a batch's new rows, unless the import is already bound to be refused
        (then its rows are only read, for the report)."""
        self.report.rows += len(batch.rows)
        new_keys = batch.keys - self.known
        if new_keys and self.create_models:
            self.report.models_created += models_create(new_keys, self.modality)
            self.known.update(new_keys)
        elif new_keys:
            self._tally_unknown(batch.rows, new_keys)
        if self.unknown_first or self.parsed.errors:
            return
        with connection.cursor() as cursor:
            if self.before is None:  # read with the first rows written (not for a bad file)
                table = Vote._meta.db_table
                cursor.execute(
                    f"SELECT COALESCE(MAX(id), 0) FROM {table} WHERE source = %s", [self.source]
                )
                self.before = cursor.fetchone()[0]
            if self.postgres:
                cursor.execute(f"TRUNCATE {_BATCH}")
                sql = f"COPY {_BATCH} ({', '.join(_STAGED)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    copy.write(batch.payload)
            else:
                cursor.execute(f"DELETE FROM {_BATCH}")
                marks = ", ".join(["%s"] * len(_STAGED))
                cursor.executemany(f"INSERT INTO {_BATCH} VALUES ({marks})", batch.payload)
            sql, params = self._insert_sql()
            cursor.execute(sql, params)
            if self.numbered:
                cursor.execute(f"INSERT INTO {_SEEN} (base_id) SELECT base_id FROM {_BATCH}")

    @property
    def known(self) -> set[str]:
        """The model keys of the catalogue, read when the first rows arrive (a file refused
        before any row never touches the catalogue)."""
        if self._known is None:
            self._known = set(AIModel.objects.values_list("key", flat=True))
        return self._known

    def _tally_unknown(self, rows: list[VoteRow], new_keys: set[str]) -> None:
        for row in rows:
            for key in (row.model_a, row.model_b):
                if key in new_keys:
                    self.unknown_first.setdefault(key, row.row)
                    self.unknown_rows[key] += 1

    def unknown_errors(self) -> list[RowError]:
        if not self.unknown_first:
            return []
        tally = [
            pair
            for key, first in self.unknown_first.items()
            for pair in repeat((first, key), self.unknown_rows[key])
        ]
        return unknown_model_errors(
            tally, self.known, hint="add it with import_models, or pass --create-models"
        )

    def _insert_sql(self) -> tuple[str, list]:
        """The statement adding the batch's rows whose external id the source lacks, in
        file order. Content ids get the number of their occurrence in the file (``:1``,
        ``:2`` for exact duplicates), as :func:`pairwise.formats.numbered` would: earlier
        batches' occurrences (looked up one id at a time) plus those in this batch."""
        external_id = (
            "b.base_id || ':' || CAST((SELECT COUNT(*) FROM "
            f"{_SEEN} AS seen WHERE seen.base_id = b.base_id) + ROW_NUMBER() OVER "
            "(PARTITION BY b.base_id ORDER BY b.row_no) AS TEXT)"
            if self.numbered
            else "b.base_id"
        )
        given = {
            "source": "%s",
            "external_id": "s.external_id",
            "outcome": "s.outcome",
            "count": "s.n",
            "created_at": "s.created_at",
            "modality": "%s",
            "model_a_id": "model_a.id",
            "model_b_id": "model_b.id",
            "category": "s.category",
            "language": "s.language",
        }
        columns, values, params = [], [], []
        for vote_field in Vote._meta.concrete_fields:
            if vote_field.primary_key:
                continue
            columns.append(connection.ops.quote_name(vote_field.column))
            if vote_field.column in given:
                values.append(given[vote_field.column])
                if given[vote_field.column] == "%s":
                    params.append(self.source if vote_field.column == "source" else self.modality)
            elif vote_field.null:
                values.append("NULL")
            else:
                values.append("%s")
                params.append(vote_field.get_db_prep_save(vote_field.get_default(), connection))
        table, models = Vote._meta.db_table, AIModel._meta.db_table
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM "
            f"(SELECT b.row_no, {external_id} AS external_id, b.outcome, b.n, b.created_at, "
            f"b.model_a, b.model_b, b.category, b.language FROM {_BATCH} AS b) AS s "
            f"JOIN {models} AS model_a ON model_a.{_KEY} = s.model_a "
            f"JOIN {models} AS model_b ON model_b.{_KEY} = s.model_b "
            "WHERE true ORDER BY s.row_no"
        )
        if self.before:
            # An id the source holds is skipped as the unique index finds it: one lookup a
            # row, whatever the planner thinks of the table's size. The index's condition
            # is repeated word for word (SQLite matches a partial index only that way). A
            # source without rows needs no lookup: the numbered ids of a file are distinct,
            # and no other import of the source runs meanwhile.
            sql += " ON CONFLICT (source, external_id) WHERE NOT (external_id = '') DO NOTHING"
        return sql, params

    def count(self) -> None:
        """The rows and votes this import created (those of the source after ``before``)."""
        table, created, votes = Vote._meta.db_table, 0, 0
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's default again
            if self.before is not None:  # (None: no rows were written)
                # The source's rows after ``before`` are this import's: imports of it take
                # turns.
                cursor.execute(
                    f"SELECT COUNT(*), COALESCE(SUM({connection.ops.quote_name('count')}), 0) "
                    f"FROM {table} WHERE source = %s AND id > %s",
                    [self.source, self.before],
                )
                created, votes = cursor.fetchone()
        self.report.created, self.report.votes_created = int(created), int(votes)
        self.report.already_present = self.report.rows - self.report.created

    def drop(self) -> None:
        """A temporary table lives as long as the connection (PostgreSQL also drops it at
        commit); dropped here so a later import on the same connection starts afresh."""
        if self.created_tables and not connection.needs_rollback:
            with connection.cursor() as cursor:
                for table in (_BATCH, _SEEN):
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")


_ID_WIDTH = Vote._meta.get_field("external_id").max_length
_KEY = AIModel._meta.get_field("key").column
_KEY_WIDTH = AIModel._meta.get_field("key").max_length
