"""The demo's pictures and clips depict their prompts, and a stronger model draws them
better: checked from the pixels. No database: the drawing code has no Django."""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from arena.demo import DEMO_IMAGE_STRENGTHS, DEMO_SCENES, DEMO_VIDEO_STRENGTHS
from arena.demo_media import (
    CLIP_SIZE,
    ERROR_KINDS,
    PALETTE,
    PICTURE_SIZE,
    Scene,
    picture_png,
    quality_levels,
    render_clip,
    render_picture,
    rendition_for,
)

SCENES = {scene.prompt_id: scene for scene in DEMO_SCENES["image"] + DEMO_SCENES["video"]}


def pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def mask(image, colour: str, tolerance: int = 40) -> np.ndarray:
    """Where ``image`` shows the palette colour ``colour``."""
    return np.abs(pixels(image) - np.array(PALETTE[colour])).max(axis=2) <= tolerance


def centre(where: np.ndarray) -> tuple[float, float]:
    """(x, y) centroid of a mask that must not be empty."""
    rows, columns = np.nonzero(where)
    assert rows.size, "the colour is not in the picture"
    return float(columns.mean()), float(rows.mean())


def blobs(where: np.ndarray, *, min_pixels: int = 200) -> list[tuple[float, float]]:
    """Centroids of the connected regions of a mask, small specks left out."""
    labels, count = ndimage.label(where)
    found = []
    for number in range(1, count + 1):
        region = labels == number
        if region.sum() >= min_pixels:
            found.append(centre(region))
    return found


@functools.cache
def ideal(prompt_id: str):
    return render_picture(SCENES[prompt_id], quality=1.0, seed="ideal")


def test_a_red_circle_is_drawn_above_a_blue_square():
    image = ideal("draw-circle-above-square")
    (red_x, red_y), (blue_x, blue_y) = centre(mask(image, "red")), centre(mask(image, "blue"))
    assert red_y < blue_y - 100 and abs(red_x - blue_x) < 5
    # A square fills its bounding box; a circle fills pi/4 of it.
    for colour, fill in (("blue", 1.0), ("red", np.pi / 4)):
        rows, columns = np.nonzero(mask(image, colour))
        box = (rows.max() - rows.min() + 1) * (columns.max() - columns.min() + 1)
        assert rows.size / box == pytest.approx(fill, abs=0.05), colour


def test_a_green_triangle_is_drawn_left_of_an_orange_circle():
    image = ideal("draw-triangle-left-of-circle")
    (green_x, _), (orange_x, _) = centre(mask(image, "green")), centre(mask(image, "orange"))
    assert green_x < orange_x - 100
    rows, columns = np.nonzero(mask(image, "green"))
    top = columns[rows == rows.min()].mean()  # a triangle: its apex is a point above the middle
    assert abs(top - green_x) < 5 and (rows == rows.min()).sum() < 10


def test_three_yellow_stars_and_four_blue_squares_in_a_row_are_counted():
    assert len(blobs(mask(ideal("draw-three-stars"), "yellow"))) == 3
    squares = blobs(mask(ideal("draw-four-squares"), "blue"))
    assert len(squares) == 4
    xs, ys = zip(*squares, strict=True)
    assert xs == tuple(sorted(xs)) and max(ys) - min(ys) < 2


def test_the_traffic_light_and_the_flag_have_their_colours_in_order():
    light = ideal("draw-traffic-light")
    ys = [centre(mask(light, colour))[1] for colour in ("red", "yellow", "green")]
    assert ys == sorted(ys) and ys[2] - ys[0] > 200
    flag = ideal("draw-striped-flag")
    xs = [centre(mask(flag, colour, 20))[0] for colour in ("green", "white", "orange")]
    assert xs == sorted(xs) and xs[2] - xs[0] > 200


def test_the_landscape_has_its_sun_above_its_mountains_above_its_meadow():
    image = ideal("draw-landscape")
    sun, meadow = centre(mask(image, "yellow")), centre(mask(image, "meadow", 20))
    mountain = centre(mask(image, "grey", 12))
    assert sun[1] < mountain[1] < meadow[1]


def test_words_are_written_legibly_in_the_prompts_colours():
    """The logo's word is brown on the cream disc, HELLO white on purple; a misspelt word
    draws other pixels than the right one."""
    logo = ideal("draw-crumb-logo")
    brown = mask(logo, "brown")
    assert brown.sum() > 2000 and abs(centre(brown)[0] - PICTURE_SIZE[0] / 2) < 10
    hello = ideal("draw-hello")
    assert mask(hello, "white").sum() > 2000
    misspelt = Scene(**{**SCENES["draw-hello"].__dict__, "shapes": ({
        **SCENES["draw-hello"].shapes[0], "text": "HLELO"},)})  # fmt: skip
    other = render_picture(misspelt, quality=1.0, seed="ideal")
    assert (mask(other, "white") != mask(hello, "white")).sum() > 500


def test_a_picture_is_png_at_the_common_size_whatever_the_quality():
    for quality in (0.0, 0.3, 0.7, 1.0):
        data = picture_png(SCENES["draw-red-house"], quality=quality, seed="size")
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size, image.mode) == ("PNG", PICTURE_SIZE, "RGB")


def test_the_same_scene_quality_and_seed_give_the_same_bytes():
    scene = SCENES["draw-snowman"]
    assert picture_png(scene, quality=0.4, seed="a") == picture_png(scene, quality=0.4, seed="a")
    assert picture_png(scene, quality=0.4, seed="a") != picture_png(scene, quality=0.4, seed="b")


def error(image, reference) -> float:
    return float(np.abs(pixels(image) - pixels(reference)).mean())


def test_lower_quality_draws_further_from_the_prompt():
    """Mean pixel error against the ideal picture, over every image prompt and a few
    seeds: it falls as the quality rises."""
    by_quality = {}
    for quality in (0.0, 0.45, 0.75, 1.0):
        by_quality[quality] = np.mean([
            error(render_picture(scene, quality=quality, seed=f"s{n}"), ideal(scene.prompt_id))
            for scene in DEMO_SCENES["image"]
            for n in range(2)
        ])  # fmt: skip
    errors = list(by_quality.values())
    assert errors == sorted(errors, reverse=True) and errors[-1] == 0.0
    assert errors[0] > 4 * errors[2]


def test_the_strongest_demo_image_model_beats_the_weakest_on_most_prompts():
    quality = quality_levels(DEMO_IMAGE_STRENGTHS)
    best, worst = max(quality, key=quality.get), min(quality, key=quality.get)
    wins = sum(
        error(render_picture(scene, quality=quality[best], seed=best), ideal(scene.prompt_id))
        < error(render_picture(scene, quality=quality[worst], seed=worst), ideal(scene.prompt_id))
        for scene in DEMO_SCENES["image"]
    )
    assert wins >= 0.8 * len(DEMO_SCENES["image"])


def test_quality_follows_strength_and_weak_models_make_mistakes():
    assert quality_levels({"a": 1000, "b": 1050, "c": 1100}) == {"a": 0.0, "b": 0.5, "c": 1.0}
    scenes = DEMO_SCENES["image"] + DEMO_SCENES["video"]
    for scene in scenes:  # on each prompt, fewer errors the higher the quality
        counts = [
            len(rendition_for(scene, quality, random.Random(model)).errors)
            for model, quality in enumerate((0.0, 0.2, 0.4, 0.6, 0.8, 1.0))
        ]
        assert counts == sorted(counts, reverse=True) and counts[-1] == 0, scene.prompt_id
    weak = [rendition_for(scene, 0.0, random.Random(n)) for scene in scenes for n in range(5)]
    assert sum(bool(r.errors) for r in weak) >= 0.75 * len(weak)
    assert {kind for r in weak for kind in r.errors} == set(ERROR_KINDS)
    assert max(r.scale for r in weak) < 0.5 and max(r.hold for r in weak) > 1
    strong = rendition_for(scenes[0], 1.0, random.Random(1))
    assert (strong.scale, strong.blur, strong.noise, strong.jpeg, strong.hold) == (1, 0, 0, None, 1)


# --- Clips ----------------------------------------------------------------------------------


def track(frames, colour: str) -> list[tuple[float, float]]:
    return [centre(mask(frame, colour)) for frame in frames]


def test_the_ball_bounces_from_left_to_right():
    frames = render_clip(SCENES["clip-bouncing-ball"], quality=1.0, seed="ideal")
    assert len(frames) == 72 and {frame.size for frame in frames} == {CLIP_SIZE}
    path = track(frames, "red")
    xs, ys = zip(*path, strict=True)
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False))
    assert xs[-1] - xs[0] > 0.7 * CLIP_SIZE[0]
    lows = [n for n in range(1, 71) if ys[n] > ys[n - 1] and ys[n] > ys[n + 1]]  # floor hits
    assert len(lows) == 2 and max(ys) - min(ys) > 0.3 * CLIP_SIZE[1]


def test_the_sun_rises_and_the_sky_brightens():
    frames = render_clip(SCENES["clip-sunrise"], quality=1.0, seed="ideal")
    tops = [np.nonzero(mask(frame, "yellow").any(axis=1))[0].min() for frame in frames[6:]]
    assert all(b <= a for a, b in zip(tops, tops[1:], strict=False))
    assert tops[0] - tops[-1] > 0.4 * CLIP_SIZE[1]
    sky = [pixels(frame)[:20].mean() for frame in frames]
    assert sky[-1] > sky[0] + 80


def test_the_square_turns_clockwise_about_its_centre():
    frames = render_clip(SCENES["clip-rotating-square"], quality=1.0, seed="ideal")
    where = [mask(frame, "orange") for frame in frames]
    centres = [centre(m) for m in where]
    assert max(abs(x - CLIP_SIZE[0] / 2) for x, _ in centres) < 2
    widths = [np.ptp(np.nonzero(m.any(axis=0))[0]) for m in where]
    assert max(widths) > 1.3 * min(widths)  # turned by 45 degrees, the square is wider
    rows, columns = np.nonzero(where[6])  # a few degrees on: the top corner left of centre
    assert columns[rows == rows.min()].mean() < CLIP_SIZE[0] / 2 - 10


def test_a_weak_video_model_is_jerky_and_far_from_the_ideal_clip():
    quality = quality_levels(DEMO_VIDEO_STRENGTHS)
    worst = min(quality, key=quality.get)
    scene = SCENES["clip-bouncing-ball"]
    frames = render_clip(scene, quality=quality[worst], seed=worst)
    repeats = sum(a is b for a, b in zip(frames, frames[1:], strict=False))
    assert repeats >= len(frames) // 2 and {frame.size for frame in frames} == {CLIP_SIZE}
    ideal_frames = render_clip(scene, quality=1.0, seed="ideal")
    best = max(quality, key=quality.get)
    best_frames = render_clip(scene, quality=quality[best], seed=best)
    worst_error = np.mean([error(a, b) for a, b in zip(frames, ideal_frames, strict=True)])
    best_error = np.mean([error(a, b) for a, b in zip(best_frames, ideal_frames, strict=True)])
    assert best_error < worst_error / 2


@pytest.mark.parametrize("modality", ["image", "video"])
def test_every_scene_is_drawable_at_every_quality(modality):
    draw: Callable = render_picture if modality == "image" else render_clip
    for scene in DEMO_SCENES[modality]:
        for quality in (0.0, 0.2, 0.5, 0.9):
            for seed in ("a", "b") if modality == "image" else ("a",):
                draw(scene, quality=quality, seed=seed)
