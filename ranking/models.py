"""Rating snapshots: immutable, reproducible leaderboards computed from the vote table.

A snapshot is defined by what it counted (modality, category, language, the cutoff time,
the highest vote id included, the vote filter) and how (method, parameters, seed, code
version). Its ``key`` hashes all of these, so asking twice for the same snapshot, from a
retried, duplicated or concurrently scheduled task, finds the existing row instead of
making a second one.
"""

from __future__ import annotations

import math

from django.db import models
from django.db.models import Q
from django.utils import timezone

from arena.models import AIModel, Modality


class RatingSnapshot(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        CURRENT = "current", "Current (scheduled or on demand)"
        MONTH_END = "month_end", "Month-end, as of then"

    key = models.CharField(max_length=64, unique=True, help_text="SHA-256 of what and how.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CURRENT)
    modality = models.CharField(max_length=8, choices=Modality.choices)
    category = models.CharField(max_length=64, blank=True, help_text="Blank: all categories.")
    language = models.CharField(max_length=16, blank=True, help_text="Blank: all languages.")
    cutoff = models.DateTimeField(help_text="Only votes cast before this time count.")
    max_vote_id = models.BigIntegerField(help_text="Highest vote id counted (0: none).")
    method = models.CharField(max_length=32, default="bradley_terry")
    params = models.JSONField(default=dict)
    seed = models.BigIntegerField()
    vote_filter = models.JSONField(default=dict, help_text="Which votes counted.")
    excluded_votes = models.JSONField(
        default=dict, help_text="Votes left out by the filter, per exclusion reason."
    )
    n_votes = models.BigIntegerField(default=0)
    n_models = models.IntegerField(default=0)
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the aggregated counts."
    )
    code_version = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    anchored = models.BooleanField(
        default=False,
        help_text="The anchor of params fixed the level (False: the mean score is 1000).",
    )
    style_control = models.BooleanField(
        default=False,
        help_text="Scores controlled for answer length and Markdown (Chatbot Arena's style "
        "control); only votes on served battles with text outputs count.",
    )
    style_coef = models.JSONField(
        default=dict,
        blank=True,
        help_text="Style control: log-odds per unit of each feature's normalised difference.",
    )
    votes_without_style = models.BigIntegerField(
        default=0,
        help_text="Style control: counted votes left out for lack of outputs with style features.",
    )
    attempts = models.PositiveIntegerField(default=0)
    # The compute job's lease (arena.jobs): when its message was last sent, which worker
    # holds it and until when; the worker renews it while the fit runs.
    queued_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    aggregate_seconds = models.FloatField(null=True, blank=True)
    fit_seconds = models.FloatField(null=True, blank=True)
    data_file = models.FileField(
        upload_to="snapshots/",
        blank=True,
        help_text="npz: model ids, aggregated cells and the bootstrap replicates.",
    )
    # How the counts were made (docs/snapshots.md, "Incremental counts").
    counted_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The snapshot whose counts these were added to (blank: a full count).",
    )
    counts_depth = models.PositiveIntegerField(
        default=0, help_text="Incremental counts since the last full count (0: a full count)."
    )
    recounted_at = models.DateTimeField(
        null=True, blank=True, help_text="When a full recount checked these counts."
    )
    recount_agrees = models.BooleanField(
        null=True, blank=True, help_text="Whether that recount had the same fingerprint."
    )

    class Meta:
        ordering = ["-cutoff", "-id"]
        get_latest_by = "cutoff"
        indexes = [
            models.Index(
                fields=[
                    "modality",
                    "category",
                    "language",
                    "style_control",
                    "kind",
                    "status",
                    "cutoff",
                ],
                name="snapshot_board_latest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(fingerprint=""),
                name="snapshot_done_has_fingerprint",
            ),
        ]

    def __str__(self) -> str:
        style = ", style control" if self.style_control else ""
        cutoff = f"{self.cutoff:%Y-%m-%d %H:%M}"
        return f"{self.modality} {self.scope}{style} as of {cutoff} ({self.status})"

    @property
    def scope(self) -> str:
        return " / ".join(part for part in (self.category, self.language) if part) or "overall"


class ModelRating(models.Model):
    """One model's row in one snapshot. ``column`` is its column in the replicates.

    ``rank`` and ``rank_ub`` count only models of the same ``component`` (connected component
    of the comparison graph, 0 = the one with the most votes). ``ci_low`` is ``-inf`` and
    ``ci_high`` ``+inf`` on a side the votes do not bound (docs/ratings.md).
    """

    snapshot = models.ForeignKey(RatingSnapshot, on_delete=models.PROTECT, related_name="ratings")
    model = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="ratings")
    column = models.PositiveIntegerField()
    score = models.FloatField()
    ci_low = models.FloatField()
    ci_high = models.FloatField()
    rank = models.PositiveIntegerField(help_text="Within the component.")
    rank_ub = models.PositiveIntegerField(help_text="Rank (UB), within the component.")
    component = models.PositiveIntegerField(
        default=0, help_text="Connected component of the comparison graph (0: most votes)."
    )
    votes = models.FloatField()
    wins = models.FloatField()
    ties = models.FloatField()
    losses = models.FloatField()
    avg_win_rate = models.FloatField()

    class Meta:
        ordering = ["snapshot", "rank", "model"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "model"], name="rating_one_per_model"),
            models.UniqueConstraint(fields=["snapshot", "column"], name="rating_one_per_column"),
            models.CheckConstraint(
                condition=Q(ci_low__lte=models.F("ci_high")), name="rating_interval_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.score:.1f}"

    @property
    def plus(self) -> float:
        return self.ci_high - self.score

    @property
    def minus(self) -> float:
        return self.score - self.ci_low

    @property
    def open_above(self) -> bool:
        return math.isinf(self.ci_high)

    @property
    def open_below(self) -> bool:
        return math.isinf(self.ci_low)
