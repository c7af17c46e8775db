from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from arena.admin import ReadOnlyAdmin
from ranking.models import ModelRating, RatingSnapshot


class ModelRatingInline(admin.TabularInline):
    model = ModelRating
    fields = ["rank", "rank_ub", "model", "score", "ci_low", "ci_high", "votes"]
    readonly_fields = fields
    ordering = ["rank"]
    can_delete = False
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RatingSnapshot)
class RatingSnapshotAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "modality",
        "category",
        "language",
        "kind",
        "cutoff",
        "status",
        "n_votes",
        "n_models",
        "fit_seconds",
    ]
    list_filter = ["modality", "kind", "status"]
    date_hierarchy = "cutoff"
    inlines = [ModelRatingInline]
