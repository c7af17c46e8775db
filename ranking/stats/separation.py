"""Which scores the votes bound: connected components, reference groups and open intervals.

A Bradley-Terry maximum-likelihood estimate exists only where the votes bound it (Zermelo
1929; Ford 1957; Hunter 2004, assumption 1): within a connected part of the comparison graph,
every model must be reachable from every other along a chain "got credit against" (a win, or
a tie, which bounds the difference both ways). A model that never lost to the rest (a perfect
record, or a group that only ever beat the others) can be moved up without limit and the
likelihood only grows: its fitted score is wherever the weak prior stopped it, and every
bootstrap replicate repeats the perfect record, so the percentile interval has width zero.

This module finds, on the votes of a fit or of one bootstrap replicate:

* the connected components of the comparison graph (scores are comparable only within one);
* per component, the **reference group** that fixes the level: the anchor's strongly connected
  part, else the strongly connected part with the most votes if it holds at least two models,
  else the whole component (with the mean level, the mean is taken over the reference groups);
* for every model, whether its score relative to that level is bounded above (it is reachable
  from every reference model along "got credit against" chains) and below (every reference
  model is reachable from it). A side that is not bounded is **open**: the interval there is
  infinite, and on the other side it is the one-sided exact bound of :func:`open_side_shifts`.

Everything is graph search over the compared pairs: no refit, and nothing for the usual case
of one strongly connected board (one cheap check per replicate along a spanning tree of pairs
with credit both ways).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ranking.stats.graphs import (
    component_labels,
    max_spanning_forest,
    reached,
    reached_in_words,
)

if TYPE_CHECKING:
    import scipy.sparse as sp

#: A round's credit edges go in a (K, K) table for its sweeps (:meth:`ReplicateCheck._held`)
#: when the table has at most this many entries per edge of the board, else they are swept
#: as edge lists: on sparse K = 200 data (every pair compared) the table's sweeps took a
#: third of the lists' time.
_TABLE_PER_EDGE = 8
#: Rounds whose sweeps over a (K, K) table run together, a bit each of a 16-bit word
#: (:meth:`ReplicateCheck._swept_in_tables`; packed by a float32 product, exact to 24 bits).
_SWEPT_TOGETHER = 16
#: Codes of :func:`replicate_openness`: bounded, open above, open below, unknown (both open or
#: absent from the replicate).
BOUNDED, OPEN_ABOVE, OPEN_BELOW, UNKNOWN = 0, 1, -1, 2


@dataclass(frozen=True, eq=False)
class CreditCells:
    """Resampling cells on unordered pairs, with who gets credit from their votes.

    Attributes:
        n_models: K.
        first, second: (P,) int64, the models of each compared pair, ``first < second``,
            sorted by (first, second).
        cell_pair: (c,) int64, the pair of each cell (the cells the bootstrap draws counts for).
        cell_first, cell_second: (c,) bool, whether a vote of the cell gives ``first`` (a win or
            a tie) or ``second`` credit.
    """

    n_models: int
    first: np.ndarray
    second: np.ndarray
    cell_pair: np.ndarray
    cell_first: np.ndarray
    cell_second: np.ndarray

    @classmethod
    def from_oriented(
        cls, n_models: int, first: np.ndarray, second: np.ndarray, code: np.ndarray
    ) -> CreditCells:
        """Cells given as (first, second, code) with code 0 first won, 1 second won, 2 tie."""
        pair_key, cell_pair = np.unique(first * n_models + second, return_inverse=True)
        return cls(
            n_models,
            pair_key // n_models,
            pair_key % n_models,
            cell_pair.ravel(),
            np.asarray(code) != 1,
            np.asarray(code) != 0,
        )

    @property
    def n_pairs(self) -> int:
        return self.first.size

    def credit_matrices(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(P, c) maps from cell counts to the credit counts of ``first`` and of ``second``
        (scipy, imported here: only rounds whose design rows are not the pairs use them)."""
        import scipy.sparse as sp

        cells = self.cell_pair.size
        shape = (self.n_pairs, cells)
        columns = np.arange(cells)
        to_first = sp.csr_matrix(
            (self.cell_first.astype(np.float64), (self.cell_pair, columns)), shape=shape
        )
        to_second = sp.csr_matrix(
            (self.cell_second.astype(np.float64), (self.cell_pair, columns)), shape=shape
        )
        return to_first, to_second

    def pair_credit(self, cell_count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Credit counts of ``first`` and of ``second`` per pair, each (P,), for (c,) counts."""
        first = np.bincount(self.cell_pair, cell_count * self.cell_first, self.n_pairs)
        second = np.bincount(self.cell_pair, cell_count * self.cell_second, self.n_pairs)
        return first, second

    def credit_edges(self, cell_count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The directed graph with an edge i -> j when i got credit against j at least once,
        as (sources, targets), (m,) each."""
        first, second = self.pair_credit(cell_count)
        one, two = first > 0, second > 0
        sources = np.concatenate([self.first[one], self.second[two]])
        targets = np.concatenate([self.second[one], self.first[two]])
        return sources, targets

    def model_votes(self, cell_count: np.ndarray) -> np.ndarray:
        """(K,) votes per model."""
        per_pair = np.bincount(self.cell_pair, cell_count, self.n_pairs)
        k = self.n_models
        return np.bincount(self.first, per_pair, k) + np.bincount(self.second, per_pair, k)


@dataclass(frozen=True, eq=False)
class Identification:
    """What the votes of a fit identify, per model, each (K,).

    Attributes:
        rated: the model has votes in the fit (the others get no score).
        component: connected component, numbered from 0 by decreasing votes (ties: the lowest
            model index first); -1 for models without votes.
        reference: the model belongs to its component's reference group (module docstring).
        open_above, open_below: the votes do not bound the score on that side.
    """

    rated: np.ndarray
    component: np.ndarray
    reference: np.ndarray
    open_above: np.ndarray
    open_below: np.ndarray

    @property
    def n_components(self) -> int:
        return int(self.component.max()) + 1 if self.rated.any() else 0

    def reference_groups(self) -> list[np.ndarray]:
        """The reference models of each component, one index array per component."""
        return [
            np.flatnonzero(self.reference & (self.component == c)) for c in range(self.n_components)
        ]

    @property
    def separated(self) -> bool:
        return bool(self.open_above.any() or self.open_below.any())


def _components(cells: CreditCells, cell_count: np.ndarray, rated: np.ndarray) -> np.ndarray:
    """Component labels numbered by decreasing votes; -1 for models without votes."""
    k = cells.n_models
    per_pair = np.bincount(cells.cell_pair, cell_count, cells.n_pairs)
    met = per_pair > 0
    labels = component_labels(k, cells.first[met], cells.second[met])
    votes = cells.model_votes(cell_count)
    found = np.unique(labels[rated])
    weight = np.array([votes[labels == label].sum() for label in found])
    lowest = np.array([np.flatnonzero(labels == label)[0] for label in found])
    order = found[np.lexsort((lowest, -weight))]
    component = np.full(k, -1, dtype=np.int64)
    for number, label in enumerate(order):
        component[(labels == label) & rated] = number
    return component


def _reference_group(
    members: np.ndarray, strong: np.ndarray, votes: np.ndarray, anchor: int | None
) -> np.ndarray:
    """The reference models of one component (indices ``members``), see the module docstring."""
    if anchor is not None and anchor in members:
        return members[strong[members] == strong[anchor]]
    parts = np.unique(strong[members])
    best, best_votes = None, -1.0
    for part in parts:
        group = members[strong[members] == part]
        if group.size >= 2 and votes[group].sum() > best_votes:
            best, best_votes = group, float(votes[group].sum())
    return members if best is None else best


def _reached_from(edges: tuple[np.ndarray, np.ndarray], model: int, k: int) -> np.ndarray:
    """(K,) bool, ``model`` and what it reaches along the (sources, targets) edges."""
    start = np.zeros(k, dtype=bool)
    start[model] = True
    return reached(*edges, start)


def _bounded_sides(
    edges: tuple[np.ndarray, np.ndarray], k: int, strong: np.ndarray, groups: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(K,) bool each: reachable from every model of its component's reference group, and
    reaching every one of them, along the credit graph's (sources, targets) edges. Models of
    components without a reference model: neither."""
    above, below = np.zeros(k, dtype=bool), np.zeros(k, dtype=bool)
    sources, targets = edges
    for group in groups:
        if group.size == 0:
            continue
        from_all, to_all = np.ones(k, dtype=bool), np.ones(k, dtype=bool)
        for part in np.unique(strong[group]):
            start = int(group[strong[group] == part][0])
            from_all &= _reached_from((sources, targets), start, k)
            to_all &= _reached_from((targets, sources), start, k)
        above |= from_all
        below |= to_all
    return above, below


def identify(
    cells: CreditCells, cell_count: np.ndarray, *, anchor: int | None = None
) -> Identification:
    """What the votes identify (:class:`Identification`); ``cell_count`` (c,) per cell."""
    votes = cells.model_votes(cell_count)
    rated = votes > 0
    component = _components(cells, cell_count, rated)
    edges = cells.credit_edges(cell_count)
    strong = component_labels(cells.n_models, *edges, strong=True)
    reference = np.zeros(cells.n_models, dtype=bool)
    groups = []
    for number in range(int(component.max()) + 1 if rated.any() else 0):
        members = np.flatnonzero(component == number)
        group = _reference_group(members, strong, votes, anchor)
        reference[group] = True
        groups.append(group)
    above, below = _bounded_sides(edges, cells.n_models, strong, groups)
    return Identification(rated, component, reference, rated & ~above, rated & ~below)


class ReplicateCheck:
    """Per bootstrap replicate, which models the resampled votes leave open on a side.

    Each round's reference group is chosen by the rule of the full data among the full
    data's reference models present in the round (:func:`_reference_group`), so that one
    reference model left unbounded by a round (a weak model that happened to win nothing)
    does not open every other model's interval; the round's scores are then aligned on that
    group (:func:`align_rounds`).

    Built once per fit. The pairs of a maximum spanning forest of the reference groups' pairs
    with credit both ways (weighted by the smaller of the two credit counts) are checked first:
    when they all keep credit both ways in a round, the reference groups are unchanged and
    strongly connected there; on a board whose reference groups hold every model, nothing is
    left to settle. Every other round first tries two reachability sweeps over its credit
    edges from one present model of each reference group (:meth:`_held`; on a (K, K) table,
    up to 16 rounds at once, a bit of each word per round): when they show each
    group's present models strongly connected (the usual round of sparse data, whose forest
    pairs have few votes and break in about half the rounds), the sweeps are the bounds, and
    the round's reference groups are those present models. Only the remaining rounds need the
    strongly connected components of the round (:meth:`one`). Either way a round gets the
    codes :meth:`one` gives it.
    """

    def __init__(
        self,
        cells: CreditCells,
        ident: Identification,
        cell_count: np.ndarray,
        *,
        anchor: int | None = None,
    ) -> None:
        self.cells = cells
        self.ident = ident
        self.anchor = anchor
        self.groups = ident.reference_groups()
        self.tree = _two_way_forest(cells, cell_count, ident)
        self.whole = bool(np.array_equal(ident.reference, ident.rated)) and not ident.separated
        self.source = np.concatenate([cells.first, cells.second])
        self.target = np.concatenate([cells.second, cells.first])
        k = cells.n_models
        self.edge_key = (
            self.source * k + self.target if k * k <= _TABLE_PER_EDGE * self.source.size else None
        )

    @functools.cached_property
    def _credit_matrices(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        # float32 like the draws: only which sums are positive matters.
        to_first, to_second = self.cells.credit_matrices()
        return to_first.astype(np.float32), to_second.astype(np.float32)

    def credited(self, by_cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether ``first`` and whether ``second`` got credit in each pair and round, two
        (P, r) bool arrays, from the (c, r) cell counts of r rounds."""
        to_first, to_second = self._credit_matrices
        return np.asarray(to_first @ by_cell) > 0, np.asarray(to_second @ by_cell) > 0

    def openness(
        self, draws: np.ndarray, credited: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """For (r, c) cell counts of r rounds: (r, K) int8 codes (``BOUNDED``,
        ``OPEN_ABOVE``, ``OPEN_BELOW``, ``UNKNOWN``; absent models are ``UNKNOWN``) and the
        (r, K) bool reference group of each round. ``credited``: :meth:`credited` of these
        counts, if the caller has it."""
        rounds = draws.shape[0]
        codes = np.zeros((rounds, self.cells.n_models), dtype=np.int8)
        codes[:, ~self.ident.rated] = UNKNOWN
        reference = np.repeat(self.ident.reference[None, :], rounds, axis=0)
        if credited is None:
            credited = self.credited(np.ascontiguousarray(draws.T))
        first, second = credited
        if self.tree is not None:
            intact = np.all(first[self.tree] & second[self.tree], axis=0)
        else:
            intact = np.zeros(rounds, dtype=bool)
        unsettled = np.flatnonzero(~(intact & self.whole))
        if unsettled.size:
            held, held_codes, held_reference = self._held(first, second, unsettled)
            settled = unsettled[held]
            codes[settled], reference[settled] = held_codes[held], held_reference[held]
            for r in unsettled[~held]:
                codes[r], reference[r] = self.one(draws[r])
        return codes, reference

    def _held(
        self, first: np.ndarray, second: np.ndarray, rounds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which of u ``rounds`` (indices into the columns of the (P, r) :meth:`credited`
        ``first`` and ``second``) have each reference group's present models strongly
        connected: (u,) bool, and for those rounds :meth:`one`'s (u, K) codes and (u, K)
        reference groups (the other rows mean nothing).

        Two sweeps, forward and backward from one present model of each group, decide it:
        the group is strongly connected when both reach all its present models. Its strongly
        connected part is then all of them (:meth:`one`'s reference group), and what it
        reaches and is reached from are :meth:`one`'s bounded sides. A sweep stays within its
        component (the round's edges are some of the full data's), so one sweep serves all
        groups."""
        sweep = self._swept_in_tables if self.edge_key is not None else self._swept_in_lists
        above, below, present = sweep(first, second, rounds)
        reference = self.ident.reference & present
        held = np.all((above & below) | ~reference, axis=1)
        return held, _codes(above, below, present), reference

    def _swept_in_tables(
        self, first: np.ndarray, second: np.ndarray, rounds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the sweeps reach forward and backward, and the present models, each (u, K)
        bool, for u ``rounds`` of the credited ``first`` and ``second``, up to
        ``_SWEPT_TOGETHER`` at once: a (K, K) table of words whose bit j is an edge of round
        j (:func:`_packed`), each sweep step OR-ing the table rows of the models the last
        step reached (a table and sweeps per round, in Python, cost sparse data half its
        check)."""
        k = self.cells.n_models
        above, below, present = (np.zeros((rounds.size, k), dtype=bool) for _ in range(3))
        words = _packed(first, second, rounds)
        for group in range(words.shape[1]):
            chunk = slice(group * _SWEPT_TOGETHER, (group + 1) * _SWEPT_TOGETHER)
            forward = np.zeros(k * k, dtype=words.dtype)
            forward[self.edge_key] = words[:, group]
            forward = forward.reshape(k, k)
            backward = np.ascontiguousarray(forward.T)
            width = present[chunk].shape[0]
            present[chunk] = _unpacked(
                np.bitwise_or.reduce(forward, axis=0) | np.bitwise_or.reduce(backward, axis=0),
                width,
            )
            start = _bits(self._starts(present[chunk]))
            above[chunk] = _unpacked(reached_in_words(forward, start), width)
            below[chunk] = _unpacked(reached_in_words(backward, start), width)
        return above, below, present

    def _swept_in_lists(
        self, first: np.ndarray, second: np.ndarray, rounds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_swept_in_tables` along each round's list of live edges, round by round
        (boards too sparse for a (K, K) table)."""
        k = self.cells.n_models
        above, below, present = (np.zeros((rounds.size, k), dtype=bool) for _ in range(3))
        # Each round's (2P,) liveness of the edges, contiguous.
        alive = np.ascontiguousarray(np.concatenate([first, second])[:, rounds].T)
        for r, round_alive in enumerate(alive):
            source, target = self.source[round_alive], self.target[round_alive]
            present[r, source] = True
            present[r, target] = True
            start = self._starts(present[r : r + 1])[0]
            above[r], below[r] = reached(source, target, start), reached(target, source, start)
        return above, below, present

    def _starts(self, present: np.ndarray) -> np.ndarray:
        """(u, K) bool: the first present model of each reference group in each of u rounds,
        from their (u, K) bool present models."""
        start = np.zeros_like(present)
        rounds = np.arange(present.shape[0])
        for group in self.groups:
            inside = present[:, group]
            has = inside.any(axis=1)
            start[rounds[has], group[np.argmax(inside, axis=1)[has]]] = True
        return start

    def one(self, cell_count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K,) int8 codes and (K,) bool reference group of one round's (c,) cell counts."""
        votes = self.cells.model_votes(cell_count)
        present = votes > 0
        edges = self.cells.credit_edges(cell_count)
        strong = component_labels(self.cells.n_models, *edges, strong=True)
        groups = []
        for group in self.groups:
            members = group[present[group]]
            if members.size:
                groups.append(_reference_group(members, strong, votes, self.anchor))
        reference = np.zeros(self.cells.n_models, dtype=bool)
        for group in groups:
            reference[group] = True
        above, below = _bounded_sides(edges, self.cells.n_models, strong, groups)
        return _codes(above, below, present), reference


def _codes(above: np.ndarray, below: np.ndarray, present: np.ndarray) -> np.ndarray:
    """int8 codes from bounded-above, bounded-below and present masks, (K,) or (u, K)."""
    codes = np.where(above, BOUNDED, OPEN_ABOVE).astype(np.int8)
    codes[~below] = OPEN_BELOW
    codes[~above & ~below] = UNKNOWN
    codes[~present] = UNKNOWN
    return codes


def _packed(first: np.ndarray, second: np.ndarray, rounds: np.ndarray) -> np.ndarray:
    """(2P, groups) uint16 words of the credit edges (``source`` -> ``target``: the pairs'
    ``first`` then their ``second`` credit, (P, r) bool each), bit j of group g set where
    edge is live in round ``rounds[g * _SWEPT_TOGETHER + j]``: one float32 product with
    powers of two (exact below 2**24) packs them, where selecting the rounds' columns and
    packing them bytewise cost the sparse check more than its sweeps."""
    index = np.arange(rounds.size)
    weights = np.zeros((first.shape[1], -(-rounds.size // _SWEPT_TOGETHER)), dtype=np.float32)
    weights[rounds, index // _SWEPT_TOGETHER] = 2.0 ** (index % _SWEPT_TOGETHER)
    packed = [flags.astype(np.float32) @ weights for flags in (first, second)]
    return np.concatenate(packed).astype(np.uint16)


def _bits(flags: np.ndarray) -> np.ndarray:
    """(m,) uint16 words, bit j ``flags[j]``, of (u, m) bool flags, u <= 16."""
    weights = 2.0 ** np.arange(flags.shape[0], dtype=np.float32)
    return (weights @ flags.astype(np.float32)).astype(np.uint16)


def _unpacked(bits: np.ndarray, rounds: int) -> np.ndarray:
    """(rounds, m) bool from (m,) words, bit j to row j."""
    shifts = np.arange(rounds, dtype=bits.dtype)[:, None]
    return ((bits[None, :] >> shifts) & bits.dtype.type(1)).astype(bool)


def align_rounds(
    replicates: np.ndarray, reference: np.ndarray, ident: Identification, score: np.ndarray
) -> np.ndarray:
    """Rounds whose reference group differs from the full data's, shifted component by
    component so that the mean of each component's reference group in the round equals its
    mean in ``score`` (the point estimate): a model the round leaves unbounded, wherever the
    prior stopped it, then moves no other score. replicates, reference: (R, K); a copy."""
    aligned = replicates.copy()
    changed = np.flatnonzero(np.any(reference != ident.reference[None, :], axis=1))
    for component in range(ident.n_components):
        members = ident.component == component
        for r in changed:
            group = reference[r] & members & ~np.isnan(aligned[r])
            if group.any():
                aligned[r, members] += np.mean(score[group]) - np.mean(aligned[r, group])
    return aligned


def _two_way_forest(
    cells: CreditCells, cell_count: np.ndarray, ident: Identification
) -> np.ndarray | None:
    """Pairs of a maximum spanning forest of the reference groups' pairs with credit both
    ways, weighted by the smaller credit count; ``None`` unless it spans every group."""
    first, second = cells.pair_credit(cell_count)
    inside = ident.reference[cells.first] & ident.reference[cells.second]
    weight = np.where(inside, np.minimum(first, second), 0.0)
    two_way = np.flatnonzero(weight > 0)
    k = cells.n_models
    lower, higher = max_spanning_forest(
        k, cells.first[two_way], cells.second[two_way], weight[two_way]
    )
    if lower.size != int(ident.reference.sum()) - ident.n_components:
        return None
    # The pairs are sorted by (first, second): each forest edge's pair is found by a search
    # (a dictionary of every pair cost 0.3 s at K = 1,000).
    pair_key = cells.first * k + cells.second
    return np.searchsorted(pair_key, lower * k + higher).astype(np.int64)


@dataclass(frozen=True, eq=False)
class LogitRows:
    """The fitted model on each comparison row, for the bounds of open scores.

    Attributes:
        first, second: (m,) int64 models of the row.
        logit: (m,) float64, the fitted log-odds of a win of ``first`` (style terms included).
        votes: (m,) float64, votes of the row.
        tie_parameter: Davidson's nu for ``ties="davidson"`` (the win probability is then
            ``e^{d/2} / (e^{d/2} + e^{-d/2} + nu)``), else 0 (the logistic model).
    """

    first: np.ndarray
    second: np.ndarray
    logit: np.ndarray
    votes: np.ndarray
    tie_parameter: float = 0.0

    def log_win(self, logit: np.ndarray) -> np.ndarray:
        """Log-probability of a decisive win at ``logit``."""
        half = 0.5 * logit
        if self.tie_parameter > 0:
            spread = np.logaddexp(half, -half)
            return half - np.logaddexp(spread, math.log(self.tie_parameter))
        return -np.logaddexp(0.0, -logit)


def _shift(
    rows: LogitRows, inside: np.ndarray, outside: np.ndarray, level: float, *, inside_won: bool
) -> float:
    """How far the models ``inside`` ((K,) mask) can move toward the models ``outside`` before
    the probability of the record between them falls to ``(1 - level) / 2``; natural-log units.

    Every vote between an open group and the rest went one way (``inside_won``: to the group),
    else the group would not be open, so this is the exact one-sided bound of a perfect record,
    the others held at their estimates.
    """
    crossing = (inside[rows.first] & outside[rows.second]) | (
        outside[rows.first] & inside[rows.second]
    )
    if not crossing.any():
        return math.inf
    # The log-odds of the winning side of each cross row.
    towards_first = inside[rows.first] == inside_won
    logit = np.where(towards_first, rows.logit, -rows.logit)[crossing]
    votes = rows.votes[crossing]
    target = math.log((1.0 - level) / 2.0)

    def excess(t: float) -> float:
        return float(np.sum(votes * rows.log_win(logit - t))) - target

    if excess(0.0) <= 0:
        return 0.0
    high = 1.0
    while excess(high) > 0 and high < 1e6:
        high *= 2.0
    # Imported here: scipy.optimize costs a second of start-up that most fits never use.
    import scipy.optimize

    return float(scipy.optimize.brentq(excess, 0.0, high, xtol=1e-9))


def open_side_bounds(
    ident: Identification,
    cells: CreditCells,
    cell_count: np.ndarray,
    rows: LogitRows,
    score: np.ndarray,
    *,
    level: float,
    anchored: bool,
    points: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The finite side of each half-open interval, on the scale of ``score`` (K,).

    For a model open above but bounded below: it and the open-above models it reaches (those
    it beat, directly or through others) are lowered together until their perfect record
    against the rest has probability ``(1 - level) / 2`` (:func:`_shift`). The level moves
    with them by their share of the reference models when it is the reference models' mean.
    The group's internal gaps are themselves unbounded, so the model's lower bound is the
    lowest of the group's lowered scores, not its own. Mirrored for a model open below.

    Args:
        points: score units per natural-log unit of strength.

    Returns:
        ``(lower, upper)``, each (K,), NaN where not applicable (bounded on both sides, or
        open on both).
    """
    k = cells.n_models
    lower, upper = np.full(k, np.nan), np.full(k, np.nan)
    sources, targets = cells.credit_edges(cell_count)
    share = max(int(ident.reference.sum()), 1)
    for side, open_mask, bounded_other, edges in (
        ("lower", ident.open_above, ~ident.open_below, (sources, targets)),
        ("upper", ident.open_below, ~ident.open_above, (targets, sources)),
    ):
        # The credit graph among the open models only.
        among = open_mask[sources] & open_mask[targets]
        restricted = (edges[0][among], edges[1][among])
        for model in np.flatnonzero(open_mask & bounded_other):
            inside = _reached_from(restricted, int(model), k)
            shift = _shift(rows, inside, ~open_mask, level, inside_won=side == "lower")
            absorbed = 0.0 if anchored else (inside & ident.reference).sum() / share
            # A group holding every reference model carries the mean level with it: it does
            # not move against the level, even when nothing outside it bounds the shift
            # (inf: inf * 0 would be NaN, and the bound the model's own estimate).
            moved = 0.0 if absorbed == 1.0 else shift * (1.0 - absorbed) * points
            if side == "lower":
                lower[model] = np.min(score[inside]) - moved
            else:
                upper[model] = np.max(score[inside]) + moved
    return lower, upper
