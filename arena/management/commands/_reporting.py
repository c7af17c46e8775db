"""What the import commands share: reading the input file, and printing a refusal as a
row-numbered report on stderr followed by a non-zero exit (never a traceback)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


def read_input(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from error


def refuse(command: BaseCommand, errors: Iterable[object], summary: str) -> None:
    for error in errors:
        command.stderr.write(str(error))
    raise CommandError(summary)
