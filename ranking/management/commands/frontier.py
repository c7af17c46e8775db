from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.models import Modality
from ranking.exports import to_csv
from ranking.figures import FORMATS, FRONTIER_CHARTS, frontier_figure
from ranking.frontier import MODES, frontier_comparisons
from ranking.frontier_groups import COMPARISONS, SPEC_HELP, Comparison, GroupError, parse_pair
from ranking.frontier_rows import (
    COLUMNS,
    FrontierReport,
    MonthSource,
    collapse_gaps,
    frontier_json,
    is_gap,
)
from ranking.stats.frontier import Group, MonthRatings, monthly_frontier
from ranking.stats.history import HistoryError, has_openness, read_rating_history
from ranking.stats.sentences import ROUNDINGS


class Command(BaseCommand):
    help = (
        "The monthly frontier between two groups of models (default US vs CN): each one's "
        "best model, the gap and the lag in months. A group is a country (US), countries "
        "(US,GB), a licence class (open, proprietary) or both (CN:open). From the snapshots "
        "(--modality) or from a published rating history (--from-csv FILE, "
        "month,model,country,score[,ci_low,ci_high][,votes][,licence][,open_weights]) "
        "without touching the database. --format markdown: the latest month of every named "
        "comparison (or of --a/--b) in paragraphs. --plot FILE.svg|png: the chart. See "
        "docs/frontier.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--modality", choices=Modality.values)
        source.add_argument("--from-csv", metavar="FILE", help="A published rating history.")
        parser.add_argument("--mode", choices=MODES, default="asof")
        parser.add_argument("--category", default="")
        parser.add_argument("--language", default="")
        parser.add_argument("--a", help=f"Leading group (default US): {SPEC_HELP}.")
        parser.add_argument("--b", help=f"Following group (default CN): {SPEC_HELP}.")
        parser.add_argument(
            "--format", choices=["table", "csv", "json", "markdown"], default="table"
        )
        parser.add_argument(
            "--plot",
            metavar="FILE",
            help="Also draw the chart into FILE (.svg or .png), as the page's download does.",
        )
        parser.add_argument(
            "--chart",
            choices=FRONTIER_CHARTS,
            default="tops",
            help="Which chart --plot draws: the best scores with bands (tops) or the lag.",
        )
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
        comparisons = self._comparisons(options)
        min_votes = options["min_votes"]
        if min_votes is None:
            min_votes = settings.RANKING_FRONTIER_MIN_VOTES
        elif min_votes < 0:
            raise CommandError("--min-votes must be 0 or more")
        plot = self._plot_path(options["plot"])
        if options["from_csv"]:
            comparisons, reports = self._from_csv(
                Path(options["from_csv"]), comparisons, min_votes=min_votes
            )
            reports = [replace(report, rounding=options["round"]) for report in reports]
        else:
            reports = frontier_comparisons(
                modality=options["modality"],
                mode=options["mode"],
                category=options["category"],
                language=options["language"],
                pairs=[(c.a, c.b) for c in comparisons],
                min_votes=min_votes,
                rounding=options["round"],
            )
        # A published history is someone else's data, under its own terms.
        licence = (
            f"Data: {Path(options['from_csv']).name}, a published rating history, under its "
            "own licence"
            if options["from_csv"]
            else settings.ARENA_DATA_LICENCE
        )
        if options["format"] == "markdown":
            items = list(zip(comparisons, reports, strict=True))
            self.stdout.write(_markdown(items, licence=licence))
        else:
            self._write(reports[0], options["format"])
        if plot:
            figure = frontier_figure(reports[0], options["chart"], plot.suffix[1:], licence=licence)
            plot.write_bytes(figure)
            self.stderr.write(f"wrote {plot}")

    def _comparisons(self, options: dict) -> list[Comparison]:
        """The comparisons to show: --a/--b (default US and CN), or, for --format markdown
        without them, every named one."""
        if options["format"] == "markdown" and not (options["a"] or options["b"]):
            if options["plot"]:
                raise CommandError("--plot draws one comparison: give --a and --b")
            return list(COMPARISONS)
        a, b = options["a"] or "US", options["b"] or "CN"
        try:
            groups = parse_pair(a, b)
        except GroupError as error:
            raise CommandError(f"--{error.side}: {error}") from None
        return [Comparison(slug="", title="", a=groups[0].code, b=groups[1].code)]

    def _plot_path(self, plot: str | None) -> Path | None:
        if not plot:
            return None
        path = Path(plot)
        if path.suffix.lower()[1:] not in FORMATS:
            raise CommandError(f"--plot {plot}: the file name must end in .svg or .png")
        if not path.parent.is_dir():
            raise CommandError(f"--plot {plot}: no directory {path.parent}")
        return path.with_suffix(path.suffix.lower())

    def _from_csv(
        self, path: Path, comparisons: list[Comparison], *, min_votes: float
    ) -> tuple[list[Comparison], list[FrontierReport]]:
        """The reports of a published history. Licence groups need a licence or
        open_weights column: without one, the summary keeps the country comparisons and an
        explicit licence group is refused."""
        months, with_openness = self._read_history(path)
        if not with_openness:
            by_country = [c for c in comparisons if not _needs_openness(c)]
            if not by_country:
                raise CommandError(
                    f"{path}: a licence group needs a licence or open_weights column, and the "
                    "history has neither"
                )
            comparisons = by_country
        reports = [
            _history_report(months, *parse_pair(c.a, c.b), min_votes=min_votes) for c in comparisons
        ]
        return comparisons, reports

    def _read_history(self, path: Path) -> tuple[list[MonthRatings], bool]:
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                header = handle.readline().split(",")
                handle.seek(0)
                return read_rating_history(handle), has_openness(header)
        except OSError as error:
            raise CommandError(f"{path}: cannot open ({error.strerror})") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text") from None
        except HistoryError as error:
            shown = error.errors[:20]
            more = len(error.errors) - len(shown)
            lines = [f"{path}: {e}" for e in shown] + ([f"... and {more} more"] if more else [])
            raise CommandError("\n".join(lines)) from None

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
            f"{'month':<8} {report.a.code + ' best':<28} {'score':>6} "
            f"{report.b.code + ' best':<28} "
            f"{'score':>6} {'gap':>6} {'95% CI':>18} {'lag (95% CI)':>13}  leader"
        )
        for row in collapse_gaps(rows):
            self.stdout.write(_table_line(row))
            for side in ("a", "b"):
                if row[f"{side}_provisional_model"]:
                    self.stdout.write(_provisional_line(row, side, report.frontier.min_votes))
        self.stdout.write(report.summary)
        for side, label in (("a", report.a_label), ("b", report.b_label)):
            left_out = report.unknown_weights[side]
            if left_out:
                self.stdout.write(
                    f"{len(left_out)} model(s) of unknown openness left out of {label}: "
                    f"{', '.join(left_out)}"
                )


def _needs_openness(comparison: Comparison) -> bool:
    return any(group.weights for group in parse_pair(comparison.a, comparison.b))


def _history_report(
    months: list[MonthRatings], a: Group, b: Group, *, min_votes: float
) -> FrontierReport:
    return FrontierReport(
        modality="",
        mode="published",
        category="",
        language="",
        a=a,
        b=b,
        frontier=monthly_frontier(months, a=a, b=b, min_votes=min_votes),
        sources=[MonthSource(scale="as published")] * len(months),
    )


def _markdown(items: list[tuple[Comparison, FrontierReport]], *, licence: str) -> str:
    """The latest month of each comparison as Markdown: a heading and a paragraph each."""
    first = items[0][1]
    scope = first.modality or "published"
    mode = {
        "asof": "as of each month's end",
        "current": "current ratings, each model from its release month",
    }.get(first.mode, "from a published rating history")
    lines = [f"# The {scope} frontier in brief ({mode})", ""]
    for comparison, report in items:
        lines += [f"## {comparison.title or f'{report.a_label} vs {report.b_label}'}", ""]
        lines += [report.paragraph or report.hint or "No months with data.", ""]
    intervals = "published" if first.mode == "published" else "bootstrap"
    lines.append(
        f"_Intervals are 95% {intervals} intervals; a gap whose interval contains 0 is a "
        "statistical tie, and then no lag is claimed. Models whose openness is unknown are in "
        f"no licence group. {licence}._"
    )
    return "\n".join(lines)


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
