"""Blind by bytes: every kind of identity a media file can carry (text chunks, EXIF, XMP,
an ICC profile's name, container and stream tags, encoder strings, file names, types and
extensions) is planted in an upload, and none of it reaches a voter: not the battle page,
the API, the media URLs, their headers or their bytes."""

from __future__ import annotations

import io
import struct
import zlib

import av
import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from arena.demo_media import demo_png, demo_video
from arena.media import MediaError, MediaLimits, MemorySource, media_normalise
from arena.models import Output
from arena.set_ingest import prompt_set_ingest
from tests.arena.import_helpers import jsonl, media_rows
from tests.factories import AIModelFactory, LabFactory

pytestmark = pytest.mark.django_db

# What the uploads say about their makers: none of it may reach a voter.
SECRETS = ("gpt-4o-2024-05-13", "OpenAI", "sekrit-cam", "Sekrit Studio", "x264", "libx264")
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    'xmp:CreatorTool="gpt-4o-2024-05-13 (OpenAI)"/></rdf:RDF></x:xmpmeta>'
)


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x0131] = "gpt-4o-2024-05-13 (OpenAI)"  # Software
    exif[0x013B] = "Sekrit Studio"  # Artist
    exif[0x0110] = "sekrit-cam"  # camera Model
    return exif.tobytes()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def leaky_png() -> bytes:
    """A PNG with a text chunk, an iTXt XMP packet, EXIF, and an ICC profile whose chunk
    names the model (Pillow itself always writes "ICC Profile", so the chunk is built)."""
    info = PngInfo()
    info.add_text("Software", "gpt-4o-2024-05-13 (OpenAI)")
    info.add_itxt("XML:com.adobe.xmp", XMP)
    buffer = io.BytesIO()
    Image.open(io.BytesIO(demo_png("leaky-png"))).save(
        buffer, format="PNG", pnginfo=info, exif=_exif()
    )
    data = buffer.getvalue()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    iccp = _png_chunk(b"iCCP", b"gpt-4o-2024-05-13\x00\x00" + zlib.compress(profile))
    header_end = 8 + 25  # signature, then the IHDR chunk
    return data[:header_end] + iccp + data[header_end:]


def leaky_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(demo_png("leaky-jpeg"))).save(
        buffer, format="JPEG", exif=_exif(), comment="Sekrit Studio", xmp=XMP.encode()
    )
    return buffer.getvalue()


def leaky_webp() -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(demo_png("leaky-webp"))).save(
        buffer, format="WEBP", exif=_exif(), xmp=XMP.encode()
    )
    return buffer.getvalue()


def leaky_video(fmt: str) -> bytes:
    """An H.264 MP4 (x264 writes its name and options into the stream) or a VP8 WebM, each
    with a title and stream tags naming the model."""
    source = demo_video(f"leaky-{fmt}", fmt=fmt)
    buffer = io.BytesIO()
    with av.open(io.BytesIO(source)) as original, av.open(buffer, "w", format=fmt) as target:
        target.metadata["title"] = "gpt-4o-2024-05-13 (OpenAI)"
        target.metadata["encoder"] = "Sekrit Studio"
        stream_in = original.streams.video[0]
        stream = target.add_stream_from_template(stream_in)
        stream.metadata["handler_name"] = "sekrit-cam"
        for packet in original.demux(stream_in):
            if packet.dts is None:
                continue
            packet.stream = stream
            target.mux(packet)
    return buffer.getvalue()


@pytest.fixture
def leaky_arena():
    """Three image models and two video models, each uploading its own format, under file
    names that name it, with metadata that names it."""
    lab = LabFactory(name="OpenAI")
    images = {"gpt-4o-2024-05-13": leaky_png, "sekrit-cam": leaky_jpeg, "webp-model": leaky_webp}
    videos = {
        "gpt-4o-2024-05-13": lambda: leaky_video("mp4"),
        "sekrit-cam": lambda: leaky_video("webm"),
    }
    reports = {}
    for modality, makers in (("image", images), ("video", videos)):
        for key in makers:
            AIModelFactory(key=key, display_name=f"Sekrit {key}", lab=lab, modalities=[modality])
        files, paths = {}, {}
        for key, make in makers.items():
            for prompt in ("p1", "p2"):
                path = f"{prompt}/{key}-by-OpenAI.bin"
                files[path], paths[prompt, key] = make(), path
                # The plant took: the upload itself names its model in readable bytes.
                assert any(secret.encode() in files[path] for secret in SECRETS), path
        report = prompt_set_ingest(
            manifest=jsonl(media_rows(modality, paths, set_name=f"leaky {modality}")),
            manifest_name="m.jsonl",
            media=MemorySource(files),
        )
        assert report.ok, report.errors
        reports[modality] = report
    return reports


def _assert_blind(response, where: str) -> bytes:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    for secret in SECRETS:
        assert secret.encode().lower() not in body.lower(), f"{secret!r} in the body of {where}"
        assert secret.lower() not in headers.lower(), f"{secret!r} in the headers of {where}"
    return body


def test_no_planted_identity_reaches_a_voter_in_pages_json_urls_headers_or_bytes(
    client, leaky_arena
):
    served_types = {"image": set(), "video": set()}
    for modality in ("image", "video"):
        for _ in range(6):
            api = client.get(f"/api/v1/battles/next/?modality={modality}")
            assert api.status_code == 200
            _assert_blind(api, "the battle API")
            for side in ("a", "b"):
                url = api.json()[side]["url"]
                media = client.get(url)
                assert media.status_code == 200
                _assert_blind(media, url)
                served_types[modality].add((url.rsplit(".", 1)[1], media["Content-Type"]))
            page = client.get(f"/arena/{modality}/")
            assert page.status_code == 200
            _assert_blind(page, "the battle page")
    assert served_types == {"image": {("png", "image/png")}, "video": {("webm", "video/webm")}}


def test_every_stored_file_is_free_of_the_planted_metadata(leaky_arena):
    for output in Output.objects.all():
        with default_storage.open(output.media.name) as handle:
            data = handle.read()
        for secret in SECRETS:
            assert secret.encode() not in data, (output.model.key, secret)
        if output.modality == "image":
            with Image.open(io.BytesIO(data)) as image:
                assert image.format == "PNG" and "icc_profile" not in image.info
                assert not image.getexif() and not image.text
        else:
            with av.open(io.BytesIO(data)) as container:
                assert container.streams.video[0].codec_context.name == "vp8"
                assert not set(container.metadata) - {"encoder"}
                assert "Sekrit" not in container.metadata.get("encoder", "")


def test_the_import_report_names_the_files_whose_metadata_named_their_model(leaky_arena):
    stripped = leaky_arena["image"].metadata_stripped + leaky_arena["video"].metadata_stripped
    assert len(stripped) == 10  # every upload above names its model or lab somewhere
    assert all("metadata names the model, stripped" in line for line in stripped)


@pytest.mark.parametrize("make", [leaky_png, leaky_jpeg, leaky_webp])
def test_normalising_the_same_image_twice_gives_the_same_bytes(make):
    data = make()
    first, _ = media_normalise(data, modality="image", limits=MediaLimits())
    assert media_normalise(data, modality="image", limits=MediaLimits())[0] == first


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_normalising_the_same_video_twice_gives_the_same_bytes(fmt):
    data = leaky_video(fmt)
    first, info = media_normalise(data, modality="video", limits=MediaLimits())
    assert media_normalise(data, modality="video", limits=MediaLimits())[0] == first
    assert (info.ext, info.mime, info.width, info.height, info.duration) == (
        "webm",
        "video/webm",
        96,
        64,
        2.0,
    )


def test_an_exif_rotated_photo_is_served_upright():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    Image.new("RGB", (40, 20), "red").save(buffer, format="JPEG", exif=exif.tobytes())
    _, info = media_normalise(buffer.getvalue(), modality="image", limits=MediaLimits())
    assert (info.width, info.height) == (20, 40)


def test_a_transparent_image_keeps_its_alpha_channel():
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 0, 0, 0)).save(buffer, format="WEBP", lossless=True)
    served, _ = media_normalise(buffer.getvalue(), modality="image", limits=MediaLimits())
    with Image.open(io.BytesIO(served)) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_a_fifty_thousand_pixel_square_png_is_refused_as_too_many_pixels():
    """Pillow refuses to open it at all (a decompression bomb), yet the admin is told why."""
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0))
    idat = _png_chunk(b"IDAT", zlib.compress(b"\x00" * 100))
    data = b"\x89PNG\r\n\x1a\n" + ihdr + idat + _png_chunk(b"IEND", b"")
    with pytest.raises(MediaError) as caught:
        media_normalise(data, modality="image", limits=MediaLimits())
    assert str(caught.value).startswith("has too many pixels")
    assert "the limit is 40,000,000 pixels" in str(caught.value)
