"""Media are judged by their bytes: decoded, probed, and refused with a precise reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from arena.demo_media import demo_png, demo_video
from arena.media import MediaError, MediaLimits, ZipSource, inspect_media, sniff, storage_name
from tests.arena.import_helpers import zip_bytes

LIMITS = MediaLimits()
PNG = demo_png("a")


def refusal(data: bytes, modality: str = "image", limits: MediaLimits = LIMITS) -> str:
    with pytest.raises(MediaError) as caught:
        inspect_media(data, modality=modality, limits=limits)
    return str(caught.value)


@pytest.mark.parametrize(
    "fmt, ext", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_the_four_image_types_are_recognised_by_content(fmt, ext):
    info = inspect_media(demo_png("b", fmt=fmt, size=(40, 30)), modality="image", limits=LIMITS)
    assert (info.ext, info.width, info.height) == (ext, 40, 30)
    assert info.mime.startswith("image/")


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_videos_are_probed_for_duration_and_dimensions(fmt):
    info = inspect_media(demo_video("c", fmt=fmt), modality="video", limits=LIMITS)
    assert (info.ext, info.width, info.height, info.duration) == (fmt, 96, 64, 2.0)
    assert info.meta() == {
        "mime": f"video/{fmt}",
        "bytes": info.bytes,
        "width": 96,
        "height": 64,
        "duration": 2.0,
    }


def test_the_stored_name_is_the_content_hash_and_nothing_else():
    info = inspect_media(PNG, modality="image", limits=LIMITS)
    assert storage_name(info) == f"outputs/{info.sha256}.png"


def test_svg_html_and_scripts_are_refused_by_name():
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
    assert refusal(svg) == "is SVG: refused (it can carry scripts); use PNG, JPEG, WebP or GIF"
    assert refusal(b"<!DOCTYPE html><html><body>hi</body></html>") == "is HTML or XML: refused"
    assert refusal(b"#!/bin/sh\nrm -rf /\n") == "is a script: refused"


def test_an_unknown_type_is_refused_whatever_its_name_says():
    assert refusal(b"just some text") == (
        "is not a PNG, JPEG, WebP, GIF, MP4 or WebM file (the type is read from the content, "
        "not the name)"
    )
    assert refusal(b"") == "is empty"


def test_a_truncated_image_is_refused_because_it_does_not_decode():
    big = demo_png("noise", size=(300, 300), fmt="JPEG")
    assert refusal(big[: len(big) // 2]) == (
        "is not a valid JPG image: it does not decode (truncated?)"
    )
    assert refusal(PNG[:200]) == "is not a valid PNG image: it does not decode (truncated?)"


def test_a_fake_mp4_is_refused_because_it_does_not_play():
    fake = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00garbage" * 200
    assert refusal(fake, "video") == "is not a playable MP4 video: no decodable video stream"


def test_the_wrong_kind_for_the_set_is_refused():
    assert refusal(demo_video("d"), "image") == "is MP4 but an image is expected here"
    assert refusal(PNG, "video") == "is PNG but a video is expected here"


def test_size_pixel_and_duration_limits_apply():
    limits = MediaLimits(max_image_bytes=1000, max_image_pixels=10_000, max_video_seconds=1)
    assert refusal(PNG, limits=limits) == f"is {len(PNG):,} bytes; the limit is 1,000"
    small = demo_png("e", size=(200, 100))
    assert refusal(small, limits=MediaLimits(max_image_pixels=10_000)) == (
        "has too many pixels: 200x100; the limit is 10,000 pixels"
    )
    assert refusal(demo_video("f"), "video", limits) == "lasts 2.0 s; the limit is 1 s"


def test_sniffing_ignores_heic_in_an_iso_media_box():
    with pytest.raises(MediaError):
        sniff(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40)


def problems(data: bytes, limits: MediaLimits = LIMITS) -> list[str]:
    return ZipSource(io.BytesIO(data), limits).problems()


def test_archive_members_that_climb_out_are_refused_as_zip_slip():
    data = zip_bytes(
        {
            "ok.png": PNG,
            "../evil.png": PNG,
            "/etc/cron.d/x": b"x",
            "a/../../b.png": PNG,
            "C:\\win.png": PNG,
        }
    )
    assert problems(data) == [
        "archive member '../evil.png' has an absolute path or '..': refused (zip slip)",
        "archive member '/etc/cron.d/x' has an absolute path or '..': refused (zip slip)",
        "archive member 'a/../../b.png' has an absolute path or '..': refused (zip slip)",
        "archive member 'C:\\\\win.png' has an absolute path or '..': refused (zip slip)",
    ]


def test_a_zip_bomb_is_refused_by_ratio_and_by_total_size():
    bomb = zip_bytes({"bomb.png": b"\x00" * (5 * 1024 * 1024)})
    assert problems(bomb) == [
        "archive member 'bomb.png' expands 1,026 times; the limit is 100 (zip bomb?)"
    ]
    stored = zip_bytes({"a.png": PNG, "b.png": demo_png("b")}, compression=zipfile.ZIP_STORED)
    total = len(PNG) + len(demo_png("b"))
    assert problems(stored, MediaLimits(max_archive_bytes=2000)) == [
        f"the archive expands to {total:,} bytes; the limit is 2,000 (zip bomb?)"
    ]


def test_too_many_members_are_refused_before_anything_is_read():
    data = zip_bytes({f"{n}.png": PNG for n in range(4)})
    assert problems(data, MediaLimits(max_archive_members=3)) == [
        "the archive has 4 members; the limit is 3"
    ]


def test_a_member_that_lies_about_its_size_is_refused_as_damaged():
    data = bytearray(zip_bytes({"a.png": PNG}, compression=zipfile.ZIP_STORED))
    source = ZipSource(io.BytesIO(bytes(data)), LIMITS)
    source._members["a.png"].file_size = 100  # a lying header
    with pytest.raises(MediaError, match=r"^'a.png' cannot be read from the archive \(damaged\)$"):
        source.read("a.png", limit=10_000)


def test_a_file_that_is_not_a_zip_is_refused():
    assert problems(b"PK\x03\x04 not really") == ["the media archive is not a valid .zip file"]


def test_a_video_too_large_in_pixels_is_refused_before_decoding():
    limits = MediaLimits(max_image_pixels=1000)
    assert refusal(demo_video("g"), "video", limits) == (
        "has too many pixels: 96x64; the limit is 1,000 pixels"
    )


def test_unknown_limit_settings_fail_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.ARENA_MEDIA_LIMITS = {"max_image_byte": 1}
    with pytest.raises(ImproperlyConfigured, match="max_image_byte"):
        MediaLimits.from_settings()
