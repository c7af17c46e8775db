from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.countries import COUNTRIES
from arena.models import Modality
from ranking.exports import to_csv
from ranking.frontier import MODES, frontier_monthly
from ranking.frontier_rows import (
    COLUMNS,
    FrontierReport,
    MonthSource,
    collapse_gaps,
    frontier_json,
    is_gap,
)
from ranking.stats.frontier import monthly_frontier
from ranking.stats.history import HistoryError, read_rating_history
from ranking.stats.sentences import ROUNDINGS


class Command(BaseCommand):
    help = (
        "The monthly frontier between two countries (default US vs CN): each one's best model, "
        "the gap and the lag in months. From the snapshots (--modality) or from a published "
        "rating history (--from-csv FILE, month,model,country,score[,ci_low,ci_high][,votes]) "
        "without touching the database. See docs/frontier.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--modality", choices=Modality.values)
        source.add_argument("--from-csv", metavar="FILE", help="A published rating history.")
        parser.add_argument("--mode", choices=MODES, default="asof")
        parser.add_argument("--category", default="")
        parser.add_argument("--language", default="")
        parser.add_argument("--a", default="US", help="Leading country (ISO alpha-2).")
        parser.add_argument("--b", default="CN", help="Following country (ISO alpha-2).")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument(
            "--round",
            choices=ROUNDINGS,
            default="nearest",
            help="Scores, bounds and gaps to 0.1 point (nearest), or down to a whole point "
            "(floor) as published leaderboards truncate them.",
        )
        parser.add_argument(
            "--min-votes",
            type=float,
            help="Votes a model needs to be a country's best (default: the "
            "RANKING_FRONTIER_MIN_VOTES setting).",
        )

    def handle(self, *args: object, **options: object) -> None:
        a, b = (str(options[k]).upper() for k in ("a", "b"))
        for code in (a, b):
            if code not in COUNTRIES:
                raise CommandError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
        if a == b:
            raise CommandError("--a and --b must be two different countries")
        min_votes = options["min_votes"]
        if min_votes is None:
            min_votes = settings.RANKING_FRONTIER_MIN_VOTES
        elif min_votes < 0:
            raise CommandError("--min-votes must be 0 or more")
        if options["from_csv"]:
            report = self._from_csv(Path(options["from_csv"]), a=a, b=b, min_votes=min_votes)
            report = replace(report, rounding=options["round"])
        else:
            report = frontier_monthly(
                modality=options["modality"],
                mode=options["mode"],
                category=options["category"],
                language=options["language"],
                a=a,
                b=b,
                min_votes=min_votes,
                rounding=options["round"],
            )
        self._write(report, options["format"])

    def _from_csv(self, path: Path, *, a: str, b: str, min_votes: float) -> FrontierReport:
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                months = read_rating_history(handle)
        except OSError as error:
            raise CommandError(f"{path}: cannot open ({error.strerror})") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text") from None
        except HistoryError as error:
            shown = error.errors[:20]
            more = len(error.errors) - len(shown)
            lines = [f"{path}: {e}" for e in shown] + ([f"... and {more} more"] if more else [])
            raise CommandError("\n".join(lines)) from None
        frontier = monthly_frontier(months, a=a, b=b, min_votes=min_votes)
        return FrontierReport(
            modality="",
            mode="published",
            category="",
            language="",
            a=a,
            b=b,
            frontier=frontier,
            sources=[MonthSource(scale="as published")] * len(months),
        )

    def _write(self, report: FrontierReport, fmt: str) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps(frontier_json(report), indent=2))
            return
        if fmt == "csv":
            self.stdout.write(to_csv(COLUMNS, report.rows()), ending="")
            return
        if report.hint:
            self.stderr.write(report.hint)
        for note in report.notes:
            self.stderr.write(note)
        rows = report.rows()
        if not rows:
            return
        self.stdout.write(
            f"{'month':<8} {report.a + ' best':<28} {'score':>6} {report.b + ' best':<28} "
            f"{'score':>6} {'gap':>6} {'95% CI':>18} {'lag (95% CI)':>13}  leader"
        )
        for row in collapse_gaps(rows):
            self.stdout.write(_table_line(row))
            for side in ("a", "b"):
                if row[f"{side}_provisional_model"]:
                    self.stdout.write(_provisional_line(row, side, report.frontier.min_votes))
        self.stdout.write(report.summary)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{round(value):d}"


def _provisional_line(row: dict, side: str, min_votes: float) -> str:
    name, score = row[f"{side}_provisional_name"], _num(row[f"{side}_provisional_score"])
    return (
        f"{'':<8}   provisional, above {row[f'{side}_country']}'s best: {name} {score} "
        f"(fewer than {min_votes:g} votes)"
    )


def _table_line(row: dict) -> str:
    ci = (
        f"{row['gap_ci_low']:.0f}..{row['gap_ci_high']:.0f}"
        if row["gap_ci_low"] is not None
        else "—"
    )
    if row["tied"]:
        ci += " tied"
    lag = "—" if row["lag_months"] is None else f"{row['lag_months']}"
    if row["lag_censored"]:
        lag = "≥" + lag
    if row["lag_ci_low"] is not None:
        high = ("≥" if row["lag_ci_high_censored"] else "") + str(row["lag_ci_high"])
        lag += f" ({row['lag_ci_low']}-{high})"
    if is_gap(row):
        return f"{row['month']:<8} ({row['gap_reason']})"
    return (
        f"{row['month']:<8} {(row['a_name'] or '—')[:28]:<28} {_num(row['a_score']):>6} "
        f"{(row['b_name'] or '—')[:28]:<28} {_num(row['b_score']):>6} {_num(row['gap']):>6} "
        f"{ci:>18} {lag:>13}  {row['leader'] or '—'}"
    )
