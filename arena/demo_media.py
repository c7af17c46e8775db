"""Demo media, drawn and encoded here so that no binary file ships with the code.

No Django: pictures with Pillow, clips with the FFmpeg that PyAV ships (no system FFmpeg).
"""

from __future__ import annotations

import io
import random


def demo_png(seed: str, *, size: tuple[int, int] = (256, 256), fmt: str = "PNG") -> bytes:
    """A small abstract picture whose shapes and colours follow from ``seed``."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        x1 = x0 + rng.randrange(4, max(5, size[0] // 2))
        y1 = y0 + rng.randrange(4, max(5, size[1] // 2))
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def demo_video(
    seed: str,
    *,
    fmt: str = "mp4",
    frames: int = 24,
    fps: int = 12,
    size: tuple[int, int] = (96, 64),
) -> bytes:
    """A short clip (H.264 in MP4, or VP8 in WebM) of a square crossing the frame.

    VP8 in WebM gives the same bytes for the same seed with the same encoder build (the one
    the lock file pins), so the demo uses it: one encoder thread, bitexact muxing (no random
    segment ids or dates). libx264 does not: its output was seen to change with what the
    process encoded before, even on one thread, so H.264 clips only serve tests that never
    compare their bytes across encodes."""
    import av
    import numpy as np

    rng = random.Random(seed)
    background = np.array([rng.randrange(256) for _ in range(3)], dtype=np.uint8)
    colour = np.array([rng.randrange(256) for _ in range(3)], dtype=np.uint8)
    width, height = size
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt, options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("libx264" if fmt == "mp4" else "libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.thread_count, stream.codec_context.thread_type = 1, "NONE"
        for number in range(frames):
            pixels = np.empty((height, width, 3), dtype=np.uint8)
            pixels[:] = background
            left = (number * (width - 16)) // max(frames - 1, 1)
            top = (height - 16) // 2
            pixels[top : top + 16, left : left + 16] = colour
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
