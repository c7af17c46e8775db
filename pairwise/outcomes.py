"""The outcome of one vote, seen from the (A, B) order in which the two outputs were shown.

Each outcome has an integer code (arrays and files), a name (the database and the API), a
label (what a voter reads) and the credit it gives side A when ties count half.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Outcome(IntEnum):
    A_WINS = 0
    B_WINS = 1
    TIE = 2
    BOTH_BAD = 3

    @classmethod
    def from_name(cls, name: str) -> Outcome:
        return _BY_NAME[name]


#: (stored name, what a voter reads on the button) in code order; the names are the
#: ``Vote.outcome`` values of the database and the API.
OUTCOME_CHOICES: tuple[tuple[str, str], ...] = (
    ("a", "A is better"),
    ("b", "B is better"),
    ("tie", "Tie"),
    ("both_bad", "Both are bad"),
)
OUTCOME_NAMES: tuple[str, ...] = tuple(name for name, _ in OUTCOME_CHOICES)
_BY_NAME = {name: Outcome(code) for code, name in enumerate(OUTCOME_NAMES)}

#: Credit of side A per outcome code when ties count half: a tie and "both bad" are half
#: a win for each side.
CREDIT_A = np.array([1.0, 0.0, 0.5, 0.5])
#: The outcome seen from the other side: swapping A and B turns an A win into a B win.
FLIPPED = np.array([1, 0, 2, 3], dtype=np.int8)


def credit_a(outcome: int | str) -> float:
    """Side A's share of one vote (1, 0 or 0.5), from a code or a stored name."""
    code = _BY_NAME[outcome] if isinstance(outcome, str) else outcome
    return float(CREDIT_A[code])
