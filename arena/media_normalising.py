"""Bringing media stored before normalisation into served form (``manage.py
normalise_media``): each output and input file not yet normalised is re-encoded by
``arena.media.media_normalise``, stored under the hash of the new bytes, and its row points
there; the old file is deleted once nothing refers to it. The output's checksum (the
upload's own hash) is kept, so re-uploading the original set still finds it unchanged.
Files already in served form (the demo's, and everything imported since) are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from arena.media import (
    MediaError,
    MediaLimits,
    is_normalised,
    media_normalise,
    storage_name,
)
from arena.models import Output, Prompt


@dataclass
class NormaliseReport:
    checked: int = 0
    normalised: int = 0
    failed: list[str] | None = None

    def __str__(self) -> str:
        failed = len(self.failed or [])
        return f"{self.checked} media files checked, {self.normalised} normalised, {failed} failed"


def stored_media_normalise(*, dry_run: bool = False) -> NormaliseReport:
    limits = MediaLimits.from_settings()
    report = NormaliseReport(failed=[])
    names = set(Output.objects.exclude(media="").values_list("media", flat=True))
    inputs = set(Prompt.objects.exclude(input_media="").values_list("input_media", flat=True))
    for name in sorted(names | inputs):
        report.checked += 1
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
        if is_normalised(data):
            continue
        kind = "input" if name.startswith("inputs/") else _kind(name)
        try:
            served, info = media_normalise(data, modality=kind, limits=limits)
        except MediaError as error:
            report.failed.append(f"{name}: {error}")
            continue
        report.normalised += 1
        if not dry_run:
            _replace(name, served, info)
    return report


def _kind(name: str) -> str:
    modality = Output.objects.filter(media=name).values_list("modality", flat=True).first()
    return modality or "image"


def _replace(name: str, served: bytes, info) -> None:
    folder = name.split("/", 1)[0]
    target = storage_name(info, folder=folder)
    if not default_storage.exists(target):
        default_storage.save(target, ContentFile(served))
    with transaction.atomic():
        Output.objects.filter(media=name).update(media=target, media_meta=info.meta())
        Prompt.objects.filter(input_media=name).update(input_media=target)
    if name != target:
        default_storage.delete(name)
