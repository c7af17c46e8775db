"""Media of an import go through a staging folder: a killed import leaves nothing that the
hourly cleanup does not remove (or, if its rows were committed, finish moving)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from arena.demo_media import demo_png
from arena.media_staging import MediaStaging, staging_cleanup
from arena.models import Output
from tests.arena.import_helpers import jsonl, media_files, media_rows, zip_bytes
from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db
IMAGES = {("p1", "m-a"): "a.png", ("p1", "m-b"): "b.png"}


@pytest.fixture(autouse=True)
def models():
    return [AIModelFactory(key=key, modalities=["image"]) for key in ("m-a", "m-b")]


@pytest.fixture
def image_set(tmp_path, request):
    """Pictures of their own (media files outlive a test: content-addressed, they would
    already be stored)."""
    manifest, archive = tmp_path / "set.jsonl", tmp_path / "media.zip"
    manifest.write_bytes(jsonl(media_rows("image", IMAGES)))
    pictures = {name: demo_png(f"{name}-{request.node.name}") for name in ("a.png", "b.png")}
    archive.write_bytes(zip_bytes(pictures))
    return str(manifest), str(archive)


def later() -> timezone.datetime:
    return timezone.now() + timedelta(hours=2)


def test_an_import_stores_its_media_under_their_final_names_and_leaves_no_staging(image_set):
    before = media_files()
    call_command("import_set", *image_set[:1], "--media", image_set[1])
    new = media_files() - before
    assert new == {output.media.name for output in Output.objects.all()}
    assert not any(name.startswith("staging/") for name in media_files())


def test_an_import_killed_before_its_commit_leaves_only_staged_files_the_cleanup_removes(
    image_set, monkeypatch
):
    before = media_files()

    def killed(*args, **kwargs):  # the process dies: no cleanup of its own runs
        raise SystemExit(-9)

    monkeypatch.setattr("arena.set_ingest._write_rows", killed)
    monkeypatch.setattr(MediaStaging, "discard", lambda self: None)
    with pytest.raises(SystemExit):
        call_command("import_set", image_set[0], "--media", image_set[1])
    left = media_files() - before
    assert len(left) == 2 and all(name.startswith("staging/") for name in left)
    assert staging_cleanup() == (0, 0)  # too recent: an import may still be writing
    assert staging_cleanup(now=later()) == (0, 2)
    assert media_files() == before


def test_an_import_killed_between_its_commit_and_the_move_gets_its_files_from_the_cleanup(
    image_set, monkeypatch
):
    def killed(self):
        raise SystemExit(-9)

    monkeypatch.setattr(MediaStaging, "promote", killed)
    with pytest.raises(SystemExit):
        call_command("import_set", image_set[0], "--media", image_set[1])
    referenced = {output.media.name for output in Output.objects.all()}
    assert len(referenced) == 2 and not referenced & media_files()
    assert staging_cleanup(now=later()) == (2, 0)
    assert referenced <= media_files()
    assert not any(name.startswith("staging/") for name in media_files())
