"""keep_freed_memory against what it is for: page faults of a one-thread bootstrap."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from ranking.stats.memory import keep_freed_memory

#: A child process that fits a bootstrap on one thread and prints the minor page faults it
#: took, with or without keep_freed_memory (mallopt is process-wide, hence the child).
_FIT = """
import resource, sys
from bench.synthetic import synthetic_arena
from ranking.stats import rate
from ranking.stats.memory import keep_freed_memory
arena = synthetic_arena(200, 100_000, seed=1)
if sys.argv[1] == "keep":
    assert keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rate(arena.counts, rounds=100, seed=1, workers=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")


def _page_faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _FIT, mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[3],
    )
    return int(done.stdout)


@glibc_only
def test_it_sets_the_allocator_thresholds_on_glibc():
    assert keep_freed_memory() is True


@glibc_only
def test_freed_blocks_are_reused_instead_of_faulted_in_again():
    # K = 200, N = 100 k (sparse), 100 rounds: about 15,700 faults with glibc's defaults,
    # 2,300 kept (session 9). Dense data no longer free and fault much since the sampler
    # writes straight into the refits' layout (N = 200 k: 1,700 against 1,200).
    assert _page_faults("keep") * 3 < _page_faults("plain")
