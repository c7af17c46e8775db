"""How outputs are shown: sanitised Markdown for text, opaque URLs for media; and the
modality tabs every page draws with ``templates/arena/_modality_tabs.html``.

Nothing returned here may identify a model: no ids, keys, original file names. URLs are
built here, on the web side: ``arena.media`` knows storage and content, not routes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.db.models.fields.files import FieldFile
from django.urls import reverse
from markdown_it import MarkdownIt

from arena.models import Modality, Output, Prompt

# Raw HTML in an output is shown as text, never interpreted; markdown-it also refuses
# javascript:, vbscript: and data: links (except images) by default. `breaks`: a single line
# break is kept as written (a poem, an address, a list typed without Markdown), as chat
# interfaces show answers; CommonMark alone would join such lines into one paragraph.
_markdown = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True}
)
_markdown.enable(["table", "strikethrough"])
# An answer sits under the page's h3 "Model A": its own top heading becomes h4, whether it
# was written "# Title" or "### Title", so an output cannot break the page's outline
# (screen readers navigate by it, and a jump from h3 to h6 fails axe's heading-order rule).
TOP_HEADING = 4


def _demote_headings(state) -> None:  # a markdown-it core state
    headings = [t for t in state.tokens if t.type in {"heading_open", "heading_close"}]
    if not headings:
        return
    offset = TOP_HEADING - min(int(t.tag[1]) for t in headings)
    for token in headings:
        token.tag = f"h{min(6, int(token.tag[1]) + offset)}"


_markdown.core.ruler.push("demote_headings", _demote_headings)


#: Texts up to this long keep their rendering in memory (the last ``_RENDERED`` of them):
#: every battle shows two answers, and the same answers are served again and again.
_CACHED_TEXT_CHARS = 20_000
_RENDERED = 1024


@lru_cache(maxsize=_RENDERED)
def _render_cached(text: str) -> str:
    return _markdown.render(text)


def render_markdown(text: str) -> str:
    return _render_cached(text) if len(text) <= _CACHED_TEXT_CHARS else _markdown.render(text)


#: The short kinds in the URLs of ``arena.views_media.media_serve`` and the storage folders
#: they stand for.
MEDIA_KINDS = {"o": "outputs", "i": "inputs"}


def media_url(file: FieldFile) -> str:
    """The opaque URL at which this site serves a stored output or input file; "" without a
    file. Never ``FieldFile.url``: on an object store that is the bucket's own address."""
    return served_media_url(file.name) if file else ""


def served_media_url(name: str) -> str:
    """The URL at which ``media_serve`` answers for a stored output (``outputs/<hash>.<ext>``)
    or input (``inputs/...``) file: ``/media/o/<hash>.<ext>`` or ``/media/i/<hash>.<ext>``."""
    folder, _, base = name.partition("/")
    kind = {stored: kind for kind, stored in MEDIA_KINDS.items()}[folder]
    return reverse("arena_media:serve", kwargs={"kind": kind, "name": base})


def output_payload(output: Output) -> dict[str, Any]:
    if output.modality == Modality.TEXT:
        return {"kind": "text", "text": output.text, "html": render_markdown(output.text)}
    meta = output.media_meta or {}
    payload = {
        "kind": output.modality,
        "url": media_url(output.media),
        "mime": meta.get("mime", ""),
    }
    for name in ("width", "height", "duration"):
        if name in meta:
            payload[name] = meta[name]
    return payload


def prompt_payload(prompt: Prompt) -> dict[str, Any]:
    return {
        "text": prompt.text,
        "category": prompt.category,
        "language": prompt.language,
        "input_media_url": media_url(prompt.input_media),
    }


def modality_tabs(current: str | None, url: Callable[[str], str]) -> list[dict[str, Any]]:
    """One tab per modality for ``_modality_tabs.html``; ``url`` maps a modality to its page."""
    return [
        {"label": modality.label, "url": url(modality.value), "current": modality == current}
        for modality in Modality
    ]
