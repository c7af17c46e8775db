from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from arena.imports import votes_import
from arena.management.commands._reporting import read_input, refuse
from arena.models import Modality
from arena.parsing import parse_clean_battle_json, parse_pair_counts_csv, parse_votes_csv
from arena.progress import ProgressBar


def _timestamp(value: str) -> datetime:
    from arena.parsing import parse_time

    moment = parse_time(value)
    if moment is None:
        raise CommandError(f"--timestamp {value!r} is not an ISO 8601 time or Unix seconds")
    return moment


class Command(BaseCommand):
    help = (
        "Import external votes: a Chatbot Arena clean_battle JSON log, a CSV of "
        "model_a,model_b,winner,timestamp[,category,language], or aggregated pair counts. "
        "All or nothing; re-importing the same file under the same source adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--format", required=True, choices=["clean_battle", "csv", "pair_counts"]
        )
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
            help="pair_counts: the time given to the votes (default: now)",
        )

    def handle(self, *args: object, **options: object) -> None:
        data = read_input(str(options["path"]))
        fmt = options["format"]
        if fmt == "clean_battle":
            parsed = parse_clean_battle_json(data, include_named=bool(options["include_named"]))
        elif fmt == "csv":
            parsed = parse_votes_csv(data)
        else:
            parsed = parse_pair_counts_csv(data)
        if parsed.errors:
            refuse(
                self, parsed.errors, f"refused: {len(parsed.errors)} problems; nothing was written"
            )
        try:
            report = votes_import(
                rows=parsed.rows,
                modality=str(options["modality"]),
                source=str(options["source"]),
                create_models=bool(options["create_models"]),
                timestamp=options["timestamp"],
                progress=ProgressBar(self.stderr),
            )
        except IntegrityError as error:  # the same source imported at the same time
            raise CommandError(
                "refused: another import of this source ran at the same time; nothing was "
                "written, run it again"
            ) from error
        report.skipped = parsed.skipped
        if not report.ok:
            refuse(self, report.errors, report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
