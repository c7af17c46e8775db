import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ranking.stats.processes import FORK_AVAILABLE, WorkerDied, forked_map

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(not FORK_AVAILABLE, reason="forked workers run on Linux only")

#: The test process: with two processes it computes items 0, 1, 3, 5, ..., a child 2, 4, ...
PARENT = os.getpid()


def child_pids() -> set[int]:
    """This process's children, waited for or not (zombies included), from /proc."""
    tasks = Path("/proc/self/task")
    return {int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()}


@pytest.fixture
def no_child_left():
    """The test leaves no child process of its own behind, running or unwaited."""
    before = child_pids()
    yield
    assert child_pids() <= before


def squared_with_pid(index: int) -> tuple[int, int]:
    return index * index, os.getpid()


@pytest.mark.parametrize(("count", "processes"), [(0, 2), (1, 2), (2, 2), (3, 2), (17, 3), (5, 9)])
def test_results_come_back_in_item_order_whatever_the_processes(count, processes, no_child_left):
    results = forked_map(squared_with_pid, count, processes)
    assert [square for square, _ in results] == [i * i for i in range(count)]


def test_the_items_are_shared_by_as_many_processes_as_asked(no_child_left):
    pids = [pid for _, pid in forked_map(squared_with_pid, 30, 3)]
    assert pids[0] == os.getpid()  # item 0 runs here, before the children are forked
    assert len(set(pids)) == 3
    # Round-robin after item 0: every process gets every third item.
    assert all(pids[i] == pids[i + 3] for i in range(1, 27))


def fails_in_a_child(index: int) -> int:
    if index == 4 and os.getpid() != PARENT:
        raise ValueError(f"item {index} cannot be computed")
    return index


def test_an_exception_in_a_child_is_raised_here_with_its_traceback(no_child_left):
    with pytest.raises(ValueError, match="item 4 cannot be computed") as raised:
        forked_map(fails_in_a_child, 10, 2)
    assert any("in bootstrap worker process" in note for note in raised.value.__notes__)
    assert any("fails_in_a_child" in note for note in raised.value.__notes__)


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not picklable")


def raises_unpicklable(index: int) -> int:
    if index == 2:
        raise Unpicklable("the child's own error")
    return index


def test_an_exception_that_does_not_pickle_comes_back_as_its_traceback(no_child_left):
    with pytest.raises(RuntimeError, match="the child's own error"):
        forked_map(raises_unpicklable, 6, 2)


def killed_at_item_4(index: int) -> int:
    if index == 4 and os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return index


def test_a_child_that_dies_is_named_with_its_signal(no_child_left):
    with pytest.raises(WorkerDied, match="ended without its results .killed by SIGKILL"):
        forked_map(killed_at_item_4, 10, 2)


def test_a_share_whose_process_cannot_be_forked_is_computed_here(monkeypatch, no_child_left):
    forks = iter([os.fork])

    def fork_once() -> int:
        fork = next(forks, None)
        if fork is None:
            raise BlockingIOError("Resource temporarily unavailable")
        return fork()

    monkeypatch.setattr(os, "fork", fork_once)
    results = forked_map(squared_with_pid, 20, 3)
    assert [square for square, _ in results] == [i * i for i in range(20)]
    assert len({pid for _, pid in results}) == 2  # this process and the one child forked


class HalfWriter:
    """In a child: its pipe, which writes half of the results, then the child is killed."""

    def __init__(self, descriptor: int, mode: str) -> None:
        self.pipe = open(descriptor, mode)  # noqa: SIM115 - closed by the kill

    def __enter__(self) -> "HalfWriter":
        return self

    def __exit__(self, *_) -> None:
        pass

    def write(self, data: bytes) -> None:
        self.pipe.write(data[: len(data) // 2])
        self.pipe.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def killed_writing_its_results(index: int) -> int:
    if os.getpid() != PARENT:
        os.fdopen = HalfWriter  # this child only: it ends with its results
    return index


def test_a_child_killed_in_the_middle_of_its_results_is_named_with_its_signal(no_child_left):
    with pytest.raises(WorkerDied, match="killed by SIGKILL"):
        forked_map(killed_writing_its_results, 6, 2)


def fails_here(index: int) -> int:
    if index == 4 and os.getpid() == PARENT:
        raise KeyError("the parent's own item")
    return index


def test_children_are_ended_and_waited_for_when_this_process_fails(no_child_left):
    with pytest.raises(KeyError, match="the parent's own item"):
        forked_map(fails_here, 40, 3)


#: Each worker writes its pid line in one call: two workers' lines written by ``print``,
#: text then newline, interleave on a shared pipe where output is unbuffered
#: (``PYTHONUNBUFFERED``, set on these machines).
ORPHANED = """
import os, sys, time
from ranking.stats.processes import forked_map

def wait(index):
    if os.getpid() != PARENT:
        os.write(sys.stdout.fileno(), b"%d\\n" % os.getpid())
        time.sleep(120)
    return index

PARENT = os.getpid()
forked_map(wait, 8, 3)
"""


def ended(pid: int) -> bool:
    """Whether ``pid`` has ended (gone, or a zombie nobody has waited for yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_the_workers_end_when_their_parent_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHANED], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    workers = [int(parent.stdout.readline()) for _ in range(2)]
    parent.kill()
    parent.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not all(ended(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(ended(pid) for pid in workers)
