"""seed_demo also brings image and video sets to life, through the import path."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from arena.demo import (
    DEMO_IMAGE_PROMPTS,
    DEMO_IMAGE_STRENGTHS,
    DEMO_VIDEO_PROMPTS,
    DEMO_VIDEO_STRENGTHS,
)
from arena.media import MediaLimits, inspect_media
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
    assert {name.rsplit(".", 1)[1] for name in videos.values_list("media", flat=True)} == {
        "mp4",
        "webm",
    }
    clip = videos.first()
    with default_storage.open(clip.media.name) as handle:
        info = inspect_media(handle.read(), modality="video", limits=MediaLimits())
    assert info.duration == 2.0 and clip.media_meta["duration"] == 2.0


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
