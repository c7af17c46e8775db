"""Prompt/output sets in: a manifest and its media are checked completely (every problem
reported with its row), then written in one transaction, or nothing is. Media files are
written before the transaction and removed again if anything fails, so a refused or failed
ingest leaves neither rows nor orphan files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from arena.leaks import identity_leak, lab_names, metadata_leak
from arena.manifest import ManifestRow, parse_manifest
from arena.media import (
    MediaError,
    MediaInfo,
    MediaLimits,
    MediaSource,
    NormalisedSource,
    storage_name,
)
from arena.media_staging import MediaStaging
from arena.models import AIModel, Modality, Output, Prompt, PromptSet
from arena.progress import Progress, no_progress
from arena.serving_plan import serving_plan_refresh
from arena.signals import data_imported
from arena.style import style_features
from arena.unknown_models import models_create, unknown_model_errors
from pairwise.rows import RowError


@dataclass
class IngestReport:
    ok: bool = False
    set_name: str = ""
    modality: str = ""
    rows: int = 0
    prompts_created: int = 0
    outputs_created: int = 0
    outputs_unchanged: int = 0
    models_created: int = 0
    files_written: int = 0
    identity_leaks: list[str] = field(default_factory=list)
    # Media whose uploaded metadata named their model: stripped at import, never served.
    metadata_stripped: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ok:
            return f"refused: {len(self.errors)} problems; nothing was written"
        return (
            f"set {self.set_name!r} ({self.modality}): {self.rows} rows; prompts: "
            f"{self.prompts_created} created; outputs: {self.outputs_created} created, "
            f"{self.outputs_unchanged} unchanged; models created: {self.models_created}; "
            f"media files written: {self.files_written}; identity leaks flagged: "
            f"{len(self.identity_leaks)}"
        ) + (
            f"; metadata naming the model stripped: {len(self.metadata_stripped)}"
            if self.metadata_stripped
            else ""
        )

    def as_dict(self, *, limit: int = 1000) -> dict[str, object]:
        """For the Upload row and its page: at most ``limit`` lines of each list."""

        def capped(lines: list[str]) -> list[str]:
            extra = len(lines) - limit
            return lines[:limit] + ([f"... and {extra:,} more"] if extra > 0 else [])

        return {
            "ok": self.ok,
            "summary": self.summary(),
            "errors": capped([str(error) for error in self.errors]),
            "identity_leaks": capped(self.identity_leaks),
            "metadata_stripped": capped(self.metadata_stripped),
        }


@dataclass
class _Planned:
    row: ManifestRow
    checksum: str
    media: MediaInfo | None = None
    input_media: MediaInfo | None = None
    leak: str = ""
    exists: bool = False


def prompt_set_ingest(
    *,
    manifest: bytes,
    manifest_name: str,
    media: MediaSource | None = None,
    create_models: bool = False,
    limits: MediaLimits | None = None,
    progress: Progress = no_progress,
    set_source: str = PromptSet.Source.UPLOAD,
    set_description: str = "",
) -> IngestReport:
    """Check a manifest and its media completely, then write the set, or nothing.
    ``set_source`` and ``set_description`` apply when the set is new. Media are stored and
    served in their normalised form (``arena.media.media_normalise``)."""
    limits = limits or MediaLimits.from_settings()
    served = NormalisedSource(media, limits) if media is not None else None
    try:
        return _ingest(
            manifest=manifest,
            manifest_name=manifest_name,
            media=served,
            create_models=create_models,
            limits=limits,
            progress=progress,
            set_source=set_source,
            set_description=set_description,
        )
    finally:
        if served is not None:
            served.close()


def _ingest(
    *,
    manifest: bytes,
    manifest_name: str,
    media: NormalisedSource | None,
    create_models: bool,
    limits: MediaLimits,
    progress: Progress,
    set_source: str,
    set_description: str,
) -> IngestReport:
    parsed = parse_manifest(
        manifest, name=manifest_name, max_text_chars=settings.ARENA_MAX_TEXT_CHARS
    )
    report = IngestReport(errors=list(parsed.errors))
    rows = parsed.rows
    if not rows:
        return report
    report.set_name, report.modality, report.rows = rows[0].set_name, rows[0].modality, len(rows)
    models = {
        m.key: m
        for m in AIModel.objects.select_related("lab").filter(key__in={row.model for row in rows})
    }
    if not create_models:
        report.errors += unknown_model_errors(
            [(row.row, row.model) for row in rows],
            set(models),
            hint="add it with import_models, or allow creating unknown models",
        )
    planned = [_Planned(row, "") for row in rows]
    report.errors += _existing_set_conflicts(report.modality, planned)
    if report.modality == Modality.TEXT:
        _plan_texts(planned, models, progress)
    else:
        errors, report.metadata_stripped = _plan_media(
            planned, media, report.modality, models, progress
        )
        report.errors += errors
    report.errors += _changed_outputs(planned)
    report.errors.sort(key=lambda error: error.row)
    if report.errors:
        return report
    progress("writing", 0, len(planned))
    _write_set(
        report,
        planned,
        media,
        create_models=create_models,
        models=models,
        set_defaults={"source": set_source, "description": set_description},
    )
    serving_plan_refresh(report.modality, count_votes=False)  # servable at once
    progress("writing", len(planned), len(planned))
    data_imported.send(sender=prompt_set_ingest, what="set")
    return report


def _existing_set_conflicts(modality: str, planned: list[_Planned]) -> list[RowError]:
    first = planned[0].row
    existing = PromptSet.objects.filter(name=first.set_name).first()
    if existing is None:
        return []
    if existing.modality != modality:
        return [
            RowError(
                first.row,
                "modality",
                f"the set {first.set_name!r} already exists with modality {existing.modality}",
            )
        ]
    errors = []
    prompts = {p.external_id: p for p in existing.prompts.all()}
    for item in planned:
        prompt = prompts.get(item.row.prompt_id)
        if prompt is not None and (prompt.text, prompt.category, prompt.language) != (
            item.row.prompt,
            item.row.category,
            item.row.language,
        ):
            errors.append(
                RowError(
                    item.row.row,
                    "prompt",
                    f"prompt_id {item.row.prompt_id!r} "
                    "is already in this set with another text, category or "
                    "language; use a new prompt_id",
                )
            )
    return errors


def _plan_texts(planned: list[_Planned], models: dict[str, AIModel], progress: Progress) -> None:
    overrides = settings.ARENA_IDENTITY_NAMES
    for done, item in enumerate(planned, start=1):
        if done % 500 == 0 or done == len(planned):
            progress("checking texts", done, len(planned))
        item.checksum = hashlib.sha256(item.row.text.encode()).hexdigest()
        model = models.get(item.row.model)
        names = lab_names(model.lab.name, overrides) if model else []
        literal = [item.row.model] + ([model.display_name] if model else [])
        item.leak = identity_leak(item.row.text, names=names, literal_names=literal)


def _plan_media(
    planned: list[_Planned],
    source: NormalisedSource | None,
    modality: str,
    models: dict[str, AIModel],
    progress: Progress,
) -> tuple[list[RowError], list[str]]:
    """Normalise each file once (the bytes that will be stored and served); the row errors,
    and the rows whose file's metadata named its model (stripped: reported only)."""
    if source is None:
        return [
            RowError(
                0, "media", f"this is an {modality} set: give the media archive (.zip) or folder"
            )
        ], []
    problems = source.problems()
    if problems:  # an unsafe archive is not opened any further
        return [RowError(0, "archive", problem) for problem in problems], []
    errors: list[RowError] = []
    stripped: list[str] = []
    seen: dict[tuple[str, str], MediaInfo | MediaError] = {}
    for done, item in enumerate(planned, start=1):
        for name, kind in (("media", modality), ("input_media", "input")):
            path = getattr(item.row, name)
            if not path:
                continue
            if (path, kind) not in seen:
                seen[path, kind] = _normalise(source, path, kind)
            result = seen[path, kind]
            if isinstance(result, MediaError):
                errors.append(RowError(item.row.row, name, str(result)))
            else:
                setattr(item, name, result)
        if item.media is not None:
            # The upload's own hash: a re-upload of the same file is recognised whatever
            # the encoder build makes of it.
            item.checksum = item.media.source_sha256
            leak = _metadata_leak(item, models.get(item.row.model))
            if leak:
                stripped.append(f"row {item.row.row}: {leak}")
        progress("checking media", done, len(planned))
    return errors, stripped


def _metadata_leak(item: _Planned, model: AIModel | None) -> str:
    names = lab_names(model.lab.name, settings.ARENA_IDENTITY_NAMES) if model else []
    literal = [item.row.model] + ([model.display_name] if model else [])
    return metadata_leak(item.media.metadata, names=names, literal_names=literal)


def _normalise(source: NormalisedSource, path: str, kind: str) -> MediaInfo | MediaError:
    try:
        return source.normalise(path, kind=kind)
    except MediaError as error:
        message = str(error)
        return error if message.startswith(repr(path)) else MediaError(f"{path!r} {message}")


def _changed_outputs(planned: list[_Planned]) -> list[RowError]:
    """Same set, prompt and model as before: identical bytes are skipped (idempotent
    re-upload); different bytes are refused, since votes already cast refer to the old."""
    first = planned[0].row
    outputs = Output.objects.filter(prompt__prompt_set__name=first.set_name)
    stored = {
        (prompt_id, key): checksum
        for prompt_id, key, checksum in outputs.values_list(
            "prompt__external_id", "model__key", "checksum"
        )
    }
    errors = []
    for item in planned:
        checksum = stored.get((item.row.prompt_id, item.row.model))
        if checksum is None or not item.checksum:
            continue
        if checksum == item.checksum:
            item.exists = True
        else:
            errors.append(
                RowError(
                    item.row.row,
                    "model",
                    f"prompt {item.row.prompt_id!r} "
                    f"already has another output from {item.row.model!r} in "
                    "this set; put changed outputs in a new set",
                )
            )
    return errors


def _store_media(
    planned: list[_Planned], source: MediaSource | None, staging: MediaStaging
) -> None:
    """Write new media files to the import's staging folder (``arena.media_staging``); they
    get their content-hash names when the rows are committed."""
    for item in planned:
        if item.exists or source is None:
            continue
        for name, info, folder in (
            ("media", item.media, "outputs"),
            ("input_media", item.input_media, "inputs"),
        ):
            if info is None:
                continue
            target = storage_name(info, folder=folder)
            if not staging.needs(target):
                continue
            data = source.read(getattr(item.row, name), limit=info.bytes)
            if hashlib.sha256(data).hexdigest() != info.sha256:
                raise MediaError(f"{getattr(item.row, name)!r} changed during the import")
            staging.write(target, data)


def _write_set(
    report: IngestReport,
    planned: list[_Planned],
    source: MediaSource | None,
    *,
    create_models: bool,
    models: dict[str, AIModel],
    set_defaults: dict[str, str],
) -> None:
    staging = MediaStaging()
    try:
        _store_media(planned, source, staging)
        with transaction.atomic():
            _write_rows(
                report,
                planned,
                create_models=create_models,
                models=models,
                set_defaults=set_defaults,
            )
    except BaseException:
        staging.discard()
        raise
    # Committed: the rows name these files. A kill before this line leaves them staged, and
    # the hourly cleanup finishes the move (arena.media_staging.staging_cleanup).
    report.files_written = staging.promote()
    report.ok = True


def _write_rows(
    report: IngestReport,
    planned: list[_Planned],
    *,
    create_models: bool,
    models: dict[str, AIModel],
    set_defaults: dict[str, str],
) -> None:
    first = planned[0].row
    if create_models:
        report.models_created = models_create(
            {item.row.model for item in planned} - set(models), first.modality
        )
        models = {
            m.key: m for m in AIModel.objects.filter(key__in={item.row.model for item in planned})
        }
    prompt_set, _ = PromptSet.objects.get_or_create(
        name=first.set_name, defaults={"modality": first.modality, **set_defaults}
    )
    prompts = {p.external_id: p for p in prompt_set.prompts.all()}
    new_prompts: list[Prompt] = []
    for item in planned:
        row = item.row
        if row.prompt_id in prompts:
            continue
        prompt = Prompt(
            prompt_set=prompt_set,
            external_id=row.prompt_id,
            text=row.prompt,
            category=row.category,
            language=row.language,
        )
        if item.input_media is not None:
            prompt.input_media.name = storage_name(item.input_media, folder="inputs")
        prompts[row.prompt_id] = prompt
        new_prompts.append(prompt)
    # Primary keys come back from bulk inserts on PostgreSQL and SQLite >= 3.35.
    Prompt.objects.bulk_create(new_prompts, batch_size=1000)
    report.prompts_created = len(new_prompts)
    outputs = []
    for item in planned:
        if item.exists:
            report.outputs_unchanged += 1
            continue
        output = Output(
            prompt=prompts[item.row.prompt_id],
            model=models[item.row.model],
            modality=first.modality,
            checksum=item.checksum,
            identity_leak=bool(item.leak),
            identity_leak_reason=item.leak,
        )
        if item.media is None:
            output.text = item.row.text
            output.style = style_features(item.row.text)
        else:
            output.media.name = storage_name(item.media)
            output.media_meta = item.media.meta()
        if item.leak:
            report.identity_leaks.append(f"row {item.row.row}: {item.leak}")
        outputs.append(output)
    Output.objects.bulk_create(outputs, batch_size=1000)
    report.outputs_created = len(outputs)
