from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from arena.catalogue import parse_catalogue_csv
from arena.management.commands._reporting import read_input, refuse
from arena.services import catalogue_upsert


class Command(BaseCommand):
    help = (
        "Create or update labs and models from a catalogue CSV (key, display_name, "
        "organisation, country, release_date, licence[, open_weights, modalities, "
        "release_date_source, release_date_precision, first_listed]). open_weights is "
        "true/false/unknown; blank or absent, the licence decides (docs/frontier.md). "
        "All or nothing: any bad row is reported and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", help="the catalogue CSV (UTF-8)")

    def handle(self, *args: object, **options: object) -> None:
        parsed = parse_catalogue_csv(read_input(str(options["csv"])))
        if parsed.errors:
            refuse(self, parsed.errors, f"refused: {len(parsed.errors)} problems; nothing written")
        report = catalogue_upsert(rows=parsed.rows)
        self.stdout.write(self.style.SUCCESS(f"{len(parsed.rows)} rows; {report}"))
