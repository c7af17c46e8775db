from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from arena.media import MediaLimits
from arena.models import (
    AIModel,
    Battle,
    Lab,
    Output,
    Prompt,
    PromptSet,
    Upload,
    Vote,
    VoterFlag,
    WorkerHeartbeat,
)
from arena.upload_jobs import upload_queue
from arena.voters import voter_flag_lift


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are kept as they were made (votes, flags, snapshots): read here, never
    added, edited or deleted; actions may still act on them."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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
        "release_date_precision",
        "release_date_source",
        "first_listed",
        "licence",
        "weights",
        "is_active",
    ]
    list_filter = ["is_active", "weights", "release_date_source", "lab__country", "lab"]
    search_fields = ["key", "display_name", "lab__name"]
    list_select_related = ["lab"]
    date_hierarchy = "release_date"


class PromptInline(admin.TabularInline):
    model = Prompt
    fields = ["external_id", "category", "language", "text"]
    extra = 0
    show_change_link = True


class UploadForm(forms.Form):
    manifest = forms.FileField(
        help_text="JSONL or CSV, one row per output: the fields and an example are below."
    )
    media = forms.FileField(
        required=False, help_text="For image and video sets: a .zip archive of the media files."
    )
    create_models = forms.BooleanField(
        required=False,
        label="Create unknown models",
        help_text="Otherwise a model key missing from the catalogue refuses the set.",
    )

    def clean_manifest(self) -> object:
        manifest = self.cleaned_data["manifest"]
        if not manifest.name.lower().endswith((".jsonl", ".ndjson", ".json", ".csv")):
            raise forms.ValidationError("A manifest is a .jsonl or .csv file.")
        limit = settings.ARENA_MAX_MANIFEST_BYTES
        if manifest.size > limit:
            raise forms.ValidationError(f"The manifest is over the limit of {limit:,} bytes.")
        return manifest

    def clean_media(self) -> object:
        media = self.cleaned_data["media"]
        if media and not media.name.lower().endswith(".zip"):
            raise forms.ValidationError("Media come as one .zip archive.")
        return media


@admin.register(PromptSet)
class PromptSetAdmin(admin.ModelAdmin):
    list_display = ["name", "modality", "source", "is_active", "created_at"]
    list_filter = ["modality", "source", "is_active"]
    search_fields = ["name"]
    inlines = [PromptInline]

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="arena_promptset_upload"),
            path(
                "upload/<int:upload_id>/",
                view(self.upload_status_view),
                name="arena_promptset_upload_status",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Stage the files, then a worker checks and imports them (the page polls)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                upload = Upload.objects.create(
                    manifest=form.cleaned_data["manifest"],
                    media=form.cleaned_data["media"] or "",
                    manifest_name=form.cleaned_data["manifest"].name[:200],
                    create_models=form.cleaned_data["create_models"],
                    created_by=request.user,
                )
            # Sent once the row is committed; without a broker nothing is kept
            # (docs/reliability.md).
            if upload_queue(upload):
                return redirect("admin:arena_promptset_upload_status", upload_id=upload.id)
            form.add_error(
                None,
                "The job queue (Redis) cannot be reached, so the upload could not be queued. "
                "Nothing was saved: try again in a minute.",
            )
            status = 503
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload a prompt/output set",
            "form": form,
            "uploads": Upload.objects.select_related("prompt_set")[:10],
            "limits": {
                "manifest_bytes": settings.ARENA_MAX_MANIFEST_BYTES,
                "text_chars": settings.ARENA_MAX_TEXT_CHARS,
                "media": MediaLimits.from_settings(),
            },
        }
        return TemplateResponse(
            request, "admin/arena/promptset/upload.html", context, status=status
        )

    def upload_status_view(self, request: HttpRequest, upload_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = get_object_or_404(Upload.objects.select_related("prompt_set"), id=upload_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Upload {upload.id}: {upload.manifest_name}",
            "upload": upload,
            "errors": upload.report.get("errors", []),
            "leaks": upload.report.get("identity_leaks", []),
        }
        return TemplateResponse(request, "admin/arena/promptset/upload_status.html", context)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """The history of uploads and their reports; uploads are made on the prompt set page."""

    list_display = ["id", "manifest_name", "status", "prompt_set", "created_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["prompt_set", "created_by"]
    fields = ["report_link", "manifest_name", "status", "phase", "done", "total", "report"]
    readonly_fields = fields

    @admin.display(description="Report")
    def report_link(self, obj: Upload) -> str:
        url = reverse("admin:arena_promptset_upload_status", args=[obj.id])
        return format_html('<a href="{}">progress and report</a>', url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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
class VoteAdmin(ReadOnlyAdmin):
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


@admin.action(description="Lift the selected flags (their votes count again)")
def lift_flags(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    reinstated = sum(
        voter_flag_lift(flag_id=flag_id, user=request.user)
        for flag_id in queryset.values_list("pk", flat=True)
    )
    modeladmin.message_user(request, f"{reinstated} votes count again.")


@admin.register(VoterFlag)
class VoterFlagAdmin(ReadOnlyAdmin):
    """Flags of the manipulation checks (ranking.integrity): kept, never deleted; lifting
    one counts its votes again."""

    list_display = ["id", "subject", "modality", "method", "created_at", "lifted_at"]
    list_filter = ["subject", "modality", "method", "lifted_at"]
    readonly_fields = ["subject", "key", "modality", "method", "evidence", "created_at"]
    exclude = ["votes"]
    actions = [lift_flags]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at"]
