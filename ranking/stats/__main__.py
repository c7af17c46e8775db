"""Command line: ``python -m ranking.stats FILE [options]`` prints a leaderboard.

Exit status 2 with a one-line message on stderr for input it cannot read or rate (no
traceback). Warnings name models by their labels. Models without votes in the fit are left
out of the board (a warning names them); an interval side the votes do not bound is ``inf``
or ``-inf`` in CSV and ``null`` in JSON. Ranks count only models of the same connected
component (``component``, 0 = the one with the most votes).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Sequence

from ranking.stats.bootstrap import min_bootstrap_rounds
from ranking.stats.io import READERS, InputError, LabelledVotes
from ranking.stats.memory import keep_freed_memory
from ranking.stats.ratings import Ratings, rate

COLUMNS = ("model", "score", "ci_low", "ci_high", "rank", "rank_ub", "votes", "component")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ranking.stats",
        description="Bradley-Terry ratings (Elo scale) with bootstrap intervals.",
    )
    parser.add_argument("file", help="votes (CSV), pair counts (CSV) or a clean_battle log (JSON)")
    parser.add_argument(
        "--format-in",
        choices=(*READERS, "votes"),
        default="csv",
        help="the formats of manage.py import_votes (docs/uploads.md); votes: the old name of csv",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1000,
        help=f"bootstrap rounds, at least {min_bootstrap_rounds()}",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--anchor", metavar="MODEL=SCORE", help="fix one model's score")
    parser.add_argument("--ties", choices=("half", "drop", "davidson"), default="half")
    parser.add_argument("--resample", choices=("multinomial", "poisson"), default="multinomial")
    parser.add_argument("--interval", choices=("bootstrap", "analytic"), default="bootstrap")
    parser.add_argument("--out", choices=("csv", "json"), default="csv")
    parser.add_argument(
        "--workers",
        "--threads",
        dest="workers",
        type=int,
        default=None,
        help=(
            "cores the bootstrap uses: forked worker processes on Linux, threads elsewhere "
            "(default: the CPU count; the numbers do not depend on it; --threads is its old name)"
        ),
    )
    return parser


def _anchor(text: str | None, votes: LabelledVotes) -> tuple[int, float] | None:
    if text is None:
        return None
    label, separator, value = text.rpartition("=")
    if not separator or not label:
        raise InputError(f"--anchor must be MODEL=SCORE, got {text!r}")
    try:
        score = float(value)
    except ValueError:
        raise InputError(f"--anchor score is not a number: {value!r}") from None
    if not math.isfinite(score):
        raise InputError(f"--anchor score must be a finite number, got {value!r}")
    if label not in votes.labels:
        raise InputError(f"--anchor: unknown model {label!r}")
    return votes.index(label), score


def _bound(value: float, json_out: bool) -> float | None:
    """An interval bound: rounded; infinite (an open side) is ``null`` in JSON."""
    if math.isinf(value):
        return None if json_out else value
    return round(value, 2)


def _rows(ratings: Ratings, labels: Sequence[str], *, json_out: bool) -> list[dict[str, object]]:
    return [
        {
            "model": labels[i],
            "score": round(float(ratings.score[i]), 2),
            "ci_low": _bound(float(ratings.ci_low[i]), json_out),
            "ci_high": _bound(float(ratings.ci_high[i]), json_out),
            "rank": int(ratings.rank[i]),
            "rank_ub": int(ratings.rank_ub[i]),
            "votes": int(round(float(ratings.votes[i]))),
            "component": int(ratings.component[i]),
        }
        for i in ratings.order()
        if ratings.rated[i]
    ]


def _read(args: argparse.Namespace) -> tuple[LabelledVotes, tuple[int, float] | None]:
    votes = READERS["csv" if args.format_in == "votes" else args.format_in](args.file)
    if not votes.labels:
        raise InputError(f"{args.file}: no votes")
    return votes, _anchor(args.anchor, votes)


def main(argv: Sequence[str] | None = None) -> int:
    keep_freed_memory()
    args = _parser().parse_args(argv)
    if args.workers is not None and args.workers < 1:
        print(f"error: --workers must be at least 1 (got {args.workers})", file=sys.stderr)
        return 2
    if args.interval == "bootstrap" and args.rounds < min_bootstrap_rounds():
        print(
            f"error: --rounds must be at least {min_bootstrap_rounds()} for 95% bootstrap "
            f"intervals (got {args.rounds}); or use --interval analytic",
            file=sys.stderr,
        )
        return 2
    try:
        votes, anchor = _read(args)
        ratings = rate(
            votes.counts,
            ties=args.ties,
            rounds=args.rounds,
            seed=args.seed,
            anchor=anchor,
            resample=args.resample,
            interval=args.interval,
            workers=args.workers,
        )
    except (InputError, ValueError) as error:
        # rate() raises ValueError only for input it cannot rate, with a one-line reason.
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows = _rows(ratings, votes.labels, json_out=args.out == "json")
    for warning in ratings.warning_texts(votes.labels):
        print(f"warning: {warning}", file=sys.stderr)
    if args.out == "json":
        json.dump(rows, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
