"""Demo data: real models and labs, a small text prompt set, and simulated historical votes.

Everything made here is labelled as demo: the prompt set has ``source="demo"`` and the votes
``source="demo"``. The outputs are short canned answers written for the demo (not the models'
real answers), and the votes are simulated from the illustrative strengths below with a
Bradley-Terry model, month by month from each model's release date, so that leaderboards and
the frontier view have a history to show on first start.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction

from arena.catalogue import parse_catalogue_csv
from arena.demo_media import Scene, clip_webm, picture_png, quality_levels, scenes_from_json
from arena.models import AIModel, Modality, Output, Prompt, PromptSet, Vote
from arena.services import catalogue_upsert
from arena.serving_plan import serving_plan_refresh
from arena.style import style_features
from pairwise.months import month_end, month_of, month_range, month_start

DATA_DIR = Path(__file__).resolve().parent / "data"
CATALOGUE_PATH = DATA_DIR / "catalogue.csv"
DEMO_SET_NAME = "Demo: text prompts"

# Illustrative Elo-scale strengths, close to where the public text leaderboard placed these
# models in 2024-2025. They drive the simulation only; nothing reads them as results.
DEMO_STRENGTHS: dict[str, float] = {
    # United States
    "gpt-4-0314": 1186, "gpt-4-0613": 1163, "gpt-4-1106-preview": 1250,
    "gpt-4-0125-preview": 1245, "claude-3-opus-20240229": 1248,
    "claude-3-haiku-20240307": 1179, "gpt-4-turbo-2024-04-09": 1256,
    "gpt-4o-2024-05-13": 1285, "claude-3-5-sonnet-20240620": 1268,
    "gemini-1.5-pro-api-0514": 1263, "gemma-2-27b-it": 1219, "llama-3.1-405b-instruct": 1266,
    "gemini-1.5-pro-exp-0801": 1298, "chatgpt-4o-latest": 1316, "grok-2-2024-08-13": 1288,
    "o1-preview": 1335, "claude-3-5-sonnet-20241022": 1283, "gemini-2.0-flash-exp": 1355,
    "o1-2024-12-17": 1350, "gemini-2.0-flash-thinking-exp-01-21": 1380,
    "claude-3-7-sonnet-20250219": 1300, "gpt-4.5-preview-2025-02-27": 1398,
    "grok-3-preview-02-24": 1402, "gemini-2.5-pro-exp-03-25": 1439, "gpt-4.1-2025-04-14": 1360,
    "o3-2025-04-16": 1413,
    # China
    "qwen-14b-chat": 1035, "yi-34b-chat": 1111, "deepseek-llm-67b-chat": 1077,
    "qwen1.5-72b-chat": 1147, "qwen-max-0428": 1184, "glm-4-0116": 1208,
    "yi-large-preview": 1240, "qwen2-72b-instruct": 1187, "deepseek-v2-api-0628": 1219,
    "glm-4-plus": 1274, "yi-lightning": 1287, "qwen2.5-72b-instruct": 1257,
    "deepseek-v2.5": 1258, "qwen-max-0919": 1263, "deepseek-v3": 1318, "deepseek-r1": 1358,
    "qwen2.5-max": 1340, "hunyuan-turbos-20250226": 1296, "deepseek-v3-0324": 1373,
    "qwen3-235b-a22b": 1343,
    # Elsewhere
    "mixtral-8x7b-instruct-v0.1": 1114, "mistral-large-2402": 1157,
    "mistral-large-2407": 1251, "mistral-large-2411": 1250, "command-r-plus": 1190,
}  # fmt: skip


@dataclass(frozen=True)
class DemoPrompt:
    external_id: str
    category: str
    language: str
    text: str
    answers: tuple[str, ...]  # canned answers of rising quality; models get one by hash


DEMO_PROMPTS: tuple[DemoPrompt, ...] = tuple(
    DemoPrompt(
        external_id=item["prompt_id"],
        category=item["category"],
        language=item["language"],
        text=item["prompt"],
        answers=tuple(item["answers"]),
    )
    for item in json.loads((DATA_DIR / "demo_prompts.json").read_text(encoding="utf-8"))
)

# Image and video sets: real models; pictures and clips drawn here from scenes that depict
# their prompts (arena/data/demo_media_prompts.json), not the models' outputs. Each model
# draws at a quality that follows its strength (arena/demo_media.py). Video models are not
# in the Chatbot Arena catalogue; a few well-known ones come from demo_video_models.csv
# through the same catalogue upsert.
DEMO_IMAGE_SET_NAME = "Demo: image prompts"
DEMO_VIDEO_SET_NAME = "Demo: video prompts"
DEMO_VIDEO_MODELS_PATH = DATA_DIR / "demo_video_models.csv"
DEMO_IMAGE_STRENGTHS: dict[str, float] = {
    "dall-e-3": 1040, "flux-1.1-pro": 1110, "ideogram-v2": 1090,
    "imagen-3.0-generate-002": 1120, "recraft-v3": 1115, "stable-diffusion-v35-large": 1030,
    "photon": 1085,
}  # fmt: skip
DEMO_VIDEO_STRENGTHS: dict[str, float] = {
    "sora": 1080, "veo-2": 1150, "runway-gen-3-alpha": 1000, "ray-2": 1060,
    "kling-1.6": 1110, "hunyuan-video": 1050, "wan-2.1-t2v-14b": 1100,
}  # fmt: skip
DEMO_SCENES = scenes_from_json((DATA_DIR / "demo_media_prompts.json").read_text(encoding="utf-8"))
DEMO_IMAGE_PROMPTS = tuple((s.prompt_id, s.category, s.prompt) for s in DEMO_SCENES["image"])
DEMO_VIDEO_PROMPTS = tuple((s.prompt_id, s.category, s.prompt) for s in DEMO_SCENES["video"])
DEMO_MEDIA_START = date(2025, 1, 1)

DEMO_START = date(2024, 1, 1)
DEMO_END = date(2025, 5, 31)


@dataclass(frozen=True)
class DemoReport:
    models: int
    prompts: int
    outputs: int
    votes: int
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "the database already holds data: demo not loaded"
        return (
            f"demo loaded: {self.models} models, {self.prompts} prompts, "
            f"{self.outputs} outputs, {self.votes} simulated votes"
        )


def _stable_index(*parts: str, modulo: int) -> int:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") % modulo


def _simulate_votes(
    models: dict[str, AIModel],
    *,
    votes_per_month: int,
    seed: int,
    strengths: dict[str, float] = DEMO_STRENGTHS,
    set_name: str = DEMO_SET_NAME,
    modality: str = Modality.TEXT,
    start: date = DEMO_START,
    id_prefix: str = "",
) -> list[Vote]:
    """Month by month, pairs of released models, outcomes drawn from Bradley-Terry."""
    rng = random.Random(seed)
    prompts = list(Prompt.objects.filter(prompt_set__name=set_name))
    votes: list[Vote] = []
    for month in month_range(month_of(start), month_of(DEMO_END)):
        first, end = month_start(month), month_end(month)
        released = [m for m in models.values() if m.release_date and m.release_date < end.date()]
        if len(released) < 2:
            continue
        # Newer models get more battles, as a live arena weights up new entrants.
        weights = [3.0 if (end.date() - m.release_date).days < 62 else 1.0 for m in released]
        span = (end - first).total_seconds()
        for number in range(votes_per_month):
            model_a, model_b = rng.choices(released, weights=weights, k=2)
            while model_b.pk == model_a.pk:
                model_b = rng.choices(released, weights=weights, k=1)[0]
            gap = strengths[model_a.key] - strengths[model_b.key]
            p_a = 1.0 / (1.0 + 10 ** (-gap / 400.0))
            draw = rng.random()
            # About one vote in five is a tie (a quarter of those "both bad").
            if draw < 0.2:
                outcome = Vote.Outcome.BOTH_BAD if draw < 0.05 else Vote.Outcome.TIE
            else:
                outcome = Vote.Outcome.A if rng.random() < p_a else Vote.Outcome.B
            prompt = rng.choice(prompts)
            when = first + timedelta(seconds=rng.random() * span)
            votes.append(
                Vote(
                    source=Vote.SOURCE_DEMO,
                    external_id=f"{id_prefix}{month}-{number}",
                    outcome=outcome,
                    voter_key=f"demo-voter-{rng.randrange(500)}",
                    created_at=when,
                    modality=modality,
                    model_a=model_a,
                    model_b=model_b,
                    category=prompt.category,
                    language=prompt.language,
                )
            )
    return votes


def demo_seed(
    *, votes_per_month: int = 1500, seed: int = 2024, if_empty: bool = False
) -> DemoReport:
    """Load the catalogue, the demo text set and simulated votes, in one transaction."""
    with transaction.atomic():
        if if_empty and (Vote.objects.exists() or PromptSet.objects.exists()):
            return DemoReport(0, 0, 0, 0, skipped=True)
        parsed = parse_catalogue_csv(CATALOGUE_PATH.read_bytes())
        if parsed.errors:
            raise ValueError(f"the shipped catalogue is invalid: {parsed.errors[0]}")
        catalogue_upsert(rows=parsed.rows)
        models = {m.key: m for m in AIModel.objects.filter(key__in=DEMO_STRENGTHS)}
        missing = sorted(set(DEMO_STRENGTHS) - set(models))
        if missing:
            raise ValueError(f"demo models missing from the catalogue: {missing}")
        prompt_set, _ = PromptSet.objects.update_or_create(
            name=DEMO_SET_NAME,
            defaults={
                "modality": Modality.TEXT,
                "source": PromptSet.Source.DEMO,
                "description": "Demo data: canned answers written for the demo, not the "
                "models' real outputs.",
            },
        )
        outputs = 0
        for item in DEMO_PROMPTS:
            prompt, _ = Prompt.objects.update_or_create(
                prompt_set=prompt_set,
                external_id=item.external_id,
                defaults={"text": item.text, "category": item.category, "language": item.language},
            )
            for model in models.values():
                answer = item.answers[
                    _stable_index(model.key, item.external_id, modulo=len(item.answers))
                ]
                Output.objects.update_or_create(
                    prompt=prompt,
                    model=model,
                    defaults={
                        "modality": Modality.TEXT,
                        "text": answer,
                        "checksum": hashlib.sha256(answer.encode()).hexdigest(),
                        "style": style_features(answer),
                    },
                )
                outputs += 1
        media_prompts, media_outputs = _media_sets_seed()
        Vote.objects.filter(source=Vote.SOURCE_DEMO).delete()
        votes = _simulate_votes(models, votes_per_month=votes_per_month, seed=seed)
        votes += _simulate_media_votes(votes_per_month=votes_per_month, seed=seed)
        Vote.objects.bulk_create(votes, batch_size=2000)
        for modality in Modality.values:  # the demo votes replaced any before: count afresh
            serving_plan_refresh(modality, recount=True)
    return DemoReport(
        len(models) + len(DEMO_IMAGE_STRENGTHS) + len(DEMO_VIDEO_STRENGTHS),
        len(DEMO_PROMPTS) + media_prompts,
        outputs + media_outputs,
        len(votes),
    )


@functools.cache
def demo_media_file(modality: str, prompt_id: str, key: str) -> bytes:
    """What model ``key`` "made" for a demo prompt: a PNG picture or a VP8 WebM clip (one
    format per modality, whatever the model), drawn at the quality the model's strength
    gives. The same bytes every time (the seed is the prompt and the model, not
    ``--seed``), so they are kept for the process: a few megabytes in all."""
    strengths = DEMO_IMAGE_STRENGTHS if modality == Modality.IMAGE else DEMO_VIDEO_STRENGTHS
    quality = quality_levels(strengths)[key]
    scene = next(scene for scene in DEMO_SCENES[modality] if scene.prompt_id == prompt_id)
    if modality == Modality.IMAGE:
        return picture_png(scene, quality=quality, seed=key)
    return clip_webm(scene, quality=quality, seed=key)


def _media_manifest(
    set_name: str, modality: str, scenes: tuple[Scene, ...], strengths: dict[str, float]
) -> tuple[bytes, dict[str, bytes]]:
    """The rows of the set that the database does not hold yet, with their media: loading
    the demo again adds what is missing and never re-encodes what is there."""
    present = set(
        Output.objects.filter(prompt__prompt_set__name=set_name).values_list(
            "prompt__external_id", "model__key"
        )
    )
    ext = "png" if modality == Modality.IMAGE else "webm"
    rows, files = [], {}
    for scene in scenes:
        for key in sorted(strengths):
            if (scene.prompt_id, key) in present:
                continue
            path = f"{scene.prompt_id}/{key}.{ext}"
            files[path] = demo_media_file(modality, scene.prompt_id, key)
            rows.append(
                {
                    "set": set_name,
                    "modality": modality,
                    "prompt_id": scene.prompt_id,
                    "prompt": scene.prompt,
                    "category": scene.category,
                    "language": "en",
                    "model": key,
                    "media": path,
                }
            )
    manifest = "".join(json.dumps(row) + "\n" for row in rows).encode()
    return manifest, files


def _media_sets_seed() -> tuple[int, int]:
    """The image and video demo sets, imported through the same path as an upload."""
    from arena.media import MemorySource
    from arena.set_ingest import prompt_set_ingest

    parsed = parse_catalogue_csv(DEMO_VIDEO_MODELS_PATH.read_bytes())
    if parsed.errors:
        raise ValueError(f"the demo video models are invalid: {parsed.errors[0]}")
    catalogue_upsert(rows=parsed.rows)
    prompts = outputs = 0
    for set_name, modality, strengths in (
        (DEMO_IMAGE_SET_NAME, Modality.IMAGE, DEMO_IMAGE_STRENGTHS),
        (DEMO_VIDEO_SET_NAME, Modality.VIDEO, DEMO_VIDEO_STRENGTHS),
    ):
        scenes = DEMO_SCENES[modality]
        manifest, files = _media_manifest(set_name, modality, scenes, strengths)
        prompts += len(scenes)
        outputs += len(scenes) * len(strengths)
        if not files:
            continue
        report = prompt_set_ingest(
            manifest=manifest,
            manifest_name="demo.jsonl",
            media=MemorySource(files),
            set_source=PromptSet.Source.DEMO,
            set_description="Demo data: pictures and clips drawn by the demo to depict each "
            "prompt, at a quality that follows each model's simulated strength; not the "
            "models' real outputs.",
        )
        if not report.ok:
            raise ValueError(f"the demo {modality} set is invalid: {report.errors[0]}")
    return prompts, outputs


def _simulate_media_votes(*, votes_per_month: int, seed: int) -> list[Vote]:
    """Fewer votes than text (image and video arenas are smaller), from 2025 on."""
    votes: list[Vote] = []
    for set_name, modality, strengths, share in (
        (DEMO_IMAGE_SET_NAME, Modality.IMAGE, DEMO_IMAGE_STRENGTHS, 5),
        (DEMO_VIDEO_SET_NAME, Modality.VIDEO, DEMO_VIDEO_STRENGTHS, 10),
    ):
        models = {m.key: m for m in AIModel.objects.filter(key__in=strengths)}
        votes += _simulate_votes(
            models,
            votes_per_month=votes_per_month // share,
            seed=seed,
            strengths=strengths,
            set_name=set_name,
            modality=modality,
            start=DEMO_MEDIA_START,
            id_prefix=f"{modality}-",
        )
    return votes
