"""How a process that runs the engine asks the C allocator to keep freed memory.

The bootstrap allocates and frees temporaries of a few megabytes per block of rounds (draws,
row totals, residuals, the replicate check's arrays). glibc's malloc serves such sizes with
``mmap`` and, once freed, hands them back to the kernel (``munmap``, or a trim of the heap's
top), so the next block's arrays fault their pages in again: at K = 200, N = 5 M, 1,000
rounds, 269,000 page faults and about 0.8 s of system time in a 4 s command. With a high
mmap threshold and trim threshold, freed blocks stay in the process and are reused: 25,000
faults (docs/performance.md, "Faster engine (item 3), fourth session"). The cost is that a
process keeps up to its peak heap after a fit instead of shrinking back; the command line
exits, and a Celery worker fits again at the same size.

Called at the start of ``python -m ranking.stats`` and of each Celery worker process; a no-op
where the C library is not glibc (``mallopt`` absent: musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks below this come from the heap and are reused (glibc caps the value at 32 MB on
#: 64-bit systems: larger requests are still mapped and unmapped each time).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap kept rather than returned to the kernel.
TRIM_THRESHOLD = 1024 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; True when it took effect."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success, 0 on error (a value it refuses).
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) & bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
