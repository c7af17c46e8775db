"""Demo media, drawn and encoded here so that no binary file ships with the code.

No Django: pictures with Pillow and numpy, clips with the FFmpeg that PyAV ships (no system
FFmpeg), text in the font Pillow carries inside itself (no system font).

Each demo prompt is a drawable scene (``arena/data/demo_media_prompts.json``): a background
and a list of shapes, some of them moving in a clip. ``render_picture`` and ``render_clip``
draw it the way a model of a given *quality* (0 = the weakest demo model, 1 = the strongest)
would: a weaker model gets the prompt wrong more often (a wrong colour, a wrong position or
direction, a missing or extra object, a misspelled word) and draws at a lower effective
resolution, with more artefacts (blur, noise, colour banding, JPEG blocks, a jerky frame
rate). Every model's picture has the same pixel size and format, and every clip the same
size, frame rate, length and codec: nothing but what is drawn tells two models apart.
Everything is deterministic: the same scene, quality and seed give the same bytes.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import random
from dataclasses import dataclass
from fractions import Fraction

PICTURE_SIZE = (512, 512)
CLIP_SIZE = (320, 240)
CLIP_FPS = 24
CLIP_SECONDS = 3

#: Named colours the scenes use; a "wrong colour" is another one of the first eight.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 38, 38),
    "blue": (37, 99, 235),
    "green": (22, 163, 74),
    "yellow": (250, 204, 21),
    "orange": (249, 115, 22),
    "purple": (126, 34, 206),
    "pink": (236, 72, 153),
    "brown": (120, 63, 24),
    "white": (250, 250, 247),
    "black": (24, 24, 27),
    "grey": (113, 113, 122),
    "light grey": (212, 212, 216),
    "dark grey": (63, 63, 70),
    "cream": (254, 243, 219),
    "gold": (217, 163, 35),
    "paper": (245, 241, 232),
    "sky": (125, 190, 240),
    "pale sky": (214, 234, 250),
    "navy": (15, 23, 62),
    "night": (30, 27, 75),
    "dusk": (88, 48, 120),
    "peach": (253, 200, 150),
    "meadow": (74, 160, 70),
    "dark green": (21, 94, 57),
    "snow": (241, 245, 249),
}
WRONG_COLOURS = ("red", "blue", "green", "yellow", "orange", "purple", "pink", "brown")
ERROR_KINDS = ("colour", "position", "missing", "extra", "spelling")


# --- Scenes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A prompt and what it shows. ``shapes`` are dicts (see ``_draw_shape`` for the kinds);
    shapes marked ``"key": true`` are the ones the prompt names, which a model may get wrong.
    Positions and sizes are fractions of the frame: ``at`` is a centre, ``size`` a fraction
    of the shorter side."""

    prompt_id: str
    category: str
    prompt: str
    background: dict
    shapes: tuple[dict, ...]

    @property
    def words(self) -> list[str]:
        return [shape["text"] for shape in self.shapes if shape["kind"] == "text"]


def scenes_from_json(text: str) -> dict[str, tuple[Scene, ...]]:
    """``{"image": [...], "video": [...]}`` scenes from the demo's prompt file."""
    return {
        modality: tuple(
            Scene(
                prompt_id=item["prompt_id"],
                category=item["category"],
                prompt=item["prompt"],
                background=item["background"],
                shapes=tuple(item["shapes"]),
            )
            for item in items
        )
        for modality, items in json.loads(text).items()
    }


def quality_levels(strengths: dict[str, float]) -> dict[str, float]:
    """Each model's quality in [0, 1]: its strength's place between the weakest (0) and the
    strongest (1) demo model of its modality, so the spread of quality is always visible."""
    low, high = min(strengths.values()), max(strengths.values())
    return {key: (value - low) / ((high - low) or 1.0) for key, value in strengths.items()}


# --- What a model of a given quality gets wrong, and how well it draws -----------------------


@dataclass(frozen=True)
class Rendition:
    errors: tuple[str, ...]  # what it gets wrong, in ERROR_KINDS
    scale: float  # effective resolution, a fraction of the served size
    antialias: bool
    pixelated: bool  # upscaled without smoothing: visible square pixels
    blur: float  # Gaussian radius at the drawn size, in pixels
    levels: int  # colour levels per channel (fewer: banding)
    noise: float  # standard deviation of the added grain, in 8-bit steps
    jpeg: int | None  # JPEG quality of a lossy round trip (blocks), None for none
    hold: int  # clips: each drawn frame is shown this many times (a jerky frame rate)


def rendition_for(scene: Scene, quality: float, rng: random.Random) -> Rendition:
    """Two chances of an error, each likelier the lower the quality; then the drawing
    quality in steps, so neighbouring strengths look alike and distant ones do not.

    Whether a chance turns into an error is drawn once per prompt, for every model alike
    (``rng``, the model's own, only picks which error): on any one prompt a stronger model
    never makes more errors than a weaker one, so the pictures agree with the strengths
    that the simulated votes follow."""
    q = min(max(quality, 0.0), 1.0)
    possible = _possible_errors(scene)
    errors: list[str] = []
    chances = random.Random(f"{scene.prompt_id}/errors")
    for _ in range(2):
        if chances.random() < 0.85 * (1.0 - q) ** 1.3 and possible:
            errors.append(possible.pop(rng.randrange(len(possible))))
    return Rendition(
        errors=tuple(errors),
        scale=1.0 if q >= 0.85 else 0.7 if q >= 0.6 else 0.45 if q >= 0.3 else 0.28,
        antialias=q >= 0.3,
        pixelated=q < 0.15,
        blur=0.0 if q >= 0.85 else 1.0,
        levels=256 if q >= 0.6 else 24 if q >= 0.3 else 10,
        noise=0.0 if q >= 0.6 else round(5.0 * (1.0 - q), 1),
        jpeg=None if q >= 0.6 else int(20 + 40 * q),
        hold=1 if q >= 0.6 else 2 if q >= 0.3 else 3,
    )


def _possible_errors(scene: Scene) -> list[str]:
    keys = [shape for shape in scene.shapes if shape.get("key")]
    movable = [shape for shape in keys if _movable(shape)]
    possible = ["colour", "extra"] if movable else ["colour"]
    if any("motion" in shape for shape in keys) or len({_at(s) for s in movable}) > 1:
        possible.append("position")
    if len(keys) > 1:
        possible.append("missing")
    if any(len(word) >= 3 for word in scene.words):
        possible.append("spelling")
    return [kind for kind in ERROR_KINDS if kind in possible]


def _movable(shape: dict) -> bool:
    """Whether a model may put this shape elsewhere or draw it twice: not a ground or a
    frame that spans most of the picture."""
    size = shape.get("size", 0.0)
    return max(size) < 0.6 if isinstance(size, list) else size < 0.6


def _at(shape: dict) -> tuple[float, float]:
    return tuple(shape.get("at", (0.5, 0.5)))


def _with_errors(scene: Scene, errors: tuple[str, ...], rng: random.Random) -> list[dict]:
    """The scene's shapes as a model that made ``errors`` draws them."""
    shapes = [copy.deepcopy(shape) for shape in scene.shapes]
    for error in errors:  # each on what the errors before it left
        keys = [shape for shape in shapes if shape.get("key")]
        movable = [shape for shape in keys if _movable(shape)]
        words = [shape for shape in keys if shape["kind"] == "text" and len(shape["text"]) > 2]
        if error == "colour" and keys:
            shape = rng.choice(keys)
            shape["colour"] = rng.choice([c for c in WRONG_COLOURS if c != shape["colour"]])
        elif error == "position" and movable:
            _misplace(movable, rng)
        elif error == "missing" and len(keys) > 1:
            shapes.remove(rng.choice(keys))
        elif error == "extra" and movable:
            extra = copy.deepcopy(
                rng.choice([k for k in movable if k["kind"] != "text"] or movable)
            )
            extra["at"] = (rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85))
            if "from" in extra.get("motion", {}):  # a second one, going the other way
                extra["motion"]["reverse"] = not extra["motion"].get("reverse", False)
            shapes.append(extra)
        elif error == "spelling" and words:
            shape = rng.choice(words)
            shape["text"] = _misspelt(shape["text"], rng)
    return shapes


def _misplace(keys: list[dict], rng: random.Random) -> None:
    """A moving shape moves backwards; else two shapes swap places, or one moves away."""
    moving = [shape for shape in keys if "motion" in shape]
    if moving:
        rng.choice(moving)["motion"]["reverse"] = True
        return
    first = rng.choice(keys)
    others = [shape for shape in keys if _at(shape) != _at(first)]
    if others:
        second = rng.choice(others)
        first["at"], second["at"] = _at(second), _at(first)
    else:
        x, y = _at(first)
        first["at"] = (1.0 - x if abs(x - 0.5) > 0.1 else x + 0.3, y)


def _misspelt(word: str, rng: random.Random) -> str:
    letters = list(word)
    place = rng.randrange(1, len(letters) - 1)
    how = rng.randrange(3)
    if how == 0:  # two letters swapped
        letters[place], letters[place + 1] = letters[place + 1], letters[place]
    elif how == 1:  # a letter dropped
        del letters[place]
    else:  # a letter doubled
        letters.insert(place, letters[place])
    misspelt = "".join(letters)
    return misspelt if misspelt != word else word[:-1]


# --- Drawing ---------------------------------------------------------------------------------


def _colour(name: str) -> tuple[int, int, int]:
    if name.startswith("#"):
        return tuple(int(name[i : i + 2], 16) for i in (1, 3, 5))
    return PALETTE[name]


def _background(background: dict, size: tuple[int, int], t: float):
    """A solid colour or a vertical gradient; in a clip, ``"later"`` is the gradient at the
    end, blended in as time ``t`` goes from 0 to 1."""
    import numpy as np
    from PIL import Image

    width, height = size
    top, bottom = (_colour(c) for c in background.get("gradient") or [background["colour"]] * 2)
    if "later" in background:
        top_later, bottom_later = (_colour(c) for c in background["later"])
        top = tuple(a + (b - a) * t for a, b in zip(top, top_later, strict=True))
        bottom = tuple(a + (b - a) * t for a, b in zip(bottom, bottom_later, strict=True))
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    column = np.asarray(top, np.float32) * (1 - ramp) + np.asarray(bottom, np.float32) * ramp
    column = np.round(column).astype(np.uint8)
    return Image.fromarray(
        np.ascontiguousarray(np.broadcast_to(column[:, None, :], (height, width, 3))), "RGB"
    )


def _position(shape: dict, t: float) -> tuple[tuple[float, float], float]:
    """Where a shape is at time ``t`` in [0, 1], and its angle in degrees."""
    motion = shape.get("motion")
    angle = float(shape.get("angle", 0.0))
    if motion is None:
        return _at(shape), angle
    if motion.get("reverse"):
        t = 1.0 - t
    (x0, y0), (x1, y1) = motion.get("from", _at(shape)), motion.get("to", _at(shape))
    if motion.get("ease"):
        t = 0.5 - 0.5 * math.cos(math.pi * t)
    x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
    if "bounces" in motion:  # y0 is the floor; |sin| arcs, lower each time
        phase = t * motion["bounces"] * math.pi
        y -= motion["height"] * abs(math.sin(phase)) * (1.0 - 0.45 * t)
    return (x, y), angle + 360.0 * motion.get("turns", 0.0) * t


def _polygon(
    centre: tuple[float, float], points: list[tuple[float, float]], angle: float
) -> list[tuple[float, float]]:
    cx, cy = centre
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]


def _draw_shape(draw, shape: dict, size: tuple[int, int], t: float, seed: str) -> None:
    """Kinds: circle, ring, square, rect (``size`` = [w, h]), triangle (``aspect`` = height
    over width), star, text, and snow (``count`` flakes, falling when the shape moves)."""
    width, height = size
    unit = min(width, height)
    (fx, fy), angle = _position(shape, t)
    centre = (fx * width, fy * height)
    fill = _colour(shape["colour"])
    kind = shape["kind"]
    if kind == "snow":
        _draw_snow(draw, shape, size, t, seed)
        return
    if kind == "text":
        from PIL import ImageFont

        font = ImageFont.load_default(size=max(6, round(shape["size"] * unit)))
        stroke = round(shape["size"] * unit * shape.get("weight", 0.0))
        draw.text(centre, shape["text"], fill=fill, font=font, anchor="mm", stroke_width=stroke,
                  stroke_fill=fill)  # fmt: skip
        return
    if kind == "rect":
        half_w, half_h = shape["size"][0] * width / 2, shape["size"][1] * height / 2
    else:
        half_w = half_h = shape["size"] * unit / 2
    if kind in ("circle", "ring"):
        box = (centre[0] - half_w, centre[1] - half_h, centre[0] + half_w, centre[1] + half_h)
        if kind == "circle":
            draw.ellipse(box, fill=fill)
        else:
            draw.ellipse(box, outline=fill, width=max(1, round(shape["width"] * unit)))
        return
    if kind in ("square", "rect"):
        corners = [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)]
    elif kind == "triangle":
        half_h = half_w * shape.get("aspect", math.sqrt(3) / 2)
        corners = [(0.0, -half_h), (half_w, half_h), (-half_w, half_h)]
    elif kind == "star":
        corners = [
            (
                math.cos(math.radians(-90 + 36 * i)) * half_w * (1.0 if i % 2 == 0 else 0.42),
                math.sin(math.radians(-90 + 36 * i)) * half_w * (1.0 if i % 2 == 0 else 0.42),
            )
            for i in range(10)
        ]
    else:
        raise ValueError(f"unknown shape kind {kind!r}")
    draw.polygon(_polygon(centre, corners, angle), fill=fill)


def _draw_snow(draw, shape: dict, size: tuple[int, int], t: float, seed: str) -> None:
    """Flakes at places fixed by the scene (not the model); a moving snow shape falls with
    a little sideways drift, wrapping round at the bottom."""
    width, height = size
    unit = min(width, height)
    rng = random.Random(f"{seed}/snow/{shape.get('count')}")
    motion = shape.get("motion") or {}
    fall = motion.get("fall", 0.0) * (1.0 - 2.0 * t if motion.get("reverse") else t)
    fill = _colour(shape["colour"])
    for _ in range(shape["count"]):
        x, y = rng.random(), rng.random()
        radius = shape["size"] * unit * rng.uniform(0.5, 1.0) / 2
        speed, sway = rng.uniform(0.7, 1.3), rng.uniform(0, 2 * math.pi)
        y = (y + fall * speed) % 1.0
        x += 0.02 * math.sin(sway + 6.0 * fall) if motion else 0.0
        cx, cy = x * width, y * height
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=fill)


def _draw(scene: Scene, shapes: list[dict], background, t: float, factor: int):
    """The shapes at time ``t`` on a copy of ``background`` (a PIL image ``factor`` times
    the drawn size), reduced to the drawn size: anti-aliased when the factor is above 1."""
    from PIL import ImageDraw

    canvas = background.copy()
    draw = ImageDraw.Draw(canvas)
    for shape in shapes:
        _draw_shape(draw, shape, canvas.size, t, scene.prompt_id)
    return canvas.reduce(factor) if factor > 1 else canvas


def _grain(rendition: Rendition, size: tuple[int, int], seed: str):
    """The rendition's noise for an image of ``size``: an int16 array, or None."""
    import numpy as np

    if not rendition.noise:
        return None
    rng = np.random.default_rng(_seed_number(seed))
    grain = rng.normal(0.0, rendition.noise, (size[1], size[0], 3))
    return np.round(grain).astype(np.int16)


def _degrade(image, rendition: Rendition, served: tuple[int, int], grain):
    """The drawn image with the rendition's artefacts, at the served size: grain, blur and
    JPEG blocks at the drawn size (coarser the lower the resolution), then the upscale and
    the colour banding."""
    import numpy as np
    from PIL import Image, ImageFilter

    if grain is not None:
        pixels = np.asarray(image, dtype=np.int16) + grain
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    if rendition.blur:
        image = image.filter(ImageFilter.GaussianBlur(rendition.blur))
    if rendition.jpeg is not None:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=rendition.jpeg)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if image.size != served:
        method = Image.Resampling.NEAREST if rendition.pixelated else Image.Resampling.BICUBIC
        image = image.resize(served, method)
    if rendition.levels < 256:
        step = 255 / (rendition.levels - 1)
        image = image.point([round(round(value / step) * step) for value in range(256)] * 3)
    return image


def _seed_number(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return (max(16, round(size[0] * scale / 2) * 2), max(16, round(size[1] * scale / 2) * 2))


def render_picture(scene: Scene, *, quality: float, seed: str):
    """The picture (a PIL image, ``PICTURE_SIZE``) a model of ``quality`` makes for ``scene``."""
    rng = random.Random(f"{scene.prompt_id}/{seed}")
    rendition = rendition_for(scene, quality, rng)
    shapes = _with_errors(scene, rendition.errors, rng)
    width, height = _scaled(PICTURE_SIZE, rendition.scale)
    factor = 3 if rendition.antialias else 1
    background = _background(scene.background, (width * factor, height * factor), 0.0)
    drawn = _draw(scene, shapes, background, 0.0, factor)
    grain = _grain(rendition, (width, height), f"{scene.prompt_id}/{seed}")
    return _degrade(drawn, rendition, PICTURE_SIZE, grain)


def picture_png(scene: Scene, *, quality: float, seed: str) -> bytes:
    """``render_picture`` as PNG bytes."""
    buffer = io.BytesIO()
    # Fast compression: the import path re-encodes every picture anyway.
    render_picture(scene, quality=quality, seed=seed).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def render_clip(scene: Scene, *, quality: float, seed: str) -> list:
    """The frames (PIL images, ``CLIP_SIZE``) of the clip a model of ``quality`` makes."""
    rng = random.Random(f"{scene.prompt_id}/{seed}")
    rendition = rendition_for(scene, quality, rng)
    shapes = _with_errors(scene, rendition.errors, rng)
    width, height = _scaled(CLIP_SIZE, rendition.scale)
    factor = 2 if rendition.antialias else 1
    big = (width * factor, height * factor)
    changing = "later" in scene.background
    background = None if changing else _background(scene.background, big, 0.0)
    # Grain is the same in every frame (a fixed pattern, as a dirty lens), not flicker.
    grain = _grain(rendition, (width, height), f"{scene.prompt_id}/{seed}")
    count = CLIP_FPS * CLIP_SECONDS
    frames: list = []
    for number in range(count):
        if number % rendition.hold:
            frames.append(frames[-1])  # a jerky model repeats its frames
            continue
        t = number / (count - 1)
        drawn = _draw(scene, shapes, background or _background(scene.background, big, t), t, factor)
        frames.append(_degrade(drawn, rendition, CLIP_SIZE, grain))
    return frames


#: The demo encodes fast at a high quality: the import path re-encodes every clip anyway
#: (``arena.media.media_normalise``), with the served settings.
_DEMO_ENCODER_OPTIONS = {"crf": "4", "b:v": "8M", "deadline": "good", "cpu-used": "16"}


def clip_webm(scene: Scene, *, quality: float, seed: str) -> bytes:
    """``render_clip`` as VP8 in WebM, bit-exact (see ``demo_video``)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("libvpx", rate=CLIP_FPS, options=_DEMO_ENCODER_OPTIONS)
        stream.width, stream.height, stream.pix_fmt = *CLIP_SIZE, "yuv420p"
        stream.codec_context.thread_count, stream.codec_context.thread_type = 1, "NONE"
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        for number, image in enumerate(render_clip(scene, quality=quality, seed=seed)):
            frame = av.VideoFrame.from_image(image)
            frame.pts, frame.time_base = number, Fraction(1, CLIP_FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buffer.getvalue()


# --- Sample files for tests and tools: any format, no meaning ---------------------------------


def demo_png(seed: str, *, size: tuple[int, int] = (256, 256), fmt: str = "PNG") -> bytes:
    """A small abstract picture whose shapes and colours follow from ``seed``: a sample file
    in any Pillow format (the import tests feed it as PNG, JPEG, WebP, GIF)."""
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
    """A short sample clip (H.264 in MP4, or VP8 in WebM) of a square crossing the frame.

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
