from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from arena.demo import demo_seed
from arena.signals import data_imported
from arena.site_data import demo_flag_forget


class Command(BaseCommand):
    help = (
        "Load demo data: the model catalogue, a text prompt set with canned answers and "
        "simulated historical votes (all labelled as demo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds votes or prompt sets.",
        )
        parser.add_argument("--votes-per-month", type=int, default=1500)
        parser.add_argument("--seed", type=int, default=2024)

    def handle(self, *args: object, **options: object) -> None:
        if options["votes_per_month"] < 0:
            self.stderr.write("--votes-per-month must be 0 or more")
            raise SystemExit(2)
        report = demo_seed(
            votes_per_month=options["votes_per_month"],
            seed=options["seed"],
            if_empty=options["if_empty"],
        )
        if not report.skipped:
            demo_flag_forget()  # the banner appears at once, not within the flag's minute
            data_imported.send(sender=self.__class__, what="demo")
        self.stdout.write(self.style.SUCCESS(str(report)))
