"""External votes in: rows read from a vote file (``pairwise.formats``) are written under
their source in one transaction, or nothing is; the external ids the source already holds
are skipped, so importing the same file again adds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from arena.models import AIModel, Modality, Vote
from arena.progress import Progress, no_progress
from arena.unknown_models import models_create, unknown_model_errors
from pairwise.formats import VoteRow
from pairwise.outcomes import OUTCOME_NAMES
from pairwise.rows import RowError


@dataclass
class VotesReport:
    ok: bool = False
    rows: int = 0
    created: int = 0
    already_present: int = 0
    votes_created: int = 0  # sum of counts: pair-count cells stand for many votes
    models_created: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ok:
            return f"refused: {len(self.errors)} problems; nothing was written"
        skipped = "".join(f"; skipped ({reason}): {n}" for reason, n in self.skipped.items())
        return (
            f"{self.rows} rows accepted; {self.created} vote rows created ({self.votes_created:,} "
            f"votes), {self.already_present} already present; models created: "
            f"{self.models_created}{skipped}"
        )


def votes_import(
    *,
    rows: list[VoteRow],
    modality: str,
    source: str,
    create_models: bool = False,
    timestamp: datetime | None = None,
    progress: Progress = no_progress,
) -> VotesReport:
    """Write parsed external votes under ``source``, skipping the external ids it already
    holds. ``timestamp`` dates the rows that have no time (pair counts always, clean_battle
    and csv rows without one); default: now."""
    report = VotesReport(rows=len(rows))
    if modality not in Modality.values:
        report.errors.append(
            RowError(0, "modality", f"{modality!r} is not one of {'|'.join(Modality.values)}")
        )
    if not source or len(source) > 64 or source == Vote.SOURCE_ARENA:
        report.errors.append(
            RowError(
                0,
                "source",
                "name the source (up to 64 characters; "
                f"{Vote.SOURCE_ARENA!r} is for votes cast here)",
            )
        )
    keys = {row.model_a for row in rows} | {row.model_b for row in rows}
    models = dict(AIModel.objects.filter(key__in=keys).values_list("key", "id"))
    if not create_models:
        report.errors += unknown_model_errors(
            [(row.row, key) for row in rows for key in (row.model_a, row.model_b)],
            set(models),
            hint="add it with import_models, or pass --create-models",
        )
    if report.errors:
        return report
    when = timestamp or timezone.now()
    with transaction.atomic():
        if create_models:
            report.models_created = models_create(keys - set(models), modality)
            models = dict(AIModel.objects.filter(key__in=keys).values_list("key", "id"))
        present = set(Vote.objects.filter(source=source).values_list("external_id", flat=True))
        batch: list[Vote] = []
        for done, row in enumerate(rows, start=1):
            if row.external_id in present:
                report.already_present += 1
            else:
                batch.append(
                    Vote(
                        source=source,
                        external_id=row.external_id,
                        outcome=OUTCOME_NAMES[row.outcome],
                        count=row.count,
                        created_at=row.created_at or when,
                        modality=modality,
                        model_a_id=models[row.model_a],
                        model_b_id=models[row.model_b],
                        category=row.category,
                        language=row.language,
                    )
                )
                report.votes_created += row.count
            if len(batch) >= 2000 or done == len(rows):
                Vote.objects.bulk_create(batch)
                report.created += len(batch)
                batch = []
                progress("writing", done, len(rows))
    report.ok = True
    return report
