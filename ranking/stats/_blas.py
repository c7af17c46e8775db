"""Keep OpenBLAS single-threaded inside the bootstrap's worker threads.

The bootstrap runs blocks of rounds on a few Python threads; each block does small dense
solves. If OpenBLAS also starts its own threads for those, they oversubscribe the cores and
spin, which on a 2-core machine costs more than the threads gain. OpenBLAS (0.3.27+, as
bundled by numpy and scipy wheels) offers a per-thread setting for exactly this case:
``openblas_set_num_threads_local``. Where it cannot be found this is a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import re
from collections.abc import Iterator


@functools.cache
def _openblas_setters() -> tuple[ctypes._CFuncPtr, ...]:
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted(set(re.findall(r"\S*openblas\S*\.so\S*", maps.read())))
    except OSError:
        return ()
    setters = []
    for path in paths:
        try:
            setter = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        setter.restype = ctypes.c_int
        setters.append(setter)
    return tuple(setters)


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Within the calling thread only, run OpenBLAS on one thread; restore on exit."""
    setters = _openblas_setters()
    previous = [setter(1) for setter in setters]
    try:
        yield
    finally:
        for setter, value in zip(setters, previous, strict=True):
            setter(value)
