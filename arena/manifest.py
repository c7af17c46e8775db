"""Prompt/output set manifests (JSONL or CSV) in, typed rows and row-numbered errors out.

Pure: no database, no files other than the bytes given. The row number of an error is the
line of the file (JSONL: the line; CSV: the line where the record starts, header = line 1).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from posixpath import normpath

from arena.models import Modality
from pairwise.rows import Parsed, RowError, csv_records, decode_utf8

MANIFEST_REQUIRED = ("set", "modality", "prompt_id", "prompt", "model")
MANIFEST_FIELDS = (*MANIFEST_REQUIRED, "category", "language", "text", "media", "input_media")
# The database's column widths, checked here so a long value is a row error, not a crash.
_MAX_LENGTH = {"set": 160, "prompt_id": 128, "model": 128, "category": 64, "language": 16}
_MODEL_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")


@dataclass(frozen=True)
class ManifestRow:
    row: int
    set_name: str
    modality: str
    prompt_id: str
    prompt: str
    category: str
    language: str
    model: str
    text: str
    media: str
    input_media: str


def safe_member_path(path: str) -> str | None:
    """The normalised relative POSIX path, or None when it is absolute or climbs out with
    ``..`` (the zip-slip shapes: ``/etc/x``, ``../x``, ``a/../../x``, ``C:\\x``, ``\\\\host``)."""
    if not path or "\x00" in path:
        return None
    unified = path.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        return None
    if ".." in unified.split("/"):
        return None
    normal = normpath(unified)
    return None if normal in {".", ""} else normal


def _jsonl_records(text: str, result: Parsed) -> list[tuple[int, dict[str, str]]]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            result.errors.append(
                RowError(number, "", f"not valid JSON ({error.msg} at column {error.colno})")
            )
            continue
        if not isinstance(value, dict):
            result.errors.append(RowError(number, "", "a JSON object is expected on each line"))
            continue
        cells: dict[str, str] = {}
        for name in MANIFEST_FIELDS:
            cell = value.get(name)
            if cell is None:
                cells[name] = ""
            elif isinstance(cell, bool) or not isinstance(cell, str | int):
                result.errors.append(RowError(number, name, "must be a string"))
                cells[name] = ""
            else:
                cells[name] = str(cell)
        records.append((number, cells))
    return records


def _csv_records(text: str, result: Parsed) -> list[tuple[int, dict[str, str]]]:
    return [
        (line, {name: values.get(name, "") for name in MANIFEST_FIELDS})
        for line, values, _ in csv_records(text, MANIFEST_REQUIRED, result)
    ]


def _is_jsonl(name: str, text: str) -> bool:
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return True
    if lowered.endswith(".csv"):
        return False
    return text.lstrip().startswith("{")


def parse_manifest(data: bytes, *, name: str, max_text_chars: int) -> Parsed[ManifestRow]:
    """Parse a manifest: one row per output (see docs/uploads.md). Checks each row alone and
    the rows together: one set and one modality per manifest, one output per (prompt,
    model), one prompt text per prompt_id."""
    result: Parsed[ManifestRow] = Parsed()
    text = decode_utf8(data, result)
    if text is None:
        return result
    records = _jsonl_records(text, result) if _is_jsonl(name, text) else _csv_records(text, result)
    if not records and not result.errors:
        result.errors.append(RowError(1, "", "the manifest has no rows"))
    first: ManifestRow | None = None
    outputs: dict[tuple[str, str], int] = {}
    prompts: dict[str, ManifestRow] = {}
    for line, cells in records:
        row = _check_row(line, {k: v.strip() for k, v in cells.items()}, max_text_chars, result)
        if row is None:
            continue
        first = first or row
        errors_before = len(result.errors)
        if row.set_name != first.set_name:
            result.errors.append(
                RowError(
                    line,
                    "set",
                    f"{row.set_name!r} differs from {first.set_name!r} on "
                    f"row {first.row}; one manifest holds one set",
                )
            )
        if row.modality != first.modality:
            result.errors.append(
                RowError(
                    line,
                    "modality",
                    f"{row.modality!r} differs from {first.modality!r} "
                    f"on row {first.row}; one set has one modality",
                )
            )
        key = (row.prompt_id, row.model)
        if key in outputs:
            result.errors.append(
                RowError(
                    line,
                    "model",
                    f"duplicate of row {outputs[key]}: prompt "
                    f"{row.prompt_id!r} already has an output from {row.model!r}",
                )
            )
        else:
            outputs[key] = line
        earlier = prompts.setdefault(row.prompt_id, row)
        for field_name in ("prompt", "category", "language", "input_media"):
            if getattr(earlier, field_name) != getattr(row, field_name):
                result.errors.append(
                    RowError(
                        line,
                        field_name,
                        f"differs from row {earlier.row} for prompt_id "
                        f"{row.prompt_id!r}; a prompt is the same on every row",
                    )
                )
        if len(result.errors) == errors_before:
            result.rows.append(row)
    return result


def _article(modality: str) -> str:
    return f"an {modality}" if modality[0] in "aeiou" else f"a {modality}"


def _check_row(
    line: int, cells: dict[str, str], max_text_chars: int, result: Parsed
) -> ManifestRow | None:
    errors = _cell_errors(cells, max_text_chars) + _content_errors(cells)
    result.errors += [RowError(line, name, message) for name, message in errors]
    if errors:
        return None
    return ManifestRow(
        row=line,
        set_name=cells["set"],
        modality=cells["modality"],
        prompt_id=cells["prompt_id"],
        prompt=cells["prompt"],
        category=cells["category"],
        language=cells["language"],
        model=cells["model"],
        text=cells["text"],
        media=safe_member_path(cells["media"]) or "" if cells["media"] else "",
        input_media=safe_member_path(cells["input_media"]) or "" if cells["input_media"] else "",
    )


def _cell_errors(cells: dict[str, str], max_text_chars: int) -> list[tuple[str, str]]:
    """(field, problem) for each cell that is wrong whatever the other cells say."""
    errors = [(name, "required") for name in MANIFEST_REQUIRED if not cells[name]]
    errors += [
        (name, f"{len(cells[name])} characters; the limit is {limit}")
        for name, limit in _MAX_LENGTH.items()
        if len(cells[name]) > limit
    ]
    errors += [
        (name, "contains a NUL character") for name in MANIFEST_FIELDS if "\x00" in cells[name]
    ]
    modality, model = cells["modality"], cells["model"]
    if modality and modality not in Modality.values:
        errors.append(("modality", f"{modality!r} is not one of {'|'.join(Modality.values)}"))
    if model and not _MODEL_KEY.match(model):
        errors.append(("model", f"{model!r} is not a model key (letters, digits, . _ : / @ + -)"))
    errors += [
        (name, f"{len(cells[name]):,} characters; the limit is {max_text_chars:,}")
        for name in ("prompt", "text")
        if len(cells[name]) > max_text_chars
    ]
    return errors


def _content_errors(cells: dict[str, str]) -> list[tuple[str, str]]:
    """(field, problem) for what the modality asks: text or media, and safe media paths."""
    modality = cells["modality"]
    errors = []
    if modality == Modality.TEXT:
        if not cells["text"]:
            errors.append(("text", "required for a text output"))
        if cells["media"]:
            errors.append(("media", "a text output has text, not media"))
    elif modality in Modality.values:
        if not cells["media"]:
            where = "a path in the archive or folder"
            errors.append(("media", f"required for {_article(modality)} output ({where})"))
        if cells["text"]:
            errors.append(("text", f"{_article(modality)} output has media, not text"))
    errors += [
        (name, f"{cells[name]!r} is absolute or contains '..': refused")
        for name in ("media", "input_media")
        if cells[name] and safe_member_path(cells[name]) is None
    ]
    if cells["input_media"] and modality != Modality.VIDEO:
        errors.append(("input_media", "only video sets take an input image (image-to-video)"))
    return errors
