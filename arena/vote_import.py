"""External votes in: a vote file (``pairwise.formats``) is read as a stream and written
under its source in one transaction, or nothing is; the external ids the source already
holds are skipped, so importing the same file again adds nothing.

Memory does not grow with the file, and reading overlaps writing: a thread parses the file
a batch at a time while the database writes the previous batch (each on its own core). The
thread also does what needs no database: it numbers duplicate content ids in file order
(``pairwise.occurrences``, 16 bytes an id), puts the model ids in place of the keys and
encodes the batch as the vote table's rows. A source without rows (a first import) gets
each batch straight into the vote table (PostgreSQL ``COPY``, batched inserts on SQLite);
a source with rows gets it through a temporary table on PostgreSQL (``COPY``, then an
``INSERT ... ON CONFLICT DO NOTHING``), with that clause on SQLite. Any problem (a bad row,
an unknown model) rolls the whole import back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import repeat
from typing import BinaryIO

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from arena.models import AIModel, Modality, Vote
from arena.progress import Progress, no_progress
from arena.signals import data_imported
from arena.unknown_models import models_create, unknown_model_errors
from arena.vote_batches import Batch, Encoder, prepare, read_ahead
from pairwise.formats import NUMBERED_FORMATS, VoteRow, read_votes
from pairwise.occurrences import Occurrences
from pairwise.rows import Parsed, RowError

#: Rows per batch (one COPY or executemany): big enough to amortise a statement, small
#: enough that a batch is a few megabytes.
BATCH_ROWS = 20_000
#: A file with more problems than this stops being read; the report says so.
MAX_ERRORS = 1_000
#: The temporary table of a batch for a source that already has rows (PostgreSQL).
_STAGING = "vote_import_batch"
#: The first key of the advisory locks that make imports of one source take turns.
_LOCK = 15_001
#: The partial unique index of (source, external_id), its condition written as Django
#: writes it: SQLite matches a partial index in ON CONFLICT only word for word.
_SKIP_HELD = " ON CONFLICT (source, external_id) WHERE NOT (external_id = '') DO NOTHING"


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
    encoder = Encoder(source=source, modality=modality, when=timestamp or timezone.now())
    occurrences = Occurrences() if format_name in NUMBERED_FORMATS else None
    prepare_batch = partial(prepare, encoder=encoder, occurrences=occurrences)
    writer = _Writer(
        report, parsed, encoder, source=source, modality=modality, create_models=create_models
    )
    try:
        with transaction.atomic():
            writer.start()
            batches = read_ahead(rows, prepare_batch, stream, size, batch_rows=BATCH_ROWS)
            for batch in batches:
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


class _Writer:
    """Writes the batches of one import into the vote table: straight in while the source
    has no rows, skipping the ids it holds otherwise."""

    def __init__(
        self,
        report: VotesReport,
        parsed: Parsed[VoteRow],
        encoder: Encoder,
        *,
        source: str,
        modality: str,
        create_models: bool,
    ) -> None:
        self.report = report
        self.parsed = parsed
        self.encoder = encoder
        self.source = source
        self.modality = modality
        self.create_models = create_models
        self.catalogue_read = False
        self.unknown_first: dict[str, int] = {}
        self.unknown_rows: Counter[str] = Counter()
        self.postgres = encoder.postgres
        self.staging = False  # the temporary table exists (PostgreSQL)
        self.before: int | None = None  # the source's last id before this import
        self.written_rows = 0  # rows and votes written straight in (a source without rows)
        self.written_votes = 0

    def start(self) -> None:
        """Take the source's turn and set the transaction up (PostgreSQL)."""
        if not self.postgres:
            return  # SQLite's write lock makes imports take turns
        with connection.cursor() as cursor:
            # Imports of one source take turns: the second finds the rows of the first and
            # skips them.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK, self.source])
            # The import is one transaction that can be run again: its commit need not
            # wait for the disk (a crash loses it whole, never half of it).
            cursor.execute("SET LOCAL synchronous_commit = off")
            # Without statistics on the temporary table the planner overrates each batch's
            # insert and compiles it (JIT): 0.4 s a batch, more than the insert.
            cursor.execute("SET LOCAL jit = off")
            # The model references are checked as each batch is written, while the next
            # is read, instead of all of them at the commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def write(self, batch: Batch) -> None:
        """Insert a batch's new rows, unless the import is already bound to be refused
        (then its rows are only read, for the report)."""
        self.report.rows += len(batch.rows)
        self._learn_models(batch)
        if self.unknown_first or self.parsed.errors:
            return
        payload = batch.payload
        if payload is None:  # a model had no id when the batch was read
            payload = self.encoder.encode(batch.rows, batch.external_ids, batch.keys)
        with connection.cursor() as cursor:
            if self.before is None:  # read with the first rows written (not for a bad file)
                cursor.execute(
                    f"SELECT COALESCE(MAX(id), 0) FROM {_VOTES} WHERE source = %s", [self.source]
                )
                self.before = cursor.fetchone()[0]
            if self.before:
                self._insert_new(cursor, payload)
                return
            # A source without rows needs no lookup: the numbered ids of a file are
            # distinct, and no other import of the source runs meanwhile.
            if self.postgres:
                with cursor.cursor.copy(
                    f"COPY {_VOTES} ({self.encoder.columns}) FROM STDIN"
                ) as copy:
                    copy.write(payload)
            else:
                cursor.executemany(self._insert_sql(), payload)
            self.written_rows += len(batch.rows)
            self.written_votes += sum(row.count for row in batch.rows)

    def _insert_new(self, cursor: CursorWrapper, payload: str | list[tuple]) -> None:
        """Insert the rows whose external id the source lacks, in file order: an id the
        source holds is skipped as the unique index finds it (one lookup a row)."""
        if not self.postgres:
            cursor.executemany(self._insert_sql() + _SKIP_HELD, payload)
            return
        columns = self.encoder.columns
        if not self.staging:
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {_STAGING} ON COMMIT DROP AS SELECT {columns} "
                f"FROM {_VOTES} WITH NO DATA"
            )
            # Numbers the rows as COPY adds them: the insert keeps the file's order.
            cursor.execute(
                f"ALTER TABLE {_STAGING} ADD COLUMN row_no bigint GENERATED ALWAYS AS IDENTITY"
            )
            self.staging = True
        cursor.execute(f"TRUNCATE {_STAGING}")
        with cursor.cursor.copy(f"COPY {_STAGING} ({columns}) FROM STDIN") as copy:
            copy.write(payload)
        cursor.execute(
            f"INSERT INTO {_VOTES} ({columns}) SELECT {columns} FROM {_STAGING} "
            f"WHERE true ORDER BY row_no{_SKIP_HELD}"
        )

    def _insert_sql(self) -> str:
        marks = ", ".join(["%s"] * self.encoder.width)
        return f"INSERT INTO {_VOTES} ({self.encoder.columns}) VALUES ({marks})"

    def _learn_models(self, batch: Batch) -> None:
        """Create the batch's unknown models (``create_models``) or count their rows."""
        new_keys = batch.keys - self.known
        if new_keys and self.create_models:
            self.report.models_created += models_create(new_keys, self.modality)
            created = AIModel.objects.filter(key__in=new_keys).values_list("key", "id")
            self.encoder.model_ids = {**self.encoder.model_ids, **dict(created)}
        elif new_keys:
            self._tally_unknown(batch.rows, new_keys)

    @property
    def known(self) -> set[str]:
        """The model keys of the catalogue (and those created), read when the first rows
        arrive (a file refused before any row never touches the catalogue)."""
        if not self.catalogue_read:
            self.encoder.model_ids = dict(AIModel.objects.values_list("key", "id"))
            self.catalogue_read = True
        return set(self.encoder.model_ids)

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

    def count(self) -> None:
        """The rows and votes this import created: those written straight in, or those
        of the source after ``before``."""
        created, votes = self.written_rows, self.written_votes
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's default again
            if self.before:
                # The source's rows after ``before`` are this import's: imports of it take
                # turns.
                cursor.execute(
                    f"SELECT COUNT(*), COALESCE(SUM({connection.ops.quote_name('count')}), 0) "
                    f"FROM {_VOTES} WHERE source = %s AND id > %s",
                    [self.source, self.before],
                )
                created, votes = cursor.fetchone()
        self.report.created, self.report.votes_created = int(created), int(votes)
        self.report.already_present = self.report.rows - self.report.created

    def drop(self) -> None:
        """A temporary table lives as long as the connection (PostgreSQL also drops it at
        commit); dropped here so a later import on the same connection starts afresh."""
        if self.staging and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")


_VOTES = Vote._meta.db_table
