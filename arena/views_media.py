"""Serving output media at opaque URLs: ``/media/o/<sha256>.<ext>`` (and
``/media/outputs/<sha256>.<ext>``, which is what ``FieldFile.url`` gives with the default
storage and ``MEDIA_URL = "media/"``).

The URL is the content hash, so a voter learns nothing about the model from it (not the
model key, not the uploaded file name, not an id that could be compared across battles
of one model). Only files that belong to an output or a prompt are served, through the
storage API, so any django-storages backend works; whole files and byte ranges are streamed
a chunk at a time, or handed to the web server (``ARENA_MEDIA_SENDFILE``).

On an object store (``ARENA_S3_BUCKET``) the bytes are proxied too, never redirected to the
bucket: the voter sees this site's URL and headers only (no bucket name, no object key, no
``x-amz-*`` metadata), and each range is one ranged GET of the object, streamed a chunk at a
time (docs/deployment.md, "Object storage").
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from arena.media import IMAGE_TYPES, VIDEO_TYPES
from arena.models import Output, Prompt
from arena.presenting import MEDIA_KINDS

_NAME = re.compile(r"^([0-9a-f]{64})\.(png|jpg|webp|gif|mp4|webm)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TYPES = {**IMAGE_TYPES, **VIDEO_TYPES}
#: Bytes read from storage at a time for a range response.
CHUNK_BYTES = 256 * 1024
# The short kinds of served_media_url(); the storage folder names too, so that FieldFile.url
# (MEDIA_URL + "outputs/<sha256>.<ext>") works with the default storage. Never "uploads".
_FOLDERS = {**MEDIA_KINDS, **{folder: folder for folder in MEDIA_KINDS.values()}}


def _known(folder: str, name: str) -> bool:
    if folder == "outputs":
        return Output.objects.filter(media=name).exists()
    return Prompt.objects.filter(input_media=name).exists()


@require_safe
def media_serve(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    match = _NAME.match(name)
    if match is None or kind not in _FOLDERS:
        raise Http404("no such media")
    stored = f"{_FOLDERS[kind]}/{name}"
    size = _stored_size(stored) if _known(_FOLDERS[kind], stored) else None
    if size is None:
        raise Http404("no such media")
    content_type = _TYPES[match.group(2)]
    if settings.ARENA_MEDIA_SENDFILE:
        response = _handed_off(stored, content_type)
        return _media_headers(response)
    byte_range = _RANGE.match(request.headers.get("Range", ""))
    if byte_range and (byte_range.group(1) or byte_range.group(2)):
        response = _partial(stored, size, content_type, *byte_range.groups())
    elif isinstance(default_storage, S3Storage):
        response = StreamingHttpResponse(_chunks(stored, 0, size), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        response = FileResponse(default_storage.open(stored, "rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    return _media_headers(response)


def _stored_size(stored: str) -> int | None:
    """The file's size in bytes, or ``None`` when storage holds no such file: one request
    to an object store (a HEAD), where ``exists()`` then ``size()`` made two. A store that
    cannot be reached raises, and the request is answered 503 (config.errors)."""
    try:
        return default_storage.size(stored)
    except FileNotFoundError:
        return None
    except ClientError as error:
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None
        raise


def _media_headers(response: HttpResponse) -> HttpResponse:
    # Content-addressed: the bytes under a name never change.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = "inline"
    return response


def _partial(stored: str, size: int, content_type: str, first: str, last: str) -> HttpResponse:
    """One byte range (RFC 9110 14.1.2), which video players use to seek."""
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # a suffix: the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start > end or start >= size:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(
        _chunks(stored, start, end - start + 1), status=206, content_type=content_type
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return response


def _chunks(stored: str, start: int, length: int) -> Iterator[bytes]:
    """The bytes of a range, a chunk at a time from storage: constant memory per request
    whatever the size of the file or of the range."""
    if isinstance(default_storage, S3Storage):
        yield from _object_chunks(default_storage, stored, start, length)
        return
    with default_storage.open(stored, "rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _object_chunks(storage: S3Storage, stored: str, start: int, length: int) -> Iterator[bytes]:
    """A range of an object: one ranged GET (django-storages' file object would first copy
    the whole object to a temporary file)."""
    if length <= 0:
        return
    answer = storage.bucket.Object(storage._normalize_name(clean_name(stored))).get(
        Range=f"bytes={start}-{start + length - 1}"
    )
    with contextlib.closing(answer["Body"]) as body:
        yield from body.iter_chunks(CHUNK_BYTES)


def _handed_off(stored: str, content_type: str) -> HttpResponse:
    """The web server sends the file (ranges included): ``ARENA_MEDIA_SENDFILE`` names the
    header, nginx's ``X-Accel-Redirect`` (to an ``internal`` location serving MEDIA_ROOT at
    ``ARENA_MEDIA_INTERNAL_URL``) or Apache/lighttpd's ``X-Sendfile`` (the file's path).
    docs/performance.md shows the nginx location."""
    response = HttpResponse(content_type=content_type)
    if settings.ARENA_MEDIA_SENDFILE == "x-accel-redirect":
        response["X-Accel-Redirect"] = settings.ARENA_MEDIA_INTERNAL_URL + stored
    else:
        response["X-Sendfile"] = default_storage.path(stored)
    return response
