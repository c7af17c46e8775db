from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

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
    assert response.content == whole[10:20]
    assert client.get(url, HTTP_RANGE="bytes=-5").content == whole[-5:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(whole)}-").status_code == 416


def test_unknown_or_malformed_names_are_not_found(client, outputs):
    assert client.get("/media/o/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/media/o/../secret_key").status_code == 404
    assert client.get("/media/x/" + outputs["image"].checksum + ".png").status_code == 404
    # the right hash with another extension is another name
    assert client.get(f"/media/o/{outputs['image'].checksum}.gif").status_code == 404
    assert client.post(served_media_url(outputs["image"].media.name)).status_code == 405
