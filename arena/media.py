"""Media files of prompt/output sets: where they come from (a .zip archive or a folder),
what they are (decided by their bytes, never by their name), how they are normalised (one
container per modality, no metadata: ``media_normalise``) and where they are stored (under
the hash of the served bytes, so the URL says nothing about the model that made them).

No database access. Every refusal is a ``MediaError`` whose message is shown to the admin.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from arena.manifest import safe_member_path

MB = 1024 * 1024
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
# ISO base media files that are still images, not videos.
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}
# A member this small cannot be a zip bomb whatever its ratio (a blank image compresses well).
_RATIO_FLOOR_BYTES = 1 * MB


class MediaError(Exception):
    """A refusal, with the message shown in the report."""


@dataclass(frozen=True)
class MediaLimits:
    max_image_bytes: int = 20 * MB
    max_video_bytes: int = 200 * MB
    max_image_pixels: int = 40_000_000
    max_video_seconds: float = 120.0
    max_archive_members: int = 10_000
    max_archive_bytes: int = 4096 * MB  # total size once expanded
    max_compression_ratio: int = 100

    @classmethod
    def from_settings(cls) -> MediaLimits:
        """``ARENA_MEDIA_LIMITS`` (a dict of these field names) overrides the defaults."""
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        overrides = settings.ARENA_MEDIA_LIMITS
        unknown = sorted(set(overrides) - set(cls.__dataclass_fields__))
        if unknown:
            raise ImproperlyConfigured(f"ARENA_MEDIA_LIMITS has unknown keys {unknown}")
        return cls(**overrides)


@dataclass(frozen=True)
class MediaInfo:
    sha256: str
    ext: str
    mime: str
    bytes: int
    width: int
    height: int
    duration: float | None = None  # seconds, videos only
    # SHA-256 of the file as uploaded (``sha256`` is that of the bytes stored and served):
    # a re-upload is recognised by it whatever the encoder build makes of it.
    source_sha256: str = ""
    # The text the uploaded file carried in its metadata (stripped before serving): the
    # import reports those that name the model.
    metadata: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "video" if self.ext in VIDEO_TYPES else "image"

    def meta(self) -> dict[str, object]:
        meta: dict[str, object] = {
            "mime": self.mime,
            "bytes": self.bytes,
            "width": self.width,
            "height": self.height,
        }
        if self.duration is not None:
            meta["duration"] = round(self.duration, 3)
        return meta


def storage_name(info: MediaInfo, *, folder: str = "outputs") -> str:
    """The content-addressed name: identical bytes share one file, and the name reveals
    neither the model nor the uploaded file name."""
    return f"{folder}/{info.sha256}.{info.ext}"


# --- Where media come from -----------------------------------------------------------------


class MediaSource(Protocol):
    def problems(self) -> list[str]: ...

    def read(self, path: str, *, limit: int) -> bytes: ...

    def close(self) -> None: ...


def _too_big(path: str, size: int, limit: int) -> MediaError:
    return MediaError(f"{path!r} is {size:,} bytes; the limit is {limit:,}")


class ZipSource:
    """A .zip archive, checked as a whole before any member is read: no absolute or ``..``
    names (zip slip), no links, a bounded number of members, a bounded expanded size and
    compression ratio (zip bombs). Reads never trust the sizes in the headers."""

    def __init__(self, file: str | Path | io.IOBase, limits: MediaLimits) -> None:
        self.limits = limits
        self._handle = file if hasattr(file, "read") else None  # closed with the source
        self._problems: list[str] = []
        self._members: dict[str, zipfile.ZipInfo] = {}
        try:
            self._zip: zipfile.ZipFile | None = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, ValueError):
            self._zip = None
            self._problems.append("the media archive is not a valid .zip file")
            return
        self._check(self._zip.infolist())

    def _check(self, infos: list[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.max_archive_members:
            self._problems.append(
                f"the archive has {len(infos):,} members; the limit is "
                f"{limits.max_archive_members:,}"
            )
            return
        total = 0
        for info in infos:
            name = info.filename
            safe = safe_member_path(name)
            if safe is None:
                self._problems.append(
                    f"archive member {name!r} has an absolute path or '..': refused (zip slip)"
                )
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                self._problems.append(f"archive member {name!r} is a symbolic link: refused")
                continue
            if info.flag_bits & 0x1:
                self._problems.append(f"archive member {name!r} is encrypted: refused")
                continue
            if info.is_dir():
                continue
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
                self._problems.append(
                    f"archive member {name!r} expands {ratio:,.0f} times; the limit is "
                    f"{limits.max_compression_ratio} (zip bomb?)"
                )
            self._members[safe] = info
        if total > limits.max_archive_bytes:
            self._problems.append(
                f"the archive expands to {total:,} bytes; the limit is "
                f"{limits.max_archive_bytes:,} (zip bomb?)"
            )

    def problems(self) -> list[str]:
        return list(self._problems)

    def read(self, path: str, *, limit: int) -> bytes:
        info = self._members.get(path)
        if info is None or self._zip is None:
            raise MediaError(f"{path!r} is not in the archive")
        if info.file_size > limit:
            raise _too_big(path, info.file_size, limit)
        try:
            with self._zip.open(info) as member:
                # zipfile stops at the size in the header and then checks the CRC, so a
                # member that lies about its size fails here instead of filling memory.
                data = member.read(min(limit, info.file_size) + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise MediaError(f"{path!r} cannot be read from the archive (damaged)") from error
        if len(data) > info.file_size:
            raise MediaError(f"{path!r} is larger than the archive says: refused (zip bomb?)")
        return data

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._handle is not None:
            self._handle.close()


class FolderSource:
    """A folder on the server (command line only). Paths must stay inside it, also through
    symbolic links."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def problems(self) -> list[str]:
        return [] if self.root.is_dir() else [f"the media folder {str(self.root)!r} does not exist"]

    def read(self, path: str, *, limit: int) -> bytes:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            raise MediaError(f"{path!r} points outside the media folder: refused")
        if not target.is_file():
            raise MediaError(f"{path!r} is not in the media folder")
        size = target.stat().st_size
        if size > limit:
            raise _too_big(path, size, limit)
        with target.open("rb") as handle:
            return handle.read(limit + 1)[:limit]

    def close(self) -> None:
        pass


class MemorySource:
    """Files held in memory (the demo draws its media; tests build theirs)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def problems(self) -> list[str]:
        return []

    def read(self, path: str, *, limit: int) -> bytes:
        if path not in self.files:
            raise MediaError(f"{path!r} is not among the media")
        data = self.files[path]
        if len(data) > limit:
            raise _too_big(path, len(data), limit)
        return data

    def close(self) -> None:
        pass


def media_source_open(path: str | Path, limits: MediaLimits) -> MediaSource:
    path = Path(path)
    return FolderSource(path) if path.is_dir() else ZipSource(path, limits)


# --- What a file is ---------------------------------------------------------------------------


def sniff(data: bytes) -> str:
    """The file's type from its first bytes: an extension of IMAGE_TYPES or VIDEO_TYPES.
    Raises MediaError for anything else, naming SVG, HTML and scripts explicitly."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS:
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:128]:
        return "webm"
    text = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in data[:4096].lower():
        raise MediaError("is SVG: refused (it can carry scripts); use PNG, JPEG, WebP or GIF")
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<script", b"<")):
        raise MediaError("is HTML or XML: refused")
    if text.startswith(b"#!"):
        raise MediaError("is a script: refused")
    raise MediaError(
        "is not a PNG, JPEG, WebP, GIF, MP4 or WebM file (the type is read from the "
        "content, not the name)"
    )


def inspect_media(data: bytes, *, modality: str, limits: MediaLimits) -> MediaInfo:
    """Prove the bytes are what the set needs: an image that decodes, or a video with a
    decodable stream, within the limits. The message of a MediaError omits the file name;
    the caller puts it in front."""
    if not data:
        raise MediaError("is empty")
    ext = sniff(data)
    kind = "video" if ext in VIDEO_TYPES else "image"
    if kind != modality and not (modality == "input" and kind == "image"):
        wanted = "an image" if modality in {"image", "input"} else "a video"
        raise MediaError(f"is {ext.upper()} but {wanted} is expected here")
    limit = limits.max_video_bytes if kind == "video" else limits.max_image_bytes
    if len(data) > limit:
        raise MediaError(f"is {len(data):,} bytes; the limit is {limit:,}")
    sha = hashlib.sha256(data).hexdigest()
    if kind == "image":
        width, height = _decode_image(data, ext, limits)
        return MediaInfo(sha, ext, IMAGE_TYPES[ext], len(data), width, height)
    width, height, duration = _probe_video(data, ext, limits)
    return MediaInfo(sha, ext, VIDEO_TYPES[ext], len(data), width, height, duration)


_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def _decode_image(data: bytes, ext: str, limits: MediaLimits) -> tuple[int, int]:
    from PIL import Image

    broken = MediaError(f"is not a valid {ext.upper()} image: it does not decode (truncated?)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != _PIL_FORMATS[ext]:
                raise broken
            width, height = image.size
            if width * height > limits.max_image_pixels:
                raise _too_many_pixels(width, height, limits)
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() misses truncated pixel data; decoding does not
    except MediaError:
        raise
    except Image.DecompressionBombError as error:
        # Pillow refuses to open an image over twice its own limit, before we see its size.
        raise MediaError(
            f"has too many pixels (over {2 * Image.MAX_IMAGE_PIXELS:,}); the limit is "
            f"{limits.max_image_pixels:,} pixels"
        ) from error
    except Exception as error:  # Pillow raises many types for bad data
        raise broken from error
    return width, height


def _too_many_pixels(width: int, height: int, limits: MediaLimits) -> MediaError:
    return MediaError(
        f"has too many pixels: {width}x{height}; the limit is {limits.max_image_pixels:,} pixels"
    )


def _probe_video(data: bytes, ext: str, limits: MediaLimits) -> tuple[int, int, float]:
    import av

    broken = MediaError(f"is not a playable {ext.upper()} video: no decodable video stream")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if ext == "webm" and "webm" not in container.format.name:
                raise broken
            if not container.streams.video:
                raise broken
            stream = container.streams.video[0]
            width, height = stream.codec_context.width or 0, stream.codec_context.height or 0
            if width * height > limits.max_image_pixels:  # before decoding a frame that size
                raise _too_many_pixels(width, height, limits)
            frame = next(container.decode(stream), None)
            if frame is None:
                raise broken
            width, height = frame.width, frame.height
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                raise MediaError("has no duration: refused")
    except MediaError:
        raise
    except Exception as error:  # av.error.* for anything FFmpeg cannot read
        raise broken from error
    if duration > limits.max_video_seconds:
        raise MediaError(f"lasts {duration:.1f} s; the limit is {limits.max_video_seconds:g} s")
    return width, height, duration


# --- What is served: one container per modality, no metadata ----------------------------------

#: Every image is served as PNG and every video as VP8 in WebM, whatever was uploaded, so
#: the type, extension, container and encoder never tell two models apart.
SERVED_IMAGE_EXT = "png"
SERVED_VIDEO_EXT = "webm"
#: VP8 settings: constant quality (``crf``) under a generous bitrate cap, so a clip keeps
#: its detail; one thread and bit-exact muxing, so the same upload gives the same bytes.
VIDEO_ENCODER_OPTIONS = {"crf": "8", "b:v": "12M", "deadline": "good", "cpu-used": "4"}


def media_normalise(data: bytes, *, modality: str, limits: MediaLimits) -> tuple[bytes, MediaInfo]:
    """The bytes to store and serve for an uploaded file, and their description.

    The upload is checked first (``inspect_media``), then decoded and encoded again: an
    image to an 8-bit RGB(A) PNG in sRGB, its EXIF orientation applied, with no ancillary
    chunk (no text, EXIF, XMP, ICC profile, time or resolution); a video to VP8 in WebM at
    its own frame rate, with no audio and no tags but the muxer's fixed ones. So no name an
    encoder, camera or person wrote into the file reaches a voter. Deterministic: the same
    upload gives the same bytes with the same Pillow, zlib and libvpx builds.
    """
    uploaded = inspect_media(data, modality=modality, limits=limits)
    if uploaded.kind == "image":
        served = _normalise_image(data)
    else:
        served = _normalise_video(data, uploaded)
    try:
        info = inspect_media(served, modality=modality, limits=limits)
    except MediaError as error:  # re-encoding made it bigger than the limit, say
        raise MediaError(f"cannot be served after re-encoding: it {error}") from error
    metadata = tuple(_metadata_texts(data, uploaded.kind))
    return served, dataclasses.replace(info, source_sha256=uploaded.sha256, metadata=metadata)


def _metadata_texts(data: bytes, kind: str) -> list[str]:
    """``name: value`` of each textual metadata item of an uploaded file: PNG text chunks,
    EXIF strings, XMP, JPEG comments, the ICC profile's description; container and stream
    tags of a video. Best effort: a file whose metadata cannot be read has none here (it is
    stripped all the same)."""
    texts: list[str] = []
    try:
        if kind == "image":
            _image_metadata(data, texts)
        else:
            import av

            with av.open(io.BytesIO(data), mode="r") as container:
                for tags in [container.metadata, *(s.metadata for s in container.streams)]:
                    texts += [f"{name}: {value}" for name, value in tags.items()]
    except Exception:
        pass
    return texts


def _image_metadata(data: bytes, texts: list[str]) -> None:
    from PIL import Image, ImageCms

    with Image.open(io.BytesIO(data)) as image:
        for name, value in image.info.items():
            if isinstance(value, bytes) and name in {"xmp", "XML:com.adobe.xmp", "comment"}:
                value = value.decode("utf-8", "replace")
            if isinstance(value, str):
                texts.append(f"{name}: {value}")
        for tag, value in image.getexif().items():
            if isinstance(value, (str, bytes)):
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                texts.append(f"exif {tag}: {text}")
        profile = image.info.get("icc_profile")
        if profile:
            description = ImageCms.getProfileDescription(
                ImageCms.ImageCmsProfile(io.BytesIO(profile))
            )
            texts.append(f"icc: {description.strip()}")


def is_normalised(data: bytes) -> bool:
    """Whether stored bytes are already in served form, so re-normalising them would only
    cost quality (VP8 is lossy): a PNG that normalises to itself, or VP8 in WebM without
    audio whose only tags are the muxer's fixed ones."""
    try:
        ext = sniff(data)
    except MediaError:
        return False
    if ext == SERVED_IMAGE_EXT:
        try:
            return _normalise_image(data) == data
        except Exception:  # not decodable: certainly not in served form
            return False
    if ext != SERVED_VIDEO_EXT:
        return False
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            streams = list(container.streams)
            return (
                len(streams) == 1
                and streams[0].type == "video"
                and streams[0].codec_context.name == "vp8"
                and dict(container.metadata) in ({}, {"encoder": "Lavf"})
                and set(streams[0].metadata) <= {"DURATION"}
            )
    except Exception:
        return False


def _normalise_image(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)  # an animated GIF or WebP is shown as its first frame
        image = ImageOps.exif_transpose(opened)
        mode = "RGBA" if image.has_transparency_data else "RGB"
        image = _in_srgb(image, image.info.get("icc_profile"), mode)
        # A new image from the pixels alone: nothing of the upload's info comes along.
        clean = Image.frombytes(mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    clean.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _in_srgb(image, icc_profile: bytes | None, mode: str):  # PIL images
    """The image converted to ``mode`` in sRGB: through its ICC profile when it has one that
    LittleCMS reads (a wide-gamut picture keeps its colours), else as its pixels are."""
    if icc_profile:
        from PIL import ImageCms

        source_mode = image.mode if image.mode in {"RGB", "RGBA", "CMYK"} else mode
        try:
            return ImageCms.profileToProfile(
                image.convert(source_mode),
                ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: its pixels as they are
    return image.convert(mode)


def _normalise_video(data: bytes, uploaded: MediaInfo) -> bytes:
    import av

    # yuv420p needs even dimensions: an odd last row or column is dropped.
    width, height = uploaded.width - uploaded.width % 2, uploaded.height - uploaded.height % 2
    buffer = io.BytesIO()
    with av.open(io.BytesIO(data), mode="r") as source:
        video = source.streams.video[0]
        rate = Fraction(video.average_rate or video.guessed_rate or 25).limit_denominator(1001)
        with av.open(buffer, mode="w", format="webm", options={"fflags": "+bitexact"}) as target:
            stream = target.add_stream("libvpx", rate=rate, options=VIDEO_ENCODER_OPTIONS)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.thread_count, stream.codec_context.thread_type = 1, "NONE"
            stream.codec_context.flags |= av.codec.context.Flags.bitexact
            for number, frame in enumerate(source.decode(video)):
                # Frames numbered at the stream's own rate: the upload's timestamps (and
                # their time base, another encoder trait) are not kept.
                clean = frame.reformat(width=width, height=height, format="yuv420p")
                clean.pts, clean.time_base = number, 1 / rate
                target.mux(stream.encode(clean))
            target.mux(stream.encode())
    return buffer.getvalue()


class NormalisedSource:
    """The served form of another source's files: each file normalised once, when it is
    checked (``normalise``), and kept in a temporary folder until ``close``; ``read`` then
    gives the normalised bytes, so what is stored is what was checked."""

    def __init__(self, source: MediaSource, limits: MediaLimits) -> None:
        self.source, self.limits = source, limits
        self._folder = tempfile.TemporaryDirectory(prefix="arena-normalised-")
        self._files: dict[str, Path] = {}

    def problems(self) -> list[str]:
        return self.source.problems()

    def normalise(self, path: str, *, kind: str) -> MediaInfo:
        limits = self.limits
        limit = max(limits.max_image_bytes, limits.max_video_bytes if kind == "video" else 0)
        data = self.source.read(path, limit=limit)
        served, info = media_normalise(data, modality=kind, limits=limits)
        target = Path(self._folder.name) / str(len(self._files))
        target.write_bytes(served)
        self._files[path] = target
        return info

    def read(self, path: str, *, limit: int) -> bytes:
        target = self._files.get(path)
        if target is None:
            raise MediaError(f"{path!r} was not checked before being read")
        size = target.stat().st_size
        if size > limit:
            raise _too_big(path, size, limit)
        return target.read_bytes()

    def close(self) -> None:
        """Removes the normalised copies; the wrapped source stays open (its owner closes it)."""
        self._folder.cleanup()
