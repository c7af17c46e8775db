"""What the import commands share: reading the input file, and printing a refusal as a
row-numbered report on stderr followed by a non-zero exit (never a traceback)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


def read_input(path: str, *, limit: int | None = None, setting: str = "") -> bytes:
    """The bytes of a file; with ``limit``, a file over it is refused before it is read (and
    a file that grows while read stops at the limit), naming the ``setting`` that sets it."""
    try:
        with Path(path).open("rb") as handle:
            if limit is None:
                return handle.read()
            if os.fstat(handle.fileno()).st_size <= limit:
                data = handle.read(limit + 1)
                if len(data) <= limit:
                    return data
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from error
    raise CommandError(
        f"refused: {path} is over the limit of {limit:,} bytes ({setting}); nothing was written"
    )


def refuse(command: BaseCommand, errors: Iterable[object], summary: str) -> None:
    for error in errors:
        command.stderr.write(str(error))
    raise CommandError(summary)
