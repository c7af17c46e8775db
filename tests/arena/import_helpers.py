"""Building manifests, archives and bad files for the import tests, and running imports."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from arena.models import Output, Prompt, PromptSet, Vote
from tests.support import shared_data

GENAI = "genai_arena_2024_02/clean_battle_20240220.json"
LMSYS = "lmsys_2024_08/pair_counts_20240814.csv"
LMSYS_SOURCE = "lmsys-2024-08-14"


def jsonl(rows: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def text_rows(set_name: str = "Set T", models: tuple[str, ...] = ("m-a", "m-b"), prompts: int = 2):
    return [
        {
            "set": set_name,
            "modality": "text",
            "prompt_id": f"p{p}",
            "prompt": f"Question {p}?",
            "category": "general",
            "language": "en",
            "model": model,
            "text": f"Answer {p} from {model}.",
        }
        for p in range(1, prompts + 1)
        for model in models
    ]


def media_rows(modality: str, files: dict[tuple[str, str], str], set_name: str = "Set M"):
    return [
        {
            "set": set_name,
            "modality": modality,
            "prompt_id": prompt_id,
            "prompt": f"Draw {prompt_id}",
            "category": "art",
            "language": "en",
            "model": model,
            "media": path,
        }
        for (prompt_id, model), path in files.items()
    ]


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def snapshot() -> tuple:
    """What a refused import must leave exactly as it was: rows and media files."""
    return (
        PromptSet.objects.count(),
        Prompt.objects.count(),
        Output.objects.count(),
        Vote.objects.count(),
        media_files(),
    )


_PROGRESS = re.compile(r"^\s*[a-z ]+ \[[#-]+\]")


def report_lines(stderr: str) -> list[str]:
    """A command's stderr without its progress bar: the report alone."""
    return [line for line in stderr.strip().splitlines() if not _PROGRESS.match(line)]


def import_votes(
    path: str | Path, file_format: str, *options: str, modality: str = "text", source: str = "s"
) -> None:
    """``manage.py import_votes`` with the required options spelled once."""
    call_command(
        "import_votes",
        str(path),
        "--format",
        file_format,
        "--modality",
        modality,
        "--source",
        source,
        *options,
    )


def import_genai(*options: str) -> None:
    """The GenAI-Arena image log under the source "genai", creating its models."""
    import_votes(
        shared_data(GENAI),
        "clean_battle",
        "--create-models",
        *options,
        modality="image",
        source="genai",
    )


def import_lmsys(*options: str) -> None:
    """The LMSYS pair counts under their source, creating their models."""
    import_votes(
        shared_data(LMSYS), "pair_counts", "--create-models", *options, source=LMSYS_SOURCE
    )


def problems(stderr: str) -> list[str]:
    """The report lines of a refusal on stderr, without the progress bar's lines."""
    return [line for line in stderr.splitlines() if line.startswith("row ") or ":" in line[:6]]
