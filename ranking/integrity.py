"""Manipulation checks: sessions and networks whose recent votes honest voters would
almost never cast are flagged, and their votes excluded (reason ``flagged_voter``), kept,
with the evidence on an ``arena.models.VoterFlag`` that an admin can lift.

Beat runs ``vote_integrity_check`` every ``RANKING_INTEGRITY_MINUTES`` over the battles
served in the last ``RANKING_INTEGRITY_WINDOW_HOURS``, against the newest board of each
modality. Three tests (``ranking.stats.manipulation``), each per session and per network
(IPv4 /24, IPv6 /48), each per model where it applies:

- ``selective``: the subject voted on the battles showing one model far more often than on
  the others (a target-only rigger who recognises the target skips the rest);
- ``favour`` / ``disfavour``: one model won (lost) more of the subject's votes than the
  ratings allow (a rigger who cannot skip, a "downvote a rival" attacker);
- ``surprisal``: the subject's votes as a whole are improbable under the ratings (Min et
  al.'s likelihood filter; omnipresent riggers vote against the board in many battles);
- ``campaign``: when all recent votes together favour (or disfavour) one model far beyond
  the ratings (``attacked_models``: votes concentrated on one model across many sessions),
  the sessions that were selective for it and favoured it, combined, at a looser threshold.

A subject is flagged when a p-value is below ``10 ** -RANKING_INTEGRITY_LOG10_P`` with at
least ``RANKING_INTEGRITY_MIN_VOTES`` votes. docs/voting.md explains the choice and gives
the measured honest false-flag rate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from arena.models import AIModel, Battle, Modality, Vote, VoterFlag
from pairwise.outcomes import Outcome
from ranking.selectors import leaderboard_latest
from ranking.stats.manipulation import (
    combined_p,
    favour_p,
    selective_voting_p,
    surprisal_p,
    win_probability,
)


@dataclass
class _Served:
    """One subject's battles in the window: models shown, and the votes cast on them."""

    battles: list[tuple[int, int]] = field(default_factory=list)  # (model A, model B)
    votes: list[tuple[int, int, int, str]] = field(default_factory=list)  # id, A, B, outcome


@dataclass
class IntegrityReport:
    flags: list[VoterFlag] = field(default_factory=list)
    votes_excluded: int = 0

    def __str__(self) -> str:
        return f"{len(self.flags)} subjects flagged, {self.votes_excluded} votes excluded"


def vote_integrity_check(*, now: datetime | None = None) -> IntegrityReport:
    """Beat's entry: test every session and network with recent votes, flag the improbable."""
    now = now or timezone.now()
    report = IntegrityReport()
    for modality in Modality.values:
        board = leaderboard_latest(modality=modality)
        if board is None:
            continue
        scores = dict(board.ratings.values_list("model_id", "score"))
        sessions, networks, everyone = _served(modality, now)
        attacked = attacked_models(everyone, scores)
        for subject, groups in (
            (VoterFlag.Subject.SESSION, sessions),
            (VoterFlag.Subject.NETWORK, networks),
        ):
            for key, served in groups.items():
                finding = subject_finding(served, scores, attacked)
                if finding is not None:
                    _flag(report, subject, key, modality, finding, served, board.pk)
    return report


def _served(modality: str, now: datetime) -> tuple[dict[str, _Served], dict[str, _Served], _Served]:
    since = now - timedelta(hours=settings.RANKING_INTEGRITY_WINDOW_HOURS)
    rows = Battle.objects.filter(modality=modality, served_at__gte=since).values_list(
        "session_key", "network_hash", "model_a_id", "model_b_id", "vote__id", "vote__outcome"
    )
    sessions: dict[str, _Served] = defaultdict(_Served)
    networks: dict[str, _Served] = defaultdict(_Served)
    everyone = _Served()
    for session, network, model_a, model_b, vote_id, outcome in rows.iterator(chunk_size=5000):
        groups = [everyone, sessions[session]] + ([networks[network]] if network else [])
        for served in groups:
            served.battles.append((model_a, model_b))
            if vote_id is not None:
                served.votes.append((vote_id, model_a, model_b, outcome))
    return sessions, networks, everyone


def _threshold(log10_p: int) -> float:
    return 10.0 ** (-log10_p)


def attacked_models(everyone: _Served, scores: dict[int, float]) -> dict[int, str]:
    """Models that won (``favour``) or lost (``disfavour``) far more of all recent votes
    than the ratings allow: votes concentrated on one model across many sessions. The
    Bradley-Terry fit matches each model's expected wins to its observed wins, so on honest
    votes this finds nothing; a rigging campaign moves one model's tally."""
    threshold = _threshold(settings.RANKING_INTEGRITY_LOG10_P)
    return {
        finding["model"]: finding["method"]
        for finding in _favour(everyone, scores)
        if finding["p_value"] < threshold
    }


def subject_finding(
    served: _Served, scores: dict[int, float], attacked: dict[int, str] | None = None
) -> dict | None:
    """The most significant test result of one subject, if it is below its threshold:
    ``{"method", "p_value", "model", ...}`` with the figures behind it; else ``None``.

    Any model: each test alone, below ``10 ** -RANKING_INTEGRITY_LOG10_P``, with at least
    ``RANKING_INTEGRITY_MIN_VOTES`` votes. A model under attack (``attacked_models``): its
    selective and (dis)favour p-values combined (Fisher), below ``10 **
    -RANKING_INTEGRITY_ATTACKED_LOG10_P``, from two votes on: a campaign spread over many
    sessions of a few votes each is still seen."""
    details = {"battles_served": len(served.battles), "votes": len(served.votes)}
    if len(served.votes) >= settings.RANKING_INTEGRITY_MIN_VOTES:
        findings = [*_selective(served), *_favour(served, scores), _surprisal(served, scores)]
        best = min((f for f in findings if f), key=lambda f: f["p_value"], default=None)
        if best is not None and best["p_value"] < _threshold(settings.RANKING_INTEGRITY_LOG10_P):
            return best | details
    if attacked and len(served.votes) >= 2:
        best = _campaign(served, scores, attacked)
        threshold = _threshold(settings.RANKING_INTEGRITY_ATTACKED_LOG10_P)
        if best is not None and best["p_value"] < threshold:
            return best | details
    return None


def _campaign(served: _Served, scores: dict[int, float], attacked: dict[int, str]) -> dict | None:
    selective = {f["model"]: f["p_value"] for f in _selective(served)}
    favour = {(f["model"], f["method"]): f["p_value"] for f in _favour(served, scores)}
    findings = [
        {
            "method": "campaign",
            "model": model,
            "direction": direction,
            "p_value": combined_p([selective[model], favour[model, direction]]),
            "p_selective": selective[model],
            "p_" + direction: favour[model, direction],
        }
        for model, direction in attacked.items()
        if model in selective and (model, direction) in favour
    ]
    return min(findings, key=lambda f: f["p_value"], default=None)


def _selective(served: _Served) -> list[dict]:
    shown: dict[int, int] = defaultdict(int)
    for pair in served.battles:
        for model in set(pair):
            shown[model] += 1
    voted: dict[int, int] = defaultdict(int)
    for _, model_a, model_b, _ in served.votes:
        voted[model_a] += 1
        voted[model_b] += 1
    return [
        {
            "method": "selective",
            "model": model,
            "p_value": selective_voting_p(
                served=len(served.battles),
                served_with=shown[model],
                voted=len(served.votes),
                voted_with=count,
            ),
            "shown": shown[model],
            "voted_with": count,
        }
        for model, count in voted.items()
    ]


def _decisive(served: _Served, scores: dict[int, float]) -> list[tuple[int, int, float]]:
    """(winner, loser, P(winner beats loser)) of each decisive vote on two rated models."""
    rows = []
    for _, model_a, model_b, outcome in served.votes:
        if model_a not in scores or model_b not in scores:
            continue
        code = Outcome.from_name(outcome)
        if code == Outcome.A_WINS:
            winner, loser = model_a, model_b
        elif code == Outcome.B_WINS:
            winner, loser = model_b, model_a
        else:
            continue
        rows.append((winner, loser, float(win_probability(scores[winner], scores[loser]))))
    return rows


def _favour(served: _Served, scores: dict[int, float]) -> list[dict]:
    """Per model: its wins (and losses) in the subject's decisive votes against the chance
    the ratings give it."""
    chances: dict[int, list[float]] = defaultdict(list)  # P(model wins) per vote it was in
    wins: dict[int, int] = defaultdict(int)
    for winner, loser, p_winner in _decisive(served, scores):
        chances[winner].append(p_winner)
        chances[loser].append(1.0 - p_winner)
        wins[winner] += 1
    findings = []
    for model, p_win in chances.items():
        p = np.array(p_win)
        won = wins[model]
        findings += [
            {"method": "favour", "model": model, "p_value": favour_p(p, won), "won": won},
            {
                "method": "disfavour",
                "model": model,
                "p_value": favour_p(1.0 - p, len(p) - won),
                "lost": len(p) - won,
            },
        ]
    return findings


def _surprisal(served: _Served, scores: dict[int, float]) -> dict | None:
    decisive = _decisive(served, scores)
    if len(decisive) < settings.RANKING_INTEGRITY_MIN_VOTES:
        return None
    p_observed = np.array([p for _, _, p in decisive])
    return {"method": "surprisal", "model": None, "p_value": surprisal_p(p_observed)}


def _flag(
    report: IntegrityReport,
    subject: str,
    key: str,
    modality: str,
    finding: dict,
    served: _Served,
    snapshot_id: int,
) -> None:
    """Exclude the subject's counted votes in the window and record why. A subject whose
    flag an admin lifted is left alone; an active flag gains the new votes."""
    flags = VoterFlag.objects.filter(subject=subject, key=key, modality=modality)
    if flags.filter(lifted_at__isnull=False).exists():
        return
    with transaction.atomic():
        # Votes an admin reinstated by lifting a flag were reviewed: never flagged again.
        counted = (
            Vote.objects.select_for_update()
            .filter(id__in=[vote[0] for vote in served.votes], excluded=False)
            .exclude(flags__lifted_at__isnull=False)
        )
        vote_ids = list(counted.values_list("id", flat=True))
        if not vote_ids:
            return
        Vote.objects.filter(id__in=vote_ids).update(
            excluded=True, exclusion_reason=Vote.ExclusionReason.FLAGGED_VOTER
        )
        flag = flags.filter(lifted_at__isnull=True).first()
        model_key = AIModel.objects.filter(pk=finding["model"]).values_list("key", flat=True)
        evidence = finding | {"model_key": model_key.first() or "", "snapshot": snapshot_id}
        if flag is None:
            flag = VoterFlag.objects.create(
                subject=subject,
                key=key,
                modality=modality,
                method=finding["method"],
                evidence={"findings": [evidence]},
            )
        else:
            flag.evidence = {"findings": [*flag.evidence.get("findings", []), evidence]}
            flag.save(update_fields=["evidence"])
        flag.votes.add(*vote_ids)
    report.flags.append(flag)
    report.votes_excluded += len(vote_ids)
