"""Command line: ``python -m ranking.stats FILE [options]`` prints a leaderboard.

Exit status 2 with a one-line message on stderr for unreadable input (no traceback).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence

from ranking.stats.io import READERS, InputError, LabelledVotes
from ranking.stats.ratings import Ratings, rate

COLUMNS = ("model", "score", "ci_low", "ci_high", "rank", "rank_ub", "votes")


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
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--anchor", metavar="MODEL=SCORE", help="fix one model's score")
    parser.add_argument("--ties", choices=("half", "drop", "davidson"), default="half")
    parser.add_argument("--resample", choices=("multinomial", "poisson"), default="multinomial")
    parser.add_argument("--interval", choices=("bootstrap", "analytic"), default="bootstrap")
    parser.add_argument("--out", choices=("csv", "json"), default="csv")
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
    if label not in votes.labels:
        raise InputError(f"--anchor: unknown model {label!r}")
    return votes.index(label), score


def _rows(ratings: Ratings, labels: Sequence[str]) -> list[dict[str, object]]:
    return [
        {
            "model": labels[i],
            "score": round(float(ratings.score[i]), 2),
            "ci_low": round(float(ratings.ci_low[i]), 2),
            "ci_high": round(float(ratings.ci_high[i]), 2),
            "rank": int(ratings.rank[i]),
            "rank_ub": int(ratings.rank_ub[i]),
            "votes": int(round(float(ratings.votes[i]))),
        }
        for i in ratings.order()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.rounds < 1:
        print("error: --rounds must be at least 1", file=sys.stderr)
        return 2
    try:
        votes = READERS["csv" if args.format_in == "votes" else args.format_in](args.file)
        if not votes.labels:
            raise InputError(f"{args.file}: no votes")
        anchor = _anchor(args.anchor, votes)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    ratings = rate(
        votes.counts,
        ties=args.ties,
        rounds=args.rounds,
        seed=args.seed,
        anchor=anchor,
        resample=args.resample,
        interval=args.interval,
    )
    rows = _rows(ratings, votes.labels)
    for warning in ratings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out == "json":
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
