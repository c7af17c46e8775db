"""Media of an import are written to a staging folder of their own and moved to their
content-addressed names only once the import's rows are committed.

An import that fails discards its folder; one that is killed leaves it behind, and the
hourly cleanup (``staging_cleanup``) removes it, or finishes the move if the rows were
committed just before the kill. So no media file exists outside ``staging/`` that no row
names, and no row names a file that stays missing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

STAGING_FOLDER = "staging"
# Older than any import: an upload's hard time limit is 15 minutes (CELERY_TASK_TIME_LIMIT).
STAGING_MAX_AGE = timedelta(hours=1)


class MediaStaging:
    """One import's staged media: ``write`` while checking, ``promote`` after the commit."""

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage or default_storage
        self.folder = f"{STAGING_FOLDER}/{secrets.token_hex(8)}"
        self.staged: dict[str, str] = {}  # final name -> staged name

    def needs(self, target: str) -> bool:
        """Whether ``target`` must be written: neither stored already nor staged here."""
        return target not in self.staged and not self.storage.exists(target)

    def write(self, target: str, data: bytes) -> None:
        self.staged[target] = self.storage.save(f"{self.folder}/{target}", ContentFile(data))

    def promote(self) -> int:
        """Move every staged file to its final name; the number of files moved there."""
        moved = sum(
            _promote(self.storage, staged, target) for target, staged in self.staged.items()
        )
        remove_empty_folders(self.storage, self.folder)
        return moved

    def discard(self) -> None:
        for staged in self.staged.values():
            self.storage.delete(staged)
        remove_empty_folders(self.storage, self.folder)


def _promote(storage: Storage, staged: str, target: str) -> bool:
    """Move one file; ``False`` if another import stored the same bytes meanwhile."""
    if storage.exists(target):
        storage.delete(staged)
        return False
    try:
        source, destination = storage.path(staged), storage.path(target)
    except NotImplementedError:  # an object store: copy, then delete
        with storage.open(staged, "rb") as handle:
            storage.save(target, handle)
        storage.delete(staged)
        return True
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    os.replace(source, destination)  # atomic on one file system
    return True


def remove_empty_folders(storage: Storage, folder: str) -> None:
    """Remove ``folder`` and the folders under it that are empty, deepest first, on a local
    file system (an object store has no folders)."""
    try:
        root = storage.path(folder)
    except NotImplementedError:
        return
    for path, _, _ in sorted(os.walk(root), reverse=True):  # deepest first
        with contextlib.suppress(OSError):
            os.rmdir(path)


def stored_files(storage: Storage, folder: str) -> list[str]:
    """Every file under ``folder``, at any depth."""
    folders, files = storage.listdir(folder)
    return [f"{folder}/{name}" for name in files] + [
        name for sub in folders for name in stored_files(storage, f"{folder}/{sub}")
    ]


def staging_cleanup(*, now: datetime | None = None) -> tuple[int, int]:
    """Staging folders untouched for ``STAGING_MAX_AGE``: each file whose final name a
    committed row references but which is missing is moved there; the rest is deleted.
    Returns (moved, deleted)."""
    from arena.models import Output, Prompt

    storage = default_storage
    try:
        # Not storage.exists(): on an object store a folder is only a prefix, never an object.
        folders = storage.listdir(STAGING_FOLDER)[0]
    except FileNotFoundError:  # a file system on which nothing was ever staged
        return 0, 0
    oldest = (now or timezone.now()) - STAGING_MAX_AGE
    moved = deleted = 0
    for folder in folders:
        staged = stored_files(storage, f"{STAGING_FOLDER}/{folder}")
        if any(storage.get_modified_time(name) > oldest for name in staged):
            continue  # an import may still be writing here
        for name in staged:
            target = name.split("/", 2)[2]
            referenced = (
                Output.objects.filter(media=target).exists()
                or Prompt.objects.filter(input_media=target).exists()
            )
            if referenced and _promote(storage, name, target):
                moved += 1
            else:
                storage.delete(name)
                deleted += 1
        remove_empty_folders(storage, f"{STAGING_FOLDER}/{folder}")
    return moved, deleted
