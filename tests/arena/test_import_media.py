"""Importing image and video sets with their media, from an archive or a folder."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from arena.demo_media import demo_png, demo_video
from arena.media import MediaLimits, media_normalise
from arena.models import Output, Prompt
from tests.arena.import_helpers import (
    jsonl,
    media_files,
    media_rows,
    report_lines,
    snapshot,
    zip_bytes,
)
from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def models():
    return [AIModelFactory(key=key, modalities=["image", "video"]) for key in ("m-a", "m-b")]


def write(tmp_path, rows, members: dict[str, bytes]):
    manifest = tmp_path / "set.jsonl"
    manifest.write_bytes(jsonl(rows))
    archive = tmp_path / "media.zip"
    archive.write_bytes(zip_bytes(members))
    return str(manifest), str(archive)


def refused(capsys, *args: str) -> list[str]:
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_set", *args)
    return report_lines(capsys.readouterr().err)


IMAGES = {("p1", "m-a"): "img/a1.png", ("p1", "m-b"): "img/b1.jpeg", ("p2", "m-a"): "a2.bin"}


def image_members() -> dict[str, bytes]:
    return {
        "img/a1.png": demo_png("a1"),
        "img/b1.jpeg": demo_png("b1", fmt="WEBP"),  # the name says JPEG; the bytes say WebP
        "a2.bin": demo_png("a2", fmt="GIF"),
    }


def test_an_image_set_is_stored_normalised_under_the_hash_of_the_served_bytes(tmp_path, capsys):
    members = image_members()
    manifest, archive = write(tmp_path, media_rows("image", IMAGES), members)
    call_command("import_set", manifest, "--media", archive)
    assert "outputs: 3 created" in capsys.readouterr().out
    output = Output.objects.get(prompt__external_id="p1", model__key="m-b")
    served, info = media_normalise(members["img/b1.jpeg"], modality="image", limits=MediaLimits())
    assert output.media.name == f"outputs/{hashlib.sha256(served).hexdigest()}.png"
    # The checksum is the upload's: a re-upload is recognised by the file the admin has.
    assert output.checksum == hashlib.sha256(members["img/b1.jpeg"]).hexdigest()
    assert output.media_meta == {
        "mime": "image/png",
        "bytes": len(served),
        "width": 256,
        "height": 256,
    }
    with default_storage.open(output.media.name) as handle:
        assert handle.read() == served
    assert "m-b" not in output.media.name and "b1" not in output.media.name
    assert {o.media.name.rsplit(".", 1)[1] for o in Output.objects.all()} == {"png"}


def test_reuploading_the_same_media_set_is_idempotent(tmp_path, capsys):
    manifest, archive = write(tmp_path, media_rows("image", IMAGES), image_members())
    call_command("import_set", manifest, "--media", archive)
    files = media_files()
    call_command("import_set", manifest, "--media", archive)
    assert "outputs: 0 created, 3 unchanged" in capsys.readouterr().out
    assert media_files() == files and Output.objects.count() == 3


def test_a_video_set_with_an_input_image_imports_from_a_folder(tmp_path, capsys):
    folder = tmp_path / "media"
    (folder / "clips").mkdir(parents=True)
    (folder / "clips" / "a.mp4").write_bytes(demo_video("a"))
    (folder / "clips" / "b.webm").write_bytes(demo_video("b", fmt="webm"))
    (folder / "start.png").write_bytes(demo_png("start"))
    rows = media_rows("video", {("p1", "m-a"): "clips/a.mp4", ("p1", "m-b"): "clips/b.webm"})
    for row in rows:
        row["input_media"] = "start.png"
    manifest = tmp_path / "set.jsonl"
    manifest.write_bytes(jsonl(rows))
    call_command("import_set", str(manifest), "--media", str(folder))
    webm = Output.objects.get(model__key="m-b")
    assert webm.media.name.endswith(".webm") and webm.media_meta["duration"] == 2.0
    prompt = Prompt.objects.get()
    assert prompt.input_media.name.startswith("inputs/") and prompt.input_media.name.endswith(
        ".png"
    )


@pytest.mark.parametrize(
    "name, data, modality, message",
    [
        (
            "svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "image",
            "'x/bad.png' is SVG: refused (it can carry scripts); use PNG, JPEG, WebP or GIF",
        ),
        (
            "html",
            b"<html><script>alert(1)</script></html>",
            "image",
            "'x/bad.png' is HTML or XML: refused",
        ),
        (
            "truncated",
            demo_png("t", size=(300, 300), fmt="JPEG")[:3000],
            "image",
            "'x/bad.png' is not a valid JPG image: it does not decode (truncated?)",
        ),
        (
            "fake mp4",
            b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 5000,
            "video",
            "'x/bad.png' is not a playable MP4 video: no decodable video stream",
        ),
        (
            "wrong type",
            demo_video("w"),
            "image",
            "'x/bad.png' is MP4 but an image is expected here",
        ),
    ],
)
def test_a_bad_media_file_refuses_the_whole_set_and_leaves_nothing(
    tmp_path, capsys, name, data, modality, message
):
    good = demo_png("g") if modality == "image" else demo_video("g")
    rows = media_rows(modality, {("p1", "m-a"): "x/good", ("p1", "m-b"): "x/bad.png"})
    manifest, archive = write(tmp_path, rows, {"x/good": good, "x/bad.png": data})
    before = snapshot()
    assert refused(capsys, manifest, "--media", archive) == [f"row 2, media: {message}"]
    assert snapshot() == before


def test_a_zip_slip_archive_is_refused_before_any_member_is_read(tmp_path, capsys):
    rows = media_rows("image", {("p1", "m-a"): "a.png"})
    manifest, archive = write(tmp_path, rows, {"a.png": demo_png("a"), "../../evil.sh": b"x"})
    before = snapshot()
    assert refused(capsys, manifest, "--media", archive) == [
        "archive: archive member '../../evil.sh' has an absolute path or '..': refused (zip slip)"
    ]
    assert snapshot() == before
    assert not (tmp_path.parent / "evil.sh").exists()


def test_a_zip_bomb_is_refused(tmp_path, capsys):
    rows = media_rows("image", {("p1", "m-a"): "a.png"})
    manifest, archive = write(tmp_path, rows, {"a.png": b"\x00" * (20 * 1024 * 1024)})
    before = snapshot()
    assert refused(capsys, manifest, "--media", archive) == [
        "archive: archive member 'a.png' expands 1,029 times; the limit is 100 (zip bomb?)"
    ]
    assert snapshot() == before


def test_too_many_members_and_configured_size_limits_are_refused(tmp_path, capsys, settings):
    settings.ARENA_MEDIA_LIMITS = {"max_archive_members": 2}
    rows = media_rows("image", {("p1", "m-a"): "a.png"})
    members = {"a.png": demo_png("a"), "b.png": demo_png("b"), "c.png": demo_png("c")}
    manifest, archive = write(tmp_path, rows, members)
    assert refused(capsys, manifest, "--media", archive) == [
        "archive: the archive has 3 members; the limit is 2"
    ]
    settings.ARENA_MEDIA_LIMITS = {"max_image_bytes": 500}
    size = len(members["a.png"])
    assert refused(capsys, manifest, "--media", archive) == [
        f"row 1, media: 'a.png' is {size:,} bytes; the limit is 500"
    ]


def test_missing_media_a_missing_archive_and_paths_outside_the_folder_are_reported(
    tmp_path, capsys
):
    rows = media_rows("image", {("p1", "m-a"): "nothere.png", ("p1", "m-b"): "../up.png"})
    manifest, archive = write(tmp_path, rows, {"a.png": demo_png("a")})
    assert refused(capsys, manifest, "--media", archive) == [
        "row 1, media: 'nothere.png' is not in the archive",
        "row 2, media: '../up.png' is absolute or contains '..': refused",
    ]
    rows = media_rows("image", {("p1", "m-a"): "link.png"})
    folder = tmp_path / "folder"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(demo_png("s"))
    (folder / "link.png").symlink_to(tmp_path / "secret.png")
    (tmp_path / "set.jsonl").write_bytes(jsonl(rows))
    assert refused(capsys, str(tmp_path / "set.jsonl"), "--media", str(folder)) == [
        "row 1, media: 'link.png' points outside the media folder: refused"
    ]
    assert refused(capsys, str(tmp_path / "set.jsonl")) == [
        "media: this is an image set: give the media archive (.zip) or folder"
    ]


def test_a_failure_while_writing_removes_the_files_already_written(tmp_path, monkeypatch):
    manifest, archive = write(tmp_path, media_rows("image", IMAGES), image_members())
    before = snapshot()

    def crash(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Output.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        call_command("import_set", manifest, "--media", archive)
    assert snapshot() == before


def test_losing_a_race_with_another_import_is_a_clear_refusal_that_leaves_nothing(
    tmp_path, monkeypatch
):
    from django.db import IntegrityError

    manifest, archive = write(tmp_path, media_rows("image", IMAGES), image_members())
    before = snapshot()

    def race(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("arena.set_ingest._write_rows", race)
    with pytest.raises(CommandError, match="another import wrote to this set at the same time"):
        call_command("import_set", manifest, "--media", archive)
    assert snapshot() == before
