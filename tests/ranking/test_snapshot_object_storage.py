"""A snapshot's ``.npz`` (cells and bootstrap replicates) written to and read from an
S3-compatible store (moto's server), as a worker and a web server on different hosts do."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.storage import storages

from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from ranking.storage import snapshot_data, snapshot_data_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(voted_models, object_storage):
    requested, needed = snapshot_request(spec=SnapshotSpec(modality="text", rounds=120))
    assert needed
    return snapshot_compute(snapshot_id=requested.pk)


def test_the_snapshot_file_is_an_object_of_the_bucket(snapshot, object_storage, local_s3):
    assert snapshot.data_file.name == f"snapshots/{snapshot.key}.npz"
    assert local_s3.keys(object_storage, "snapshots/") == {snapshot.data_file.name}
    body = local_s3.client().get_object(Bucket=object_storage, Key=snapshot.data_file.name)
    with np.load(io.BytesIO(body["Body"].read())) as data:
        assert data["replicates"].shape == (120, 4)


def test_a_process_with_a_fresh_storage_reads_the_replicates_back(snapshot):
    storages._storages.clear()  # what another process starts with: no storage yet
    assert snapshot_data(snapshot)["replicates"].shape == (120, 4)


def test_the_downloads_come_from_the_bucket_without_its_headers(
    client, snapshot, object_storage, local_s3
):
    stored = local_s3.client().get_object(Bucket=object_storage, Key=snapshot.data_file.name)
    npz = client.get(f"/api/v1/snapshots/{snapshot.pk}/data.npz")
    assert npz.status_code == 200 and npz.content == stored["Body"].read()
    replicates = client.get(f"/api/v1/snapshots/{snapshot.pk}/replicates.csv")
    assert replicates.status_code == 200
    assert len(replicates.content.decode().strip().splitlines()) == 121  # header + rounds
    for response in (npz, replicates):
        headers = " ".join(f"{name}: {value}" for name, value in response.items()).lower()
        assert "amz" not in headers and object_storage not in headers


def test_a_recomputed_snapshot_replaces_its_object(snapshot, object_storage, local_s3):
    data = snapshot_data(snapshot)
    name = snapshot_data_save(snapshot, list(data["model_ids"]), data["cells"], data["replicates"])
    assert name == snapshot.data_file.name  # the same key, not a suffixed copy
    assert local_s3.keys(object_storage, "snapshots/") == {f"snapshots/{snapshot.key}.npz"}
