"""External votes in: a vote file (``pairwise.formats``) is read as a stream and written
under its source in one transaction, or nothing is; the external ids the source already
holds are skipped, so importing the same file again adds nothing.

Memory does not grow with the file: rows are read incrementally and copied in batches into
a temporary table (PostgreSQL ``COPY``, batched inserts on SQLite); one ``INSERT ...
SELECT`` then numbers duplicate content ids in file order and adds the rows the source
lacks. Any problem (a bad row, an unknown model) rolls the whole import back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice, repeat
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

#: Rows per COPY (or executemany) batch: big enough to amortise a round trip, small enough
#: that a batch is a few megabytes.
BATCH_ROWS = 20_000
#: A file with more problems than this stops being read; the report says so.
MAX_ERRORS = 1_000
_STAGING = "vote_import_rows"
_STAGED = (
    "row_no",
    "base_id",
    "outcome",
    "n",
    "created_at",
    "model_a_id",
    "model_b_id",
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
    writer = _Writer(report, modality, create_models, timestamp or timezone.now(), progress)
    try:
        with transaction.atomic():
            writer.stage(rows, lambda: _estimate(stream, size, report.rows))
            report.skipped = dict(parsed.skipped)
            # Unknown models are only worth naming in a file that is otherwise valid.
            report.errors = parsed.errors or writer.unknown_errors()
            if report.errors:
                raise _Refused
            progress("writing", 0, 1)
            writer.insert(source, numbered=format_name in NUMBERED_FORMATS)
            progress("writing", 1, 1)
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


def _as_is(value: datetime) -> datetime:
    return value


def _estimate(stream: BinaryIO, size: int, rows: int) -> int:
    """The total rows of the file, estimated from the bytes read so far."""
    try:
        position = stream.tell()
    except (OSError, ValueError):
        return 0
    return max(rows, rows * size // position) if size and position else 0


class _Writer:
    """Stages the rows of one import in a temporary table, then inserts what is new."""

    def __init__(
        self,
        report: VotesReport,
        modality: str,
        create_models: bool,
        when: datetime,
        progress: Progress,
    ) -> None:
        self.report = report
        self.progress = progress
        self.modality = modality
        self.create_models = create_models
        self.when = when
        self._models: dict[str, int] | None = None
        self.unknown_first: dict[str, int] = {}
        self.unknown_rows: Counter[str] = Counter()
        self.postgres = connection.vendor == "postgresql"
        self.created_table = False

    def stage(self, rows: Iterator[VoteRow], estimate: Callable[[], int]) -> None:
        """Copy the rows into the temporary table in batches (none once a model is unknown:
        the import will be refused), reporting rows read against ``estimate()``."""
        self._create_table()
        while batch := list(islice(rows, BATCH_ROWS)):
            self.report.rows += len(batch)
            staged = self._staged(batch)
            if not self.unknown_first:
                self._copy(staged)
            self.progress("reading", self.report.rows, estimate())
        self.progress("reading", self.report.rows, self.report.rows)

    def _staged(self, batch: list[VoteRow]) -> list[tuple]:
        new_keys = {key for row in batch for key in (row.model_a, row.model_b)} - set(self.models)
        if new_keys and self.create_models:
            self.report.models_created += models_create(new_keys, self.modality)
            self.models.update(AIModel.objects.filter(key__in=new_keys).values_list("key", "id"))
        elif new_keys:
            for row in batch:
                for key in (row.model_a, row.model_b):
                    if key in new_keys:
                        self.unknown_first.setdefault(key, row.row)
                        self.unknown_rows[key] += 1
            return []
        # psycopg sends datetimes as they are; SQLite stores Django's text form.
        adapt = connection.ops.adapt_datetimefield_value
        if self.postgres:
            adapt = _as_is
        return [
            (
                row.row,
                row.external_id,
                OUTCOME_NAMES[row.outcome],
                row.count,
                adapt(row.created_at or self.when),
                self.models[row.model_a],
                self.models[row.model_b],
                row.category,
                row.language,
            )
            for row in batch
        ]

    @property
    def models(self) -> dict[str, int]:
        """Model keys to ids, read when the first rows arrive (a file refused before any
        row never touches the catalogue)."""
        if self._models is None:
            self._models = dict(AIModel.objects.values_list("key", "id"))
        return self._models

    def unknown_errors(self) -> list[RowError]:
        if not self.unknown_first:
            return []
        tally = [
            pair
            for key, first in self.unknown_first.items()
            for pair in repeat((first, key), self.unknown_rows[key])
        ]
        known = set(self.models)
        return unknown_model_errors(
            tally, known, hint="add it with import_models, or pass --create-models"
        )

    def _create_table(self) -> None:
        columns = (
            "row_no bigint, base_id varchar(128), outcome varchar(8), n bigint, "
            "created_at {time}, model_a_id bigint, model_b_id bigint, category varchar(64), "
            "language varchar(16)"
        ).format(time="timestamptz" if self.postgres else "datetime")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
            suffix = " ON COMMIT DROP" if self.postgres else ""
            cursor.execute(f"CREATE TEMPORARY TABLE {_STAGING} ({columns}){suffix}")
        self.created_table = True

    def _copy(self, staged: list[tuple]) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                sql = f"COPY {_STAGING} ({', '.join(_STAGED)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for values in staged:
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * len(_STAGED))
                cursor.executemany(f"INSERT INTO {_STAGING} VALUES ({marks})", staged)

    def insert(self, source: str, *, numbered: bool) -> None:
        """Add the staged rows whose external id the source lacks, in file order. Content ids
        get the number of their occurrence in the file (``:1``, ``:2`` for exact duplicates),
        as :func:`pairwise.formats.numbered` would."""
        external_id = (
            "s.base_id || ':' || CAST(ROW_NUMBER() OVER "
            "(PARTITION BY s.base_id ORDER BY s.row_no) AS TEXT)"
            if numbered
            else "s.base_id"
        )
        given = {
            "source": "%s",
            "external_id": "s.external_id",
            "outcome": "s.outcome",
            "count": "s.n",
            "created_at": "s.created_at",
            "modality": "%s",
            "model_a_id": "s.model_a_id",
            "model_b_id": "s.model_b_id",
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
                    params.append(source if vote_field.column == "source" else self.modality)
            elif vote_field.null:
                values.append("NULL")
            else:
                values.append("%s")
                params.append(vote_field.get_db_prep_save(vote_field.get_default(), connection))
        table = Vote._meta.db_table
        sql = (
            f"WITH s AS (SELECT row_no, {external_id} AS external_id, outcome, n, created_at, "
            f"model_a_id, model_b_id, category, language FROM {_STAGING} AS s) "
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS v WHERE v.source = %s AND "
            # The unique index's own condition, word for word: SQLite uses a partial
            # index only for a query that repeats it.
            "v.external_id = s.external_id AND NOT (v.external_id = '')) ORDER BY s.row_no"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(MAX(id), 0) FROM " + table + " WHERE source = %s", [source]
            )
            before = cursor.fetchone()[0]
            if self.postgres:
                # The numbering sorts every staged row: in memory rather than on disk.
                cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(sql, [*params, source])
            # (SQLite reports no row count for a statement that starts with WITH.)
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM({connection.ops.quote_name('count')}), 0) "
                f"FROM {table} WHERE source = %s AND id > %s",
                [source, before],
            )
            created, votes = cursor.fetchone()
        self.report.created, self.report.votes_created = int(created), int(votes)
        self.report.already_present = self.report.rows - self.report.created

    def drop(self) -> None:
        """A temporary table lives as long as the connection (PostgreSQL also drops it at
        commit); dropped here so a later import on the same connection starts afresh."""
        if self.created_table and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
