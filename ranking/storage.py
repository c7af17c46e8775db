"""A snapshot's ``.npz`` file: model ids, aggregated cells and bootstrap replicates."""

from __future__ import annotations

import io

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ranking.models import RatingSnapshot


def snapshot_data_save(
    snapshot: RatingSnapshot,
    model_ids: list[int],
    cells: np.ndarray,
    replicates: np.ndarray,
    *,
    extra: dict[str, np.ndarray] | None = None,
) -> str:
    """Write the compact binary beside the rows; returns its storage name. Named by the
    snapshot key, so a retry after a crash overwrites its own half-written file instead of
    leaving an orphan. ``extra`` arrays are stored under their names (``openness``,
    ``style_rows``)."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        model_ids=np.asarray(model_ids, dtype=np.int64),
        cells=cells,
        replicates=replicates.astype(np.float32),
        **(extra or {}),
    )
    name = f"snapshots/{snapshot.key}.npz"
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(buffer.getvalue()))


def snapshot_data(snapshot: RatingSnapshot) -> dict[str, np.ndarray]:
    """The arrays of a snapshot's file: ``model_ids`` (K,), ``cells`` (m, 4) and
    ``replicates`` (R, K) float32; since engine 1.1 also ``openness`` (R, K) int8 (non-zero
    where a round's votes leave the score unbounded, see docs/ratings.md), and for a
    style-controlled snapshot ``style_rows`` (m, 4 + 2F) int64."""
    with snapshot.data_file.open("rb") as handle:
        data = np.load(io.BytesIO(handle.read()))
        return {name: data[name] for name in data.files}


def snapshot_arrays(snapshot: RatingSnapshot, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Only the named arrays of a snapshot's file that it has (each is decompressed on
    its own: the counts of a big snapshot are read without its replicates)."""
    with snapshot.data_file.open("rb") as handle, np.load(io.BytesIO(handle.read())) as data:
        return {name: data[name] for name in names if name in data.files}
