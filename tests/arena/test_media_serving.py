from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from arena import views_media
from arena.demo_media import demo_png, demo_video
from arena.media import FolderSource
from arena.models import Output
from arena.presenting import served_media_url
from arena.set_ingest import prompt_set_ingest
from tests.arena.import_helpers import jsonl, media_rows
from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outputs(tmp_path):
    """An image and a video, imported; the tests compare with the bytes written here (an
    encoder build decides those bytes, so they are never spelled out)."""
    AIModelFactory(key="secret-model-a"), AIModelFactory(key="secret-model-b")
    (tmp_path / "a-by-secret-model-a.png").write_bytes(demo_png("a"))
    (tmp_path / "b.mp4").write_bytes(demo_video("b"))
    for modality, path in (("image", "a-by-secret-model-a.png"), ("video", "b.mp4")):
        rows = media_rows(modality, {("p1", "secret-model-a"): path}, set_name=modality)
        report = prompt_set_ingest(
            manifest=jsonl(rows), manifest_name="m.jsonl", media=FolderSource(tmp_path)
        )
        assert report.ok, report.errors
    return {o.modality: o for o in Output.objects.all()} | {"folder": tmp_path}


def test_media_are_served_at_an_opaque_url_that_names_no_model(client, outputs):
    image = outputs["image"]
    url = served_media_url(image.media.name)
    assert url == "/media/o/" + image.media.name.removeprefix("outputs/")
    assert "secret" not in url and "a-by" not in url
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "filename" not in response["Content-Disposition"]
    assert (
        b"".join(response.streaming_content)
        == (outputs["folder"] / "a-by-secret-model-a.png").read_bytes()
    )


def test_the_storage_url_of_a_file_field_is_served_too(client, outputs):
    video = outputs["video"]  # uploaded as MP4, served as WebM like every video
    assert video.media.url == f"/media/{video.media.name}"
    assert video.media.name.startswith("outputs/") and video.media.name.endswith(".webm")
    response = client.get(video.media.url)
    response.close()
    assert response.status_code == 200 and response["Content-Type"] == "video/webm"


def test_staged_uploads_are_never_served(client, outputs):
    assert client.get("/media/uploads/" + "0" * 64 + ".png").status_code == 404


def test_a_video_can_be_fetched_by_byte_ranges_for_seeking(client, outputs):
    url = served_media_url(outputs["video"].media.name)
    with default_storage.open(outputs["video"].media.name) as handle:
        whole = handle.read()
    response = client.get(url, HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{len(whole)}"
    assert b"".join(response.streaming_content) == whole[10:20]
    suffix = client.get(url, HTTP_RANGE="bytes=-5")
    assert b"".join(suffix.streaming_content) == whole[-5:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(whole)}-").status_code == 416


def test_unknown_or_malformed_names_are_not_found(client, outputs):
    assert client.get("/media/o/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/media/o/../secret_key").status_code == 404
    assert client.get("/media/x/" + outputs["image"].checksum + ".png").status_code == 404
    # the right hash with another extension is another name
    assert client.get(f"/media/o/{outputs['image'].checksum}.gif").status_code == 404
    assert client.post(served_media_url(outputs["image"].media.name)).status_code == 405


def test_a_range_is_streamed_from_storage_a_chunk_at_a_time(client, outputs, monkeypatch):
    monkeypatch.setattr(views_media, "CHUNK_BYTES", 100)
    url = served_media_url(outputs["video"].media.name)
    with default_storage.open(outputs["video"].media.name) as handle:
        whole = handle.read()  # the served (normalised) bytes, not the upload's
    response = client.get(url, HTTP_RANGE="bytes=7-")
    assert response.status_code == 206 and response.streaming
    chunks = list(response.streaming_content)
    assert b"".join(chunks) == whole[7:]
    assert len(chunks) == -(-(len(whole) - 7) // 100)  # never the whole range in one piece
    assert response["Content-Length"] == str(len(whole) - 7)


def test_media_can_be_handed_to_the_web_server(client, outputs, settings):
    video = outputs["video"]
    settings.ARENA_MEDIA_SENDFILE = "x-accel-redirect"
    response = client.get(served_media_url(video.media.name), HTTP_RANGE="bytes=0-")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/internal-media/{video.media.name}"
    assert response["Content-Type"] == "video/webm"  # every video is served as WebM
    assert response["X-Content-Type-Options"] == "nosniff"
    settings.ARENA_MEDIA_SENDFILE = "x-sendfile"
    response = client.get(served_media_url(video.media.name))
    assert response["X-Sendfile"] == str(Path(settings.MEDIA_ROOT) / video.media.name)
