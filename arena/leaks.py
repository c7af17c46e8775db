"""Identity leaks: a text output that names its own model or lab ("As an OpenAI model...",
"I am Claude") would unblind the battle, so it is flagged at import and never served.

Media cannot name their model in bytes a voter receives: ``arena.media.media_normalise``
re-encodes them without metadata. What the upload's metadata said is still checked
(``metadata_leak``), so the import report tells the admin which files named their model.

A leak is a self-reference phrase followed closely by one of the names of the output's own
lab (``DEFAULT_LAB_NAMES``, overridable per lab with the ``ARENA_IDENTITY_NAMES`` setting),
or by the model's own key or display name. A mere mention ("Google it") is not a leak.
"""

from __future__ import annotations

import re

DEFAULT_LAB_NAMES: dict[str, list[str]] = {
    "OpenAI": [r"OpenAI", r"ChatGPT", r"GPT-?[345o]\w*", r"o[134](?:-mini)?"],
    "Anthropic": [r"Anthropic", r"Claude"],
    "Google": [r"Google", r"Gemini", r"Gemma", r"Bard", r"PaLM", r"DeepMind"],
    "Meta AI": [r"Meta(?: AI)?", r"Llama", r"LLaMA"],
    "Mistral AI": [r"Mistral(?: AI)?", r"Mixtral", r"Le Chat"],
    "Alibaba": [r"Alibaba(?: Cloud)?", r"Qwen", r"Tongyi(?: Qianwen)?"],
    "DeepSeek": [r"DeepSeek"],
    "Microsoft": [r"Microsoft", r"Phi-?\d*", r"Copilot"],
    "xAI": [r"xAI", r"Grok"],
    "Cohere": [r"Cohere", r"Command(?:-R)?"],
    "01.AI": [r"01\.AI", r"Yi"],
    "Zhipu AI": [r"Zhipu(?: AI)?", r"ChatGLM", r"GLM"],
    "Tencent": [r"Tencent", r"Hunyuan"],
    "Amazon": [r"Amazon", r"Nova"],
    "Reka AI": [r"Reka"],
    "NVIDIA": [r"NVIDIA", r"Nemotron"],
}

_SELF = (
    r"(?:\bI\s+am\b|\bI'm\b|\bI’m\b|\bas\s+an?\b|\bmy\s+name\s+is\b|"
    r"\b(?:created|developed|trained|built|made|designed|powered)\s+by\b)"
)


def lab_names(lab: str, overrides: dict[str, list[str]] | None = None) -> list[str]:
    table = {**DEFAULT_LAB_NAMES, **(overrides or {})}
    return table.get(lab, [re.escape(lab)] if lab else [])


def identity_leak(text: str, *, names: list[str], literal_names: list[str]) -> str:
    """The leaking phrase (for ``Output.identity_leak_reason``), or ``""``.

    ``names`` are regular expressions (the lab's names); ``literal_names`` are matched as
    written (the model's key and display name)."""
    alternatives = [f"(?:{name})" for name in names]
    alternatives += [re.escape(name) for name in literal_names if name]
    if not alternatives:
        return ""
    pattern = re.compile(
        rf"{_SELF}[^.!?\n]{{0,40}}?(?<![\w-])(?:{'|'.join(alternatives)})(?![\w-])",
        re.IGNORECASE,
    )
    match = pattern.search(text)
    if match is None:
        return ""
    return f"names its own model or lab: {match.group(0)!r}"[:200]


def metadata_leak(
    texts: tuple[str, ...] | list[str], *, names: list[str], literal_names: list[str]
) -> str:
    """The first metadata item (``"name: value"``) that mentions the model or its lab, or
    ``""``. Metadata is not prose: any mention counts, no self-reference is needed."""
    alternatives = [f"(?:{name})" for name in names]
    alternatives += [re.escape(name) for name in literal_names if name]
    if not alternatives:
        return ""
    pattern = re.compile(rf"(?<![\w-])(?:{'|'.join(alternatives)})(?![\w-])", re.IGNORECASE)
    for text in texts:
        if pattern.search(text):
            return f"metadata names the model, stripped: {text!r}"[:200]
    return ""
