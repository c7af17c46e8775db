import platform

import pytest

from ranking.stats.memory import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_it_sets_the_allocator_thresholds_on_glibc():
    assert keep_freed_memory() is True
