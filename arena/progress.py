"""Progress of long imports: the callback they report to, and a progress bar for management
commands (plain text, redrawn in place on a terminal and printed at most every 10%
otherwise, so logs stay short), with the rate in rows a second and the time left. No
dependency."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[str, int, int], None]  # phase, done, total (0: not known yet)


def no_progress(phase: str, done: int, total: int) -> None:
    """For callers that do not watch."""


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ProgressBar:
    def __init__(self, stream: TextIO, *, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last: tuple[str, int] = ("", -1)
        self._drawn = 0.0
        self._started: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        started = self._started.setdefault(phase, now)
        if total <= 0:
            return
        tenth = 10 * min(done, total) // total
        if self.tty:
            if done != total and now - self._drawn < 0.1:
                return
        elif (phase, tenth) == self._last:
            return
        self._last, self._drawn = (phase, tenth), now
        self._draw(self.line(phase, done, total, now - started), done == total)

    def line(self, phase: str, done: int, total: int, elapsed: float) -> str:
        """``phase [####------]  40% 2,000/5,000 1,234/s, 0:03 left`` (rate and time left
        once the phase has run long enough to measure them)."""
        done_shown = min(done, total)
        filled = self.width * done_shown // total
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{phase:>15} [{bar}] {100 * done_shown // total:3d}% {done:,}/{total:,}"
        if elapsed >= 0.5 and done:
            rate = done / elapsed
            left = "" if done >= total else f", {_duration((total - done) / rate)} left"
            line += f" {rate:,.0f}/s{left}"
        return line

    def _draw(self, line: str, last: bool) -> None:
        if self.tty:
            self.stream.write("\r" + line + ("\n" if last else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
