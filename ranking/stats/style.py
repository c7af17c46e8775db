"""Style features of a text answer, for style-controlled fits (Chatbot Arena, Aug 2024).

Chatbot Arena's "style control" adds to the Bradley-Terry logit the differences in answer
length and Markdown density between A and B, normalised as ``(a - b) / (a + b)``, so that a
model's score is estimated holding style fixed (LMSYS blog, "Does style matter?", 2024-08-28).
"""

from __future__ import annotations

import re

import numpy as np

STYLE_FEATURES: tuple[str, ...] = ("tokens", "headers", "list_items", "bold")

_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)


def style_features(text: str) -> dict[str, int]:
    """Counts for one answer: chars, tokens (words and punctuation marks, a tokenizer-free
    proxy), Markdown headers, list items and bold spans. Fenced code is ignored for Markdown
    counts, as in Chatbot Arena's implementation."""
    prose = _CODE_BLOCK.sub("", text)
    return {
        "chars": len(text),
        "tokens": len(_TOKEN.findall(text)),
        "headers": len(_HEADER.findall(prose)),
        "list_items": len(_LIST_ITEM.findall(prose)),
        "bold": len(_BOLD.findall(prose)),
    }


def style_difference(features_a: np.ndarray, features_b: np.ndarray) -> np.ndarray:
    """Normalised differences ``(a - b) / (a + b)`` (0 where both are 0); (m, F) each."""
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    total = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (a - b) / np.where(total > 0, total, 1.0), 0.0)
