"""`manage.py normalise_media`: media stored before imports normalised them are brought
into served form; what is already served form (the demo's) is left alone."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from arena.demo_media import demo_video
from arena.models import Modality, Output
from tests.arena.test_media_blindness import SECRETS, leaky_jpeg, leaky_video
from tests.factories import OutputFactory

pytestmark = pytest.mark.django_db


def stored_as_before(data: bytes, ext: str, modality: str) -> Output:
    """An output as an import before normalisation stored it: the upload's own bytes."""
    digest = hashlib.sha256(data).hexdigest()
    name = default_storage.save(f"outputs/{digest}.{ext}", ContentFile(data))
    return OutputFactory(modality=modality, text="", media=name, checksum=digest)


def test_old_media_are_normalised_and_their_old_files_removed(capsys):
    image = stored_as_before(leaky_jpeg(), "jpg", Modality.IMAGE)
    video = stored_as_before(leaky_video("mp4"), "mp4", Modality.VIDEO)
    old = {image.media.name, video.media.name}
    call_command("normalise_media")
    assert "2 media files checked, 2 normalised, 0 failed" in capsys.readouterr().out
    for output, ext, mime in ((image, "png", "image/png"), (video, "webm", "video/webm")):
        checksum = output.checksum
        output.refresh_from_db()
        assert output.media.name.endswith(f".{ext}") and output.media_meta["mime"] == mime
        assert output.checksum == checksum  # the upload's hash: re-uploads still match
        with default_storage.open(output.media.name) as handle:
            data = handle.read()
        assert output.media.name == f"outputs/{hashlib.sha256(data).hexdigest()}.{ext}"
        assert not any(secret.encode() in data for secret in SECRETS)
    assert not any(default_storage.exists(name) for name in old)
    call_command("normalise_media")
    assert "2 media files checked, 0 normalised" in capsys.readouterr().out


def test_a_dry_run_changes_nothing(capsys):
    output = stored_as_before(leaky_jpeg(), "jpg", Modality.IMAGE)
    call_command("normalise_media", "--dry-run")
    assert "1 normalised" in capsys.readouterr().out
    name = output.media.name
    output.refresh_from_db()
    assert output.media.name == name and default_storage.exists(name)


def test_the_demo_media_are_already_in_served_form(capsys):
    stored_as_before(demo_video("old-demo", fmt="webm"), "webm", Modality.VIDEO)
    call_command("seed_demo", "--votes-per-month", "0")
    capsys.readouterr()
    call_command("normalise_media", "--dry-run")
    assert ", 0 normalised, 0 failed" in capsys.readouterr().out
