"""Style covariates for style-controlled fits (Chatbot Arena, Aug 2024).

Chatbot Arena's "style control" adds to the Bradley-Terry logit the differences in answer
length and Markdown density between A and B, normalised as ``(a - b) / (a + b)``, so that a
model's score is estimated holding style fixed (LMSYS blog, "Does style matter?", 2024-08-28).
The features of each text (``arena.style.style_features``, computed once at import) come in
as arrays; this package never sees the texts.
"""

from __future__ import annotations

import numpy as np

STYLE_FEATURES: tuple[str, ...] = ("tokens", "headers", "list_items", "bold")


def style_difference(features_a: np.ndarray, features_b: np.ndarray) -> np.ndarray:
    """Normalised differences ``(a - b) / (a + b)`` (0 where both are 0); (m, F) each."""
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    total = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (a - b) / np.where(total > 0, total, 1.0), 0.0)
