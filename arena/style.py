"""Style features of a text output: the covariates of style-controlled ratings.

Pure and dependency-free. The rating engine compares these between the two sides of a
battle (longer answers and more Markdown tend to win votes regardless of substance).
"""

from __future__ import annotations

import re

# An approximate token: a run of word characters, or one punctuation/symbol character.
# Close enough to a sub-word tokenizer's count for a covariate, and needs no vocabulary.
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_HEADER = re.compile(r"^ {0,3}#{1,6}(?:\s|$)", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+\S", re.MULTILINE)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)


def style_features(text: str) -> dict[str, int]:
    """Count what a voter sees at a glance.

    Returns ``chars`` (Unicode code points), ``tokens`` (runs of word characters plus
    single punctuation marks), ``headers`` (Markdown ``#`` to ``######`` lines),
    ``list_items`` (lines starting with ``-``, ``*``, ``+`` or ``1.``/``1)``) and ``bold``
    (``**x**`` or ``__x__`` spans). Markdown inside fenced code blocks is not counted as
    headers, lists or bold (a ``# comment`` in Python is not a header).
    """
    prose = _FENCE.sub("", text)
    return {
        "chars": len(text),
        "tokens": len(_TOKEN.findall(text)),
        "headers": len(_HEADER.findall(prose)),
        "list_items": len(_LIST_ITEM.findall(prose)),
        "bold": len(_BOLD.findall(prose)),
    }
