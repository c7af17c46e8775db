from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from arena.management.commands._reporting import read_input, refuse
from arena.media import MediaError, MediaLimits, media_source_open
from arena.progress import ProgressBar
from arena.set_ingest import prompt_set_ingest


class Command(BaseCommand):
    help = (
        "Import a prompt/output set from a manifest (JSONL or CSV, see docs/uploads.md), with "
        "its media (.zip archive or folder) for image and video sets. Everything is checked "
        "first; any problem is reported by row and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("manifest", help="manifest file (.jsonl or .csv)")
        parser.add_argument("--media", help="a .zip archive or a folder holding the media")
        parser.add_argument(
            "--create-models",
            action="store_true",
            help="create unknown model keys (under a placeholder lab) instead of refusing",
        )

    def handle(self, *args: object, **options: object) -> None:
        manifest_path = str(options["manifest"])
        # The admin's limit: a set is checked whole, so its manifest is held in memory once.
        manifest = read_input(
            manifest_path,
            limit=settings.ARENA_MAX_MANIFEST_BYTES,
            setting="ARENA_MAX_MANIFEST_BYTES",
        )
        source = None
        if options["media"]:
            if not Path(str(options["media"])).exists():
                raise CommandError(f"cannot read {options['media']}: no such file or folder")
            source = media_source_open(str(options["media"]), MediaLimits.from_settings())
        try:
            report = prompt_set_ingest(
                manifest=manifest,
                manifest_name=Path(manifest_path).name,
                media=source,
                create_models=bool(options["create_models"]),
                progress=ProgressBar(self.stderr),
            )
        except MediaError as error:  # a file changed between the check and the write
            raise CommandError(f"refused: {error}; nothing was written") from error
        except IntegrityError as error:  # another import of the same set won the race
            raise CommandError(
                "refused: another import wrote to this set at the same time; nothing was "
                "written, run it again"
            ) from error
        except OSError as error:  # the storage failed (disk full, bucket unreachable)
            raise CommandError(
                f"could not store a media file ({error}); nothing was written"
            ) from error
        finally:
            if source is not None:
                source.close()
        if not report.ok:
            refuse(self, report.errors, report.summary())
        for leak in report.identity_leaks:
            self.stdout.write(self.style.WARNING(f"identity leak, never served blind: {leak}"))
        for stripped in report.metadata_stripped:
            self.stdout.write(self.style.WARNING(stripped))
        self.stdout.write(self.style.SUCCESS(report.summary()))
