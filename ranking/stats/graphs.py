"""Graph searches over the compared pairs, on edge arrays: reachability, connected and
strongly connected components, a maximum spanning forest.

The usual board is one connected, strongly connected graph; that case is settled here by
reachability sweeps in numpy. Anything else (several components, models that never lost or
never won) goes to scipy's ``csgraph``, imported only then: importing scipy costs the command
line a third of a second, and a board that needs it is the exception (docs/decisions.md,
"The command line without scipy"). Labels are numbered as scipy numbers them, by each
component's lowest model index.
"""

from __future__ import annotations

import numpy as np


def reached(source: np.ndarray, target: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(K,) bool: ``start`` ((K,) bool) and everything reachable from it along the edges
    ``source[e] -> target[e]``, (m,) each."""
    reached = start.copy()
    while True:
        grown = target[reached[source] & ~reached[target]]
        if grown.size == 0:
            return reached
        reached[grown] = True


def reached_in_words(table: np.ndarray, start: np.ndarray) -> np.ndarray:
    """:func:`reached` in several graphs over the same K models at once, a bit of each word
    per graph: (K,) unsigned words, bit j set where graph j reaches the model from its own
    ``start`` bits (K,), along a (K, K) table of words (bit j of ``table[a, b]``: an edge
    a -> b in graph j; its transpose gives what reaches ``start``). Each step ORs the table
    rows of the models the last step reached, where an edge list is gathered whole at every
    step, for every graph at once."""
    reached = start.copy()
    frontier = start
    while True:
        rows = np.flatnonzero(frontier)
        grown = np.bitwise_or.reduce(table[rows] & frontier[rows, None], axis=0)
        grown &= ~reached
        if not grown.any():
            return reached
        reached |= grown
        frontier = grown


def _one_group(k: int, source: np.ndarray, target: np.ndarray, *, directed: bool) -> bool:
    """Whether every model with an edge reaches, and is reached from, every other (one
    connected component, or one strongly connected one when ``directed``)."""
    linked = np.zeros(k, dtype=bool)
    linked[source] = True
    linked[target] = True
    if not linked.any():
        return True
    start = np.zeros(k, dtype=bool)
    start[np.flatnonzero(linked)[0]] = True
    if not directed:
        source, target = np.concatenate([source, target]), np.concatenate([target, source])
    if not np.array_equal(reached(source, target, start), linked):
        return False
    return not directed or np.array_equal(reached(target, source, start), linked)


def _labels_of_one_group(k: int, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Labels when the models with edges form one group and the others are alone."""
    root = np.arange(k)
    linked = np.zeros(k, dtype=bool)
    linked[source] = True
    linked[target] = True
    if linked.any():
        root[linked] = np.flatnonzero(linked)[0]
    return np.unique(root, return_inverse=True)[1].ravel().astype(np.int32)


def component_labels(
    k: int, source: np.ndarray, target: np.ndarray, *, strong: bool = False
) -> np.ndarray:
    """(K,) int32 labels of the connected components of the graph of edges ``source[e] ->
    target[e]`` (undirected), or of its strongly connected components (``strong``)."""
    if _one_group(k, source, target, directed=strong):
        return _labels_of_one_group(k, source, target)
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    graph = sp.csr_matrix((np.ones(source.size), (source, target)), shape=(k, k))
    connection = "strong" if strong else "weak"
    return connected_components(graph, directed=strong, connection=connection)[1]


#: Above this many models the spanning forest is scipy's (the dense search holds K x K).
_DENSE_FOREST = 2048


def max_spanning_forest(
    k: int, first: np.ndarray, second: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The edges (two (e,) int64 arrays of models, ``lower < higher``) of a maximum spanning
    forest of the undirected graph with edges ``first[e] - second[e]`` of positive
    ``weight[e]`` (Prim's search, one model at a time, over a dense K x K table)."""
    if k > _DENSE_FOREST:
        return _scipy_forest(k, first, second, weight)
    table = np.zeros((k, k))
    table[first, second] = weight
    table[second, first] = weight
    done = ~np.any(table > 0, axis=1)
    best = np.zeros(k)
    parent = np.full(k, -1)
    lower, higher = [], []
    while not done.all():
        candidates = np.where(done, 0.0, best)
        model = int(np.argmax(candidates))
        if candidates[model] <= 0:
            model = int(np.flatnonzero(~done)[0])  # a new tree
        elif parent[model] >= 0:
            lower.append(min(model, int(parent[model])))
            higher.append(max(model, int(parent[model])))
        done[model] = True
        better = (table[model] > best) & ~done
        best[better] = table[model, better]
        parent[better] = model
    return np.array(lower, dtype=np.int64), np.array(higher, dtype=np.int64)


def _scipy_forest(
    k: int, first: np.ndarray, second: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import minimum_spanning_tree

    # Spanning trees minimise; the largest weights must come first, and zero means "no edge".
    graph = sp.csr_matrix((1.0 / weight, (first, second)), shape=(k, k))
    forest = minimum_spanning_tree(graph).tocoo()
    low, high = np.minimum(forest.row, forest.col), np.maximum(forest.row, forest.col)
    return low.astype(np.int64), high.astype(np.int64)
