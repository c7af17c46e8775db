"""seed_demo also brings image and video sets to life, through the import path."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from arena.demo import (
    DEMO_IMAGE_PROMPTS,
    DEMO_IMAGE_STRENGTHS,
    DEMO_SCENES,
    DEMO_VIDEO_PROMPTS,
    DEMO_VIDEO_STRENGTHS,
)
from arena.demo_media import (
    CLIP_FPS,
    CLIP_SECONDS,
    CLIP_SIZE,
    PICTURE_SIZE,
    clip_webm,
    demo_video,
    picture_png,
)
from arena.media import MediaLimits, inspect_media, is_normalised
from arena.models import AIModel, Output, PromptSet, Vote
from tests.arena.import_helpers import media_files

pytestmark = pytest.mark.django_db


def test_the_demo_has_image_and_video_sets_from_real_models_labelled_as_demo():
    call_command("seed_demo", "--votes-per-month", "100")
    sets = {s.modality: s for s in PromptSet.objects.filter(source=PromptSet.Source.DEMO)}
    assert set(sets) == {"text", "image", "video"}
    images = Output.objects.filter(modality="image")
    assert images.count() == len(DEMO_IMAGE_PROMPTS) * len(DEMO_IMAGE_STRENGTHS)
    assert set(images.values_list("model__key", flat=True)) == set(DEMO_IMAGE_STRENGTHS)
    videos = Output.objects.filter(modality="video")
    assert videos.count() == len(DEMO_VIDEO_PROMPTS) * len(DEMO_VIDEO_STRENGTHS)
    # One container for every model: the format never hints at the model.
    assert {name.rsplit(".", 1)[1] for name in videos.values_list("media", flat=True)} == {"webm"}
    clip = videos.first()
    with default_storage.open(clip.media.name) as handle:
        info = inspect_media(handle.read(), modality="video", limits=MediaLimits())
    assert info.duration == CLIP_SECONDS and clip.media_meta["duration"] == CLIP_SECONDS


def test_every_demo_picture_and_clip_is_served_in_one_format_and_size_whatever_the_model():
    """Nothing but what is drawn tells the models apart: every picture is a PNG of the same
    size, every clip VP8 in WebM of the same size, rate and length; all of them in the form
    the import path serves (normalised like any upload)."""
    import av

    call_command("seed_demo", "--votes-per-month", "0")
    served = {"image": set(), "video": set()}
    for output in Output.objects.exclude(media="").order_by("id"):
        with default_storage.open(output.media.name) as handle:
            data = handle.read()
        assert is_normalised(data), output.media.name
        info = inspect_media(data, modality=output.modality, limits=MediaLimits())
        described = (info.ext, info.mime, info.width, info.height, info.duration)
        if output.modality == "video":
            with av.open(io.BytesIO(data)) as container:
                stream = container.streams.video[0]
                described += (stream.codec_context.name, stream.average_rate)
        served[output.modality].add(described)
    assert served == {
        "image": {("png", "image/png", *PICTURE_SIZE, None)},
        "video": {("webm", "video/webm", *CLIP_SIZE, CLIP_SECONDS, "vp8", CLIP_FPS)},
    }


def test_video_models_come_with_labs_and_countries():
    call_command("seed_demo", "--votes-per-month", "0")
    kling = AIModel.objects.select_related("lab").get(key="kling-1.6")
    assert (kling.lab.name, kling.lab.country, kling.modalities) == ("Kuaishou", "CN", ["video"])
    assert AIModel.objects.get(key="veo-2").lab.country == "US"


def test_demo_votes_exist_for_images_and_videos_and_text_outputs_have_style():
    call_command("seed_demo", "--votes-per-month", "100")
    by_modality = {
        m: Vote.objects.filter(modality=m, source="demo").count()
        for m in ("text", "image", "video")
    }
    assert by_modality["text"] == 1700 and by_modality["image"] > 0 and by_modality["video"] > 0
    assert not Output.objects.filter(modality="text", style={}).exists()


def test_seeding_twice_writes_no_new_media_files():
    call_command("seed_demo", "--votes-per-month", "0")
    files = media_files()
    call_command("seed_demo", "--votes-per-month", "0")
    assert media_files() == files


def test_seeding_again_after_an_encoder_update_keeps_the_media_it_has(monkeypatch):
    """Another encoder build may encode the same clip to other bytes: the demo keeps the
    outputs it holds rather than refusing them as changed."""
    call_command("seed_demo", "--votes-per-month", "0")
    files = media_files()
    monkeypatch.setattr("arena.demo.demo_media_file", lambda *args, **kwargs: b"other bytes")
    call_command("seed_demo", "--votes-per-month", "0")
    assert media_files() == files


def test_demo_media_are_the_same_bytes_in_every_process():
    """The demo's formats (VP8 on one thread, bitexact WebM; PNG) give the same file for the
    same prompt and model, whatever the process encoded before (this process has encoded
    H.264 too)."""
    demo_video("warm-up", fmt="mp4")
    script = (
        "import hashlib\n"
        "from pathlib import Path\n"
        "import arena.demo_media as m\n"
        "scenes = m.scenes_from_json((Path(m.__file__).parent / 'data' / "
        "'demo_media_prompts.json').read_text())\n"
        "print(*(hashlib.sha256(b).hexdigest() for b in ("
        "m.clip_webm(scenes['video'][0], quality=0.4, seed='x'), "
        "m.picture_png(scenes['image'][1], quality=0.4, seed='x'))))"
    )
    scenes = DEMO_SCENES
    here = " ".join(
        hashlib.sha256(data).hexdigest()
        for data in (
            clip_webm(scenes["video"][0], quality=0.4, seed="x"),
            picture_png(scenes["image"][1], quality=0.4, seed="x"),
        )
    )
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == here
