from __future__ import annotations

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.models import AIModel, Modality
from ranking.models import ModelRating, RatingSnapshot
from ranking.selectors import board_components, snapshot_board
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from ranking.stats import elo_factor, min_bootstrap_rounds


def _as_of(value: str) -> datetime:
    """YYYY-MM-DD (the end of that day, UTC) or a full ISO time."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()
            return datetime.combine(day, time.max, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of {value!r} is not YYYY-MM-DD or an ISO date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _anchor(value: str | None) -> tuple[str, float] | None:
    if value is None:
        return None
    key, _, score = value.rpartition("=")
    try:
        number = float(score)
    except ValueError:
        number = None
    if not key or number is None:
        raise CommandError(f"--anchor {value!r} must read MODEL=SCORE, e.g. gpt-4-0613=1163")
    if not AIModel.objects.filter(key=key).exists():
        raise CommandError(f"--anchor: no model with key {key!r}")
    return key, number


class Command(BaseCommand):
    help = "Make one rating snapshot now (synchronously) and print its leaderboard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--modality", required=True, choices=Modality.values)
        parser.add_argument("--category", default="")
        parser.add_argument("--language", default="")
        parser.add_argument("--as-of", dest="as_of", help="Count only votes before this time.")
        parser.add_argument(
            "--rounds",
            type=int,
            help=f"Bootstrap rounds, at least {min_bootstrap_rounds()} (0: analytic intervals).",
        )
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--anchor",
            help="MODEL=SCORE fixing the level, e.g. "
            "mixtral-8x7b-instruct-v0.1=1114 (default: the modality's setting).",
        )
        parser.add_argument("--ties", default="half", choices=["half", "drop", "davidson"])
        parser.add_argument(
            "--style-control",
            action="store_true",
            help="Control for answer length and Markdown, as Chatbot Arena does (text only; "
            "votes without served outputs are left out).",
        )

    def handle(self, *args: object, **options: object) -> None:
        rounds = options["rounds"]
        if rounds is not None and (rounds < 0 or 0 < rounds < min_bootstrap_rounds()):
            raise CommandError(
                f"--rounds must be 0 (analytic intervals) or at least {min_bootstrap_rounds()}, "
                f"got {rounds}"
            )
        spec_options = {
            "modality": options["modality"],
            "category": options["category"],
            "language": options["language"],
            "ties": options["ties"],
            "anchor": _anchor(options["anchor"]),
            "style_control": options["style_control"],
        }
        if options["as_of"]:
            spec_options["cutoff"] = _as_of(options["as_of"])
        if options["rounds"] is not None:
            spec_options["rounds"] = options["rounds"]
        if options["seed"] is not None:
            spec_options["seed"] = options["seed"]
        try:
            spec = SnapshotSpec(**spec_options)
        except ValueError as error:
            raise CommandError(str(error)) from None
        snapshot, needed = snapshot_request(spec=spec)
        if needed:
            self.stderr.write(f"Fitting {snapshot.n_votes} votes ...")
            snapshot = snapshot_compute(snapshot_id=snapshot.pk) or snapshot
        else:
            self.stderr.write("The same votes and parameters were already rated: showing that.")
        snapshot.refresh_from_db()
        if snapshot.status != RatingSnapshot.Status.DONE:
            raise CommandError(f"snapshot {snapshot.pk} is {snapshot.status}: {snapshot.error}")
        self._print(snapshot)

    def _print(self, snapshot: RatingSnapshot) -> None:
        style = ", style control" if snapshot.style_control else ""
        self.stdout.write(
            f"Snapshot {snapshot.pk}: {snapshot.modality} {snapshot.scope}{style}, votes before "
            f"{snapshot.cutoff:%Y-%m-%d %H:%M} UTC, {snapshot.n_votes} votes, "
            f"{snapshot.n_models} models, fingerprint {snapshot.fingerprint[:12]}"
        )
        for warning in snapshot.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        for name, coef in snapshot.style_coef.items():
            self.stdout.write(
                f"style coefficient {name}: {coef:+.3f} log-odds "
                f"({coef * elo_factor():+.1f} points) per unit of normalised difference"
            )
        components = board_components(snapshot_board(snapshot))
        for number, rows in components:
            if len(components) > 1:
                self.stdout.write(f"Component {number + 1} ({len(rows)} models)")
            self._table(rows)

    def _table(self, rows: list[ModelRating]) -> None:
        header = f"{'rank':>4} {'UB':>4}  {'model':<42} {'score':>7} {'95% CI':>15} {'votes':>8}"
        self.stdout.write(header)
        for row in rows:
            interval = f"+{row.plus:.1f}/-{row.minus:.1f}".replace("inf", "∞")
            self.stdout.write(
                f"{row.rank:>4} {row.rank_ub:>4}  {row.model.key[:42]:<42} {row.score:>7.1f} "
                f"{interval:>15} {row.votes:>8.0f}"
            )
