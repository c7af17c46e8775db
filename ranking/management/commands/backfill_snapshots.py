from __future__ import annotations

import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from arena.models import Modality
from ranking.models import RatingSnapshot
from ranking.scheduling import big_scopes, snapshot_backfill_monthly


class Command(BaseCommand):
    help = (
        "Create month-end 'as-of' snapshots (only votes cast before each month ended) for "
        "every month with votes, computed by Celery workers in parallel. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--modality", required=True, choices=Modality.values)
        parser.add_argument(
            "--monthly",
            action="store_true",
            required=True,
            help="Month-end snapshots (the only period offered).",
        )
        parser.add_argument("--category", default="", help="Only this category's votes.")
        parser.add_argument("--language", default="", help="Only this language's votes.")
        parser.add_argument(
            "--all-scopes",
            action="store_true",
            help="The whole modality and every category and language with enough votes "
            "(RANKING_MIN_SCOPE_VOTES), as the scheduled refresh picks them.",
        )
        parser.add_argument("--since", help="YYYY-MM: first month to snapshot.")
        parser.add_argument(
            "--style-control",
            action="store_true",
            help="Style-controlled snapshots (length and Markdown held equal; text only).",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Stay until the workers have computed them, with a progress bar.",
        )

    def handle(self, *args: object, **options: object) -> None:
        since = None
        if options["since"]:
            try:
                since = datetime.strptime(options["since"], "%Y-%m").replace(tzinfo=UTC)
            except ValueError:
                raise CommandError(f"--since {options['since']!r} is not YYYY-MM") from None
        modality = options["modality"]
        scopes = [(options["category"], options["language"])]
        if options["all_scopes"]:
            if options["category"] or options["language"]:
                raise CommandError("--all-scopes already includes every category and language")
            scopes = [("", ""), *big_scopes(modality, timezone.now())]
        try:
            requested = [
                pair
                for category, language in scopes
                for pair in snapshot_backfill_monthly(
                    modality=modality,
                    category=category,
                    language=language,
                    since=since,
                    style_control=options["style_control"],
                )
            ]
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not requested:
            self.stdout.write(f"No counted {options['modality']} votes: nothing to backfill.")
            return
        for snapshot, queued in requested:
            self.stdout.write(
                f"  {snapshot.scope:<20} {snapshot.cutoff:%Y-%m-%d}  {snapshot.n_votes:>9} votes  "
                f"{'queued' if queued else snapshot.status}"
            )
        queued = sum(1 for _, needed in requested if needed)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(requested)} month-end snapshots: {queued} queued for the workers, "
                f"{len(requested) - queued} already there."
            )
        )
        if options["wait"]:
            self._wait([snapshot.pk for snapshot, _ in requested])

    def _wait(self, ids: list[int]) -> None:
        finished = (RatingSnapshot.Status.DONE, RatingSnapshot.Status.FAILED)
        while True:
            done = RatingSnapshot.objects.filter(pk__in=ids, status__in=finished).count()
            filled = round(30 * done / len(ids))
            self.stderr.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{len(ids)} computed", ending=""
            )
            if done == len(ids):
                self.stderr.write("")
                break
            time.sleep(1)
        failed = RatingSnapshot.objects.filter(pk__in=ids, status=RatingSnapshot.Status.FAILED)
        if failed.exists():
            raise CommandError(f"{failed.count()} snapshots failed; see the admin for the errors")
