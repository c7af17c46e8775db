"""A big snapshot's bootstrap fanned out over the Celery workers (docs/performance.md,
"Beyond one machine").

The process computing the snapshot (the coordinator) writes the bootstrap's plan
(:class:`ranking.stats.bootstrap.BlockPlan`, or ``DavidsonPlan`` for Davidson ties: the
fit, the counts to resample, one child generator per block, all derived from the snapshot's
seed) to storage, cuts its blocks into chunks and queues one ``bootstrap_chunk_task`` per
chunk. Whoever claims a chunk first (a worker, or the coordinator itself, which works
through the chunks nobody has claimed) computes it and stores its result; the coordinator
waits for the rest, takes back a chunk whose claim expired (its worker died), and puts the
results together in block order. A block's result depends only on the plan and its index,
so the replicates are bit-identical whatever the number of workers, and the same as without
fan-out (tested with 1 and 3 worker processes, ties as half and Davidson).

Claims are cache entries (``cache.add``: Redis in production) that expire after
``RANKING_FANOUT_LEASE_SECONDS``; the files live under ``snapshots/fanout/<key>/<digest>/``
(the snapshot's key, then the digest of the stored plan and chunks) in the default storage
(shared by every machine in a multi-machine site) and the coordinator removes its folder at
the end. What it cannot remove (the folder of an attempt that died, a chunk a slow worker
stored after its coordinator finished) is removed by beat's hourly :func:`fanout_prune`
(docs/reliability.md). The plan is a pickle written and read only by the product's own
processes.
"""

from __future__ import annotations

import hashlib
import io
import logging
import pickle
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from arena.media_staging import remove_empty_folders, stored_files
from ranking.models import RatingSnapshot
from ranking.stats.bootstrap import BootstrapPlan

FANOUT_FOLDER = "snapshots/fanout"
_POLL_SECONDS = 0.2
logger = logging.getLogger(__name__)


def fanout_wanted(n_cells: int, rounds: int) -> bool:
    """Whether a bootstrap is big enough to fan out: ``RANKING_FANOUT_MIN_WORK`` cells x
    rounds (0: never)."""
    threshold = settings.RANKING_FANOUT_MIN_WORK
    return bool(threshold) and rounds > 0 and n_cells * rounds >= threshold


class FanoutRunner:
    """The ``runner`` of :func:`ranking.stats.rate` for the snapshot with key ``key``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, plan: BootstrapPlan) -> list[tuple]:
        from ranking.tasks import bootstrap_chunk_task

        chunks = _chunks(plan.n_blocks)
        # The chunks travel with the plan: a worker whose RANKING_FANOUT_CHUNK_BLOCKS differs
        # still computes the coordinator's. The folder is named by the plan's bytes, so files
        # that a dead earlier attempt at this snapshot left (with another plan or other
        # chunks) are never taken for this one's; the same plan's are the same results.
        data = pickle.dumps((plan, chunks), pickle.HIGHEST_PROTOCOL)
        share = f"{self.key}/{hashlib.sha256(data).hexdigest()[:16]}"
        folder = _folder(share)
        _save(f"{folder}/plan.pkl", data)
        try:
            for index in range(len(chunks)):
                bootstrap_chunk_task.delay(share, index)
            results = self._gather(share, plan, chunks)
        finally:
            _remove(folder)
        return [result for chunk in results for result in chunk]

    @staticmethod
    def _gather(share: str, plan: BootstrapPlan, chunks: list[range]) -> list[list[tuple]]:
        """Every chunk's results: read from storage when a worker stored them, computed here
        when unclaimed or their claim lapsed (after ``RANKING_FANOUT_COORDINATOR_WAIT``
        seconds: 0 by default, the coordinator works too)."""
        results: dict[int, list[tuple]] = {}
        # The coordinator leaves the chunks to the workers for a while, if so configured.
        helping_from = time.monotonic() + settings.RANKING_FANOUT_COORDINATOR_WAIT
        while len(results) < len(chunks):
            helping = time.monotonic() >= helping_from
            progressed = False
            for index, blocks in enumerate(chunks):
                if index in results:
                    continue
                stored = _load_result(share, index)
                if stored is not None:
                    results[index], progressed = stored, True
                elif helping and _claim(share, index):
                    results[index] = plan.run_blocks(blocks, settings.RANKING_ENGINE_THREADS)
                    progressed = True
            if not progressed:
                time.sleep(_POLL_SECONDS)
        return [results[index] for index in range(len(chunks))]


def chunk_compute(share: str, index: int) -> bool:
    """A worker's share: compute chunk ``index`` of the stored plan ``share`` (the snapshot's
    key and the plan's digest) if nobody has claimed it and the coordinator still waits (its
    plan is stored); True if it did."""
    folder = _folder(share)
    if not default_storage.exists(f"{folder}/plan.pkl") or not _claim(share, index):
        return False
    try:
        plan, chunks = _load(f"{folder}/plan.pkl")
    except FileNotFoundError:  # the coordinator finished meanwhile
        return False
    results = plan.run_blocks(chunks[index], settings.RANKING_ENGINE_THREADS)
    _save(f"{folder}/chunk-{index}.pkl", results)
    _save(f"{folder}/chunk-{index}.done", b"")
    logger.info("bootstrap chunk %s of snapshot %s computed here", index, share)
    return True


def _chunks(n_blocks: int) -> list[range]:
    size = settings.RANKING_FANOUT_CHUNK_BLOCKS
    return [range(start, min(start + size, n_blocks)) for start in range(0, n_blocks, size)]


def _folder(share: str) -> str:
    return f"{FANOUT_FOLDER}/{share}"


def _claim(share: str, index: int) -> bool:
    return cache.add(f"fanout:{share}:{index}", 1, timeout=settings.RANKING_FANOUT_LEASE_SECONDS)


def _save(name: str, value: object) -> None:
    data = value if isinstance(value, bytes) else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(data))


def _load(name: str) -> object:
    with default_storage.open(name, "rb") as handle:
        # Only the product writes these files (never anything uploaded).
        return pickle.load(io.BytesIO(handle.read()))


def _load_result(share: str, index: int) -> list[tuple] | None:
    """A chunk's stored results, once its marker says the file is complete (``None`` also
    when the prune removed an old attempt's file meanwhile: the chunk is computed again)."""
    folder = _folder(share)
    if not default_storage.exists(f"{folder}/chunk-{index}.done"):
        return None
    try:
        return _load(f"{folder}/chunk-{index}.pkl")
    except FileNotFoundError:
        return None


def _remove(folder: str) -> None:
    """Every file under ``folder``, then the folder (and the snapshot's, once empty)."""
    try:
        names = stored_files(default_storage, folder)
    except FileNotFoundError:  # a local file system, the folder removed already
        names = []
    for name in names:
        default_storage.delete(name)
    remove_empty_folders(default_storage, folder.rsplit("/", 1)[0])


def fanout_prune(*, now: datetime | None = None) -> int:
    """Scheduled by beat: remove the fan-out folders nobody needs, those of snapshots not
    being computed whose files are all older than ``RANKING_FANOUT_KEEP_HOURS`` (a dead
    attempt's, or a chunk a slow worker stored after its coordinator finished). Returns how
    many folders were removed."""
    try:
        # Not storage.exists(): on an object store a folder is only a prefix, never an object.
        keys = default_storage.listdir(FANOUT_FOLDER)[0]
    except FileNotFoundError:  # a file system on which nothing was ever fanned out
        return 0
    oldest = (now or timezone.now()) - timedelta(hours=settings.RANKING_FANOUT_KEEP_HOURS)
    # A snapshot computing now may be reading its folder whatever its files' age (one
    # computed by `fit_ratings` has no time limit).
    running = RatingSnapshot.objects.filter(key__in=keys, status=RatingSnapshot.Status.RUNNING)
    removed = 0
    for key in set(keys) - set(running.values_list("key", flat=True)):
        removed += _prune_snapshot(f"{FANOUT_FOLDER}/{key}", oldest)
        remove_empty_folders(default_storage, f"{FANOUT_FOLDER}/{key}")
    return removed


def _prune_snapshot(folder: str, oldest: datetime) -> int:
    """Remove the plan folders under a snapshot's ``folder`` whose files are all older
    than ``oldest`` (a worker may still be storing a chunk in a newer one)."""
    removed = 0
    for digest in default_storage.listdir(folder)[0]:
        names = stored_files(default_storage, f"{folder}/{digest}")
        if any(default_storage.get_modified_time(name) > oldest for name in names):
            continue
        for name in names:
            default_storage.delete(name)
        removed += 1
    return removed
