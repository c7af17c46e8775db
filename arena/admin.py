from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from arena.models import AIModel, Battle, Lab, Output, Prompt, PromptSet, Vote, WorkerHeartbeat


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["name", "flag", "country", "website"]
    search_fields = ["name"]
    list_filter = ["country"]


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "display_name",
        "lab",
        "release_date",
        "licence",
        "open_weights",
        "is_active",
    ]
    list_filter = ["is_active", "open_weights", "lab__country", "lab"]
    search_fields = ["key", "display_name", "lab__name"]
    list_select_related = ["lab"]
    date_hierarchy = "release_date"


class PromptInline(admin.TabularInline):
    model = Prompt
    fields = ["external_id", "category", "language", "text"]
    extra = 0
    show_change_link = True


@admin.register(PromptSet)
class PromptSetAdmin(admin.ModelAdmin):
    list_display = ["name", "modality", "source", "is_active", "created_at"]
    list_filter = ["modality", "source", "is_active"]
    search_fields = ["name"]
    inlines = [PromptInline]


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["external_id", "prompt_set", "category", "language"]
    list_filter = ["prompt_set", "category", "language"]
    search_fields = ["external_id", "text"]
    list_select_related = ["prompt_set"]


@admin.register(Output)
class OutputAdmin(admin.ModelAdmin):
    list_display = ["id", "model", "prompt", "modality", "identity_leak"]
    list_filter = ["modality", "identity_leak"]
    search_fields = ["model__key", "prompt__external_id", "text"]
    list_select_related = ["model", "prompt", "prompt__prompt_set"]
    raw_id_fields = ["prompt", "model"]
    readonly_fields = ["checksum", "media_meta", "style", "created_at"]


@admin.register(Battle)
class BattleAdmin(admin.ModelAdmin):
    """Battles are records of what was served: read-only here."""

    list_display = ["id", "modality", "model_a", "model_b", "state", "served_at"]
    list_filter = ["modality", "state"]
    list_select_related = ["model_a", "model_b"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.action(description="Exclude the selected votes from ratings (kept, marked 'admin')")
def exclude_votes(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    changed = queryset.filter(excluded=False).update(
        excluded=True, exclusion_reason=Vote.ExclusionReason.ADMIN
    )
    modeladmin.message_user(request, f"{changed} votes excluded.")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    """Votes are never edited or deleted here; an admin can only exclude them."""

    list_display = [
        "id",
        "modality",
        "model_a",
        "model_b",
        "outcome",
        "count",
        "source",
        "excluded",
        "exclusion_reason",
        "created_at",
    ]
    list_filter = ["modality", "source", "excluded", "exclusion_reason", "outcome"]
    list_select_related = ["model_a", "model_b"]
    search_fields = ["model_a__key", "model_b__key", "voter_key"]
    date_hierarchy = "created_at"
    actions = [exclude_votes]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at"]
