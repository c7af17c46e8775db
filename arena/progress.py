"""Progress of long imports: the callback they report to, and a progress bar for management
commands (plain text, redrawn in place on a terminal and printed at most every 10%
otherwise, so logs stay short). No dependency."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[str, int, int], None]  # phase, done, total


def no_progress(phase: str, done: int, total: int) -> None:
    """For callers that do not watch."""


class ProgressBar:
    def __init__(self, stream: TextIO, *, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last: tuple[str, int] = ("", -1)
        self._drawn = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total <= 0:
            return
        tenth = 10 * done // total
        now = time.monotonic()
        if self.tty:
            if done != total and now - self._drawn < 0.1:
                return
        elif (phase, tenth) == self._last:
            return
        self._last, self._drawn = (phase, tenth), now
        filled = self.width * done // total
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{phase:>15} [{bar}] {100 * done // total:3d}% {done:,}/{total:,}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done == total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
