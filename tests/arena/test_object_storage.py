"""Media, staged uploads and their cleanup on an S3-compatible store (moto's server): what a
voter receives is the same bytes with the same headers as from the file system, and nothing
of the bucket."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from arena import views_media
from arena.demo_media import demo_png, demo_video
from arena.media_staging import MediaStaging, staging_cleanup
from arena.models import Output
from arena.presenting import output_payload, served_media_url
from config.env import env_object_storage
from config.errors import RETRY_AFTER_SECONDS
from tests.arena.import_helpers import jsonl, media_rows, zip_bytes
from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(object_storage, tmp_path, request):
    """An image and a video imported into the bucket (pictures of this test's own)."""
    AIModelFactory(key="secret-model-a", modalities=["image", "video"])
    members = {"a-by-secret-model-a.png": demo_png(request.node.name), "b.mp4": demo_video("b")}
    (tmp_path / "media.zip").write_bytes(zip_bytes(members))
    for modality, name in (("image", "a-by-secret-model-a.png"), ("video", "b.mp4")):
        manifest = tmp_path / f"{modality}.jsonl"
        manifest.write_bytes(
            jsonl(media_rows(modality, {("p1", "secret-model-a"): name}, set_name=modality))
        )
        call_command("import_set", str(manifest), "--media", str(tmp_path / "media.zip"))
    return {output.modality: output for output in Output.objects.all()}


def served_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_imported_media_are_objects_of_the_bucket_and_staging_is_left_empty(
    stored, object_storage, local_s3
):
    keys = local_s3.keys(object_storage)
    assert {stored["image"].media.name, stored["video"].media.name} <= keys
    assert not any(key.startswith("staging/") for key in keys)


def test_a_voter_gets_the_stored_bytes_and_headers_naming_nothing_of_the_bucket(
    client, stored, object_storage
):
    image = stored["image"]
    payload = output_payload(image)
    assert payload["url"] == served_media_url(image.media.name)  # never the bucket's URL
    response = client.get(payload["url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with default_storage.open(image.media.name) as handle:
        assert served_bytes(response) == handle.read()
    assert response["Content-Length"] == str(image.media.size)
    headers = " ".join(f"{name}: {value}" for name, value in response.items()).lower()
    assert "amz" not in headers and object_storage not in headers
    assert "secret-model" not in headers and "etag" not in headers
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Accept-Ranges"] == "bytes"


def test_a_video_is_seekable_by_byte_ranges_from_the_bucket(client, stored, monkeypatch):
    monkeypatch.setattr(views_media, "CHUNK_BYTES", 100)
    video = stored["video"]
    with default_storage.open(video.media.name) as handle:
        whole = handle.read()
    url = served_media_url(video.media.name)
    response = client.get(url, HTTP_RANGE="bytes=10-409")
    assert response.status_code == 206 and response["Content-Type"] == "video/webm"
    assert response["Content-Range"] == f"bytes 10-409/{len(whole)}"
    chunks = list(response.streaming_content)
    assert b"".join(chunks) == whole[10:410] and len(chunks) == 4  # a chunk at a time
    assert served_bytes(client.get(url, HTTP_RANGE="bytes=-5")) == whole[-5:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(whole)}-").status_code == 416


def test_a_media_request_asks_the_store_once_for_the_size_and_once_for_the_bytes(client, stored):
    asked = []
    events = default_storage.connection.meta.client.meta.events
    events.register("before-call.s3", lambda model, **_: asked.append(model.name))
    image, video = stored["image"], stored["video"]
    served_bytes(client.get(served_media_url(image.media.name)))
    served_bytes(client.get(served_media_url(video.media.name), HTTP_RANGE="bytes=0-99"))
    assert asked == ["HeadObject", "GetObject"] * 2
    asked.clear()
    assert client.get(served_media_url(f"outputs/{'0' * 64}.png")).status_code == 404
    assert asked == []  # no row holds that file: the store is not asked


def test_media_of_a_store_that_cannot_be_reached_are_a_503_with_retry_after(
    stored, settings, object_storage, local_s3
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    environment = local_s3.environment(object_storage) | {"ARENA_S3_ENDPOINT_URL": closed}
    settings.STORAGES = settings.STORAGES | {"default": env_object_storage(environ=environment)}
    response = Client(raise_request_exception=False).get(
        served_media_url(stored["image"].media.name)
    )
    assert response.status_code == 503 and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Server Error (500)" not in response.content.decode()


def test_an_abandoned_staging_folder_in_the_bucket_is_removed_by_the_cleanup(
    object_storage, local_s3
):
    staging = MediaStaging()
    staging.write("outputs/" + "0" * 64 + ".png", demo_png("abandoned"))
    assert any(key.startswith("staging/") for key in local_s3.keys(object_storage))
    assert staging_cleanup() == (0, 0)  # too recent: an import may still be writing
    assert staging_cleanup(now=timezone.now() + timedelta(hours=2)) == (0, 1)
    assert local_s3.keys(object_storage) == set()


def test_a_staged_file_whose_row_was_committed_is_moved_in_place_by_the_cleanup(
    stored, object_storage, local_s3
):
    image = stored["image"]
    default_storage.delete(image.media.name)  # killed between the commit and the move
    staging = MediaStaging()
    staging.write(image.media.name, demo_png("moved"))
    assert staging_cleanup(now=timezone.now() + timedelta(hours=2)) == (1, 0)
    assert image.media.name in local_s3.keys(object_storage)
    assert not local_s3.keys(object_storage, "staging/")


def test_media_stored_before_normalisation_are_normalised_in_the_bucket(
    object_storage, local_s3, capsys
):
    from tests.arena.test_media_blindness import leaky_jpeg
    from tests.arena.test_normalise_media import stored_as_before

    output = stored_as_before(leaky_jpeg(), "jpg", "image")
    old = output.media.name
    call_command("normalise_media")
    assert "1 media files checked, 1 normalised, 0 failed" in capsys.readouterr().out
    output.refresh_from_db()
    assert output.media.name.endswith(".png")
    assert local_s3.keys(object_storage) == {output.media.name}  # the old object is gone
    assert old != output.media.name
