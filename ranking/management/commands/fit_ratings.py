from __future__ import annotations

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.models import AIModel, Modality
from ranking.models import RatingSnapshot
from ranking.selectors import snapshot_board
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request


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
        parser.add_argument("--rounds", type=int, help="Bootstrap rounds (0: analytic intervals).")
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--anchor",
            help="MODEL=SCORE fixing the level, e.g. "
            "mixtral-8x7b-instruct-v0.1=1114 (default: the modality's setting).",
        )
        parser.add_argument("--ties", default="half", choices=["half", "drop", "davidson"])

    def handle(self, *args: object, **options: object) -> None:
        if options["rounds"] is not None and options["rounds"] < 0:
            raise CommandError("--rounds must be 0 or more")
        spec_options = {
            "modality": options["modality"],
            "category": options["category"],
            "language": options["language"],
            "ties": options["ties"],
            "anchor": _anchor(options["anchor"]),
        }
        if options["as_of"]:
            spec_options["cutoff"] = _as_of(options["as_of"])
        if options["rounds"] is not None:
            spec_options["rounds"] = options["rounds"]
        if options["seed"] is not None:
            spec_options["seed"] = options["seed"]
        snapshot, needed = snapshot_request(spec=SnapshotSpec(**spec_options))
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
        self.stdout.write(
            f"Snapshot {snapshot.pk}: {snapshot.modality} {snapshot.scope}, votes before "
            f"{snapshot.cutoff:%Y-%m-%d %H:%M} UTC, {snapshot.n_votes} votes, "
            f"{snapshot.n_models} models, fingerprint {snapshot.fingerprint[:12]}"
        )
        for warning in snapshot.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        header = f"{'rank':>4} {'UB':>4}  {'model':<42} {'score':>7} {'95% CI':>15} {'votes':>8}"
        self.stdout.write(header)
        for row in snapshot_board(snapshot):
            self.stdout.write(
                f"{row.rank:>4} {row.rank_ub:>4}  {row.model.key[:42]:<42} {row.score:>7.1f} "
                f"{'+' + format(row.plus, '.1f') + '/-' + format(row.minus, '.1f'):>15} "
                f"{row.votes:>8.0f}"
            )
