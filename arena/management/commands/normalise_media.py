"""Re-encode media stored before normalisation into served form (arena/media_normalising.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from arena.media_normalising import stored_media_normalise


class Command(BaseCommand):
    help = (
        "Normalise media stored before imports normalised them (one container per modality, "
        "no metadata); files already in served form are left alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the files that need it."
        )

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        report = stored_media_normalise(dry_run=dry_run)
        for line in report.failed or []:
            self.stderr.write(line)
        if report.failed:
            raise CommandError(str(report))
        self.stdout.write(self.style.SUCCESS(str(report)))
