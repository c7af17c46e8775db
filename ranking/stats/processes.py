"""Independent work items over forked processes, for the bootstrap's blocks.

The blocks' numpy calls are many and short (a block of eight rounds at K = 200 makes a few
hundred), and the interpreter lock is held between them and inside some (``ufunc.reduceat``,
``ufunc.at``): two threads ran the K = 200 bootstrap only 1.25 times as fast as one, two
forked processes 2.0 times (docs/decisions.md, "Bootstrap blocks in forked processes"). A
forked child inherits the plan (nothing is pickled on the way in), computes its share of the
items and sends their results back through a pipe, pickled.

Only on Linux, where ``fork`` is the platform's own way to start processes; elsewhere the
callers use threads (:data:`FORK_AVAILABLE`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, NoReturn, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Whether :func:`forked_map` can run here.
FORK_AVAILABLE = sys.platform.startswith("linux")


class WorkerDied(RuntimeError):
    """A forked worker ended without sending its results (killed, or out of memory)."""


def forked_map(function: Callable[[int], T], count: int, processes: int) -> list[T]:
    """``[function(i) for i in range(count)]`` over ``processes`` processes: this one and
    ``processes - 1`` forked children, the items dealt round-robin.

    Item 0 runs here first, before any fork, so that what it computes and caches on first use
    (the plan's shared tables) is inherited by the children rather than computed by each.
    An exception in a child is raised here (with the child's traceback as a note); a child
    that dies without its results raises :class:`WorkerDied`. A share whose process cannot be
    forked (a limit on processes or memory) is computed here. However this call ends, every
    child has ended and been waited for.
    """
    if count == 0:
        return []
    results: list = [function(0), *[None] * (count - 1)]
    processes = max(1, min(processes, count - 1))
    shares = [range(1 + share, count, processes) for share in range(processes)]
    here, children = [shares[0]], []
    try:
        for share in shares[1:]:
            try:
                children.append(_Child.fork(function, share))
            except OSError:
                here.append(share)
        logger.info("%d bootstrap blocks over this process and %d forked", count, len(children))
        for index in (index for share in here for index in share):
            results[index] = function(index)
        for child in children:
            for index, result in zip(child.indices, child.results(), strict=True):
                results[index] = result
        return results
    finally:
        for child in children:
            child.end()


@dataclass
class _Child:
    """A forked process computing ``function`` of ``indices``, with the read end of the pipe
    its results come back through; ``pid`` is None once it has been waited for."""

    pid: int | None
    pipe: BinaryIO
    indices: range

    @classmethod
    def fork(cls, function: Callable[[int], T], indices: range) -> _Child:
        read_end, write_end = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:
            _end_with(parent)
            os.close(read_end)
            _compute(function, indices, write_end)
        os.close(write_end)
        return cls(pid, os.fdopen(read_end, "rb"), indices)

    def results(self) -> list:
        """The results the child sent, once it has ended (its exception raised here)."""
        assert self.pid is not None
        data = self.pipe.read()
        self.pipe.close()
        _, status = os.waitpid(self.pid, 0)
        pid, self.pid = self.pid, None
        if status != 0 or not data:  # killed, possibly in the middle of its results
            raise WorkerDied(
                f"bootstrap worker process {pid} ended without its results ({_how(status)})"
            )
        message = pickle.loads(data)
        if message[0] == "results":
            return message[1]
        _, error, child_traceback = message
        if error is None:
            raise RuntimeError(f"bootstrap worker process {pid} failed:\n{child_traceback}")
        error.add_note(f"in bootstrap worker process {pid}:\n{child_traceback}")
        raise error

    def end(self) -> None:
        """Ended, whatever it was doing (an exception is ending :func:`forked_map`): killed
        and waited for if still running, its pipe closed."""
        self.pipe.close()
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None


#: Linux's prctl option: the signal the kernel sends a process when its parent ends.
_PR_SET_PDEATHSIG = 1


def _end_with(parent: int) -> None:
    """In the child: killed by the kernel if its parent ends first. A Celery hard time limit
    SIGKILLs the process that computes a bootstrap; its forked workers would otherwise
    compute on, orphaned, for results nobody reads."""
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)


def _compute(function: Callable[[int], T], indices: range, write_end: int) -> NoReturn:
    """In the child: the results (or the exception) down the pipe, then exit at once, with
    no clean-up of the state it shares with the parent (handlers, buffers, atexit hooks)."""
    status = 0
    try:
        try:
            message: tuple = ("results", [function(index) for index in indices])
        except BaseException as error:  # every failure goes to the parent
            message = ("error", error, traceback.format_exc())
        try:
            data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        except Exception as unsent:  # results or an exception that do not pickle: as text
            failure = message[2] if message[0] == "error" else ""
            data = pickle.dumps(("error", None, f"{failure}which could not be sent: {unsent!r}"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # the parent gets no results and says so
        status = 1
    finally:
        os._exit(status)


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
