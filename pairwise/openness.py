"""Whether a model's weights are open: three values, with "unknown" a value of its own, and the
one mapping from a catalogue's licence string to it (``docs/frontier.md``, "Openness").

"Open weights" means the weights can be downloaded, under whatever terms: a research-only or
non-commercial licence (``CC-BY-NC-4.0``, ``Mistral Research``, ``Llama 2 Community``) is
still open weights. "Proprietary" means only an API or a product. A blank licence, or a
placeholder (``-``, ``unknown``), says nothing: unknown, never proprietary by default.
"""

from __future__ import annotations

OPEN = "open"
PROPRIETARY = "proprietary"
UNKNOWN = "unknown"

#: (stored value, what a person reads), in the order forms list them.
WEIGHTS_CHOICES: tuple[tuple[str, str], ...] = (
    (OPEN, "Open weights"),
    (PROPRIETARY, "Proprietary"),
    (UNKNOWN, "Unknown"),
)
#: The two classes a frontier side can be restricted to (unknown is left out of both).
LICENCE_CLASSES = (OPEN, PROPRIETARY)

#: Licence strings (compared without case and surrounding spaces) that mean "no weights".
#: "propretary" is a misspelling found in the public leaderboard's metadata.
PROPRIETARY_LICENCES = frozenset({"proprietary", "propretary", "closed", "api only"})
#: Licence strings that say nothing about the weights.
UNKNOWN_LICENCES = frozenset({"", "-", "unknown", "n/a"})

#: An explicit openness cell (a catalogue's ``open_weights`` column, a published history's
#: ``open_weights`` column): the value of each accepted spelling; blank means "not given".
_CELL = {
    "true": OPEN,
    "yes": OPEN,
    "1": OPEN,
    "open": OPEN,
    "false": PROPRIETARY,
    "no": PROPRIETARY,
    "0": PROPRIETARY,
    "proprietary": PROPRIETARY,
    "unknown": UNKNOWN,
}
CELL_SPELLINGS = "true/yes/open, false/no/proprietary, unknown, or blank"


def weights_of_licence(licence: str) -> str:
    """The openness a licence string implies: proprietary for ``PROPRIETARY_LICENCES``,
    unknown for a blank or placeholder licence, open for any other (named) licence."""
    text = licence.strip().lower()
    if text in UNKNOWN_LICENCES:
        return UNKNOWN
    if text in PROPRIETARY_LICENCES:
        return PROPRIETARY
    return OPEN


def weights_of_cell(cell: str) -> str | None:
    """The openness an explicit cell gives; ``None`` when blank (not given).

    Raises ``ValueError`` naming the accepted spellings for anything else."""
    text = cell.strip().lower()
    if not text:
        return None
    if text not in _CELL:
        raise ValueError(f"{cell.strip()!r} is not one of {CELL_SPELLINGS}")
    return _CELL[text]


def weights_of(cell: str, licence: str) -> str:
    """A row's openness: the explicit cell when given, else what the licence implies.

    Raises ``ValueError`` for a cell that is not an accepted spelling."""
    explicit = weights_of_cell(cell)
    return weights_of_licence(licence) if explicit is None else explicit
