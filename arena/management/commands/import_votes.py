from __future__ import annotations

import os
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from arena.management.commands._reporting import refuse
from arena.models import Modality
from arena.progress import ProgressBar
from arena.vote_import import votes_import
from pairwise.formats import FORMATS, Skip, parse_time


def _timestamp(value: str) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise CommandError(f"--timestamp {value!r} is not an ISO 8601 time or Unix seconds")
    return moment


class Command(BaseCommand):
    help = (
        "Import external votes: a Chatbot Arena clean_battle JSON log, a CSV of "
        "model_a,model_b,winner[,timestamp,category,language], or aggregated pair counts "
        "(docs/uploads.md). All or nothing; re-importing the same file under the same "
        "source adds nothing. The file is read as a stream: any size, in bounded memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--format", required=True, choices=list(FORMATS))
        parser.add_argument("--modality", required=True, choices=Modality.values)
        parser.add_argument(
            "--source", required=True, help="a label for this log, e.g. lmsys-2024-08-14"
        )
        parser.add_argument(
            "--create-models",
            action="store_true",
            help="create unknown model keys instead of refusing the file",
        )
        parser.add_argument(
            "--include-named",
            action="store_true",
            help="clean_battle: also import non-anonymous battles",
        )
        parser.add_argument(
            "--timestamp",
            type=_timestamp,
            default=None,
            help="the time of rows that have none (pair counts, and clean_battle or csv rows "
            "without one); default: now",
        )

    def handle(self, *args: object, **options: object) -> None:
        path = str(options["path"])
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed below, read as it is written
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from error
        try:
            report = votes_import(
                stream=stream,
                format_name=str(options["format"]),
                include_named=bool(options["include_named"]),
                modality=str(options["modality"]),
                source=str(options["source"]),
                create_models=bool(options["create_models"]),
                timestamp=options["timestamp"],
                size=os.fstat(stream.fileno()).st_size,
                progress=ProgressBar(self.stderr),
            )
        except IntegrityError as error:  # the same source imported at the same time
            raise CommandError(
                "refused: another import of this source ran at the same time; nothing was "
                "written, run it again"
            ) from error
        finally:
            stream.close()
        if not report.ok:
            refuse(self, report.errors, report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
        if Skip.NAMED in report.skipped:
            self.stdout.write("named battles were left out; --include-named imports them")
