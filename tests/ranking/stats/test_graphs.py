"""Graph searches in numpy against scipy's csgraph."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

from ranking.stats.graphs import (
    component_labels,
    max_spanning_forest,
    reached,
    reached_in_words,
)


def scipy_labels(k, source, target, strong):
    graph = sp.csr_matrix((np.ones(source.size), (source, target)), shape=(k, k))
    return connected_components(graph, directed=strong, connection="strong")[1]


GRAPHS = {
    # one strongly connected group with an isolated model (numpy's path)
    "cycle": (6, [0, 1, 2, 3, 4], [1, 2, 3, 4, 0]),
    # a model that only ever won (edges out, none in): scipy's path when strong
    "source": (5, [0, 1, 2, 3, 3], [1, 2, 0, 0, 1]),
    # two groups: scipy's path
    "two parts": (6, [0, 1, 3, 4], [1, 0, 4, 3]),
    "no edges": (3, [], []),
}


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("strong", [False, True])
def test_component_labels_are_scipys(name, strong):
    k, source, target = GRAPHS[name]
    source, target = np.array(source, dtype=np.int64), np.array(target, dtype=np.int64)
    labels = component_labels(k, source, target, strong=strong)
    np.testing.assert_array_equal(labels, scipy_labels(k, source, target, strong))


def test_sweeps_over_words_reach_in_each_graph_what_its_edge_list_reaches():
    # Sixteen graphs over the same 12 models, a bit of each word per graph, each with its
    # own edges and its own start.
    rng = np.random.default_rng(8)
    k, graphs = 12, 16
    edges = rng.random((graphs, k, k)) < 0.12
    starts = rng.random((graphs, k)) < 0.1
    bit = (1 << np.arange(graphs, dtype=np.uint16))[:, None]
    table = np.bitwise_or.reduce(edges.astype(np.uint16) * bit[:, :, None], axis=0)
    start = np.bitwise_or.reduce(starts.astype(np.uint16) * bit, axis=0)
    forward = reached_in_words(table, start)
    backward = reached_in_words(np.ascontiguousarray(table.T), start)
    for j in range(graphs):
        source, target = np.nonzero(edges[j])
        np.testing.assert_array_equal(forward >> j & 1, reached(source, target, starts[j]))
        np.testing.assert_array_equal(backward >> j & 1, reached(target, source, starts[j]))


def test_the_spanning_forest_has_the_maximum_weight():
    rng = np.random.default_rng(3)
    k = 40
    first, second = np.triu_indices(k, 1)
    keep = rng.random(first.size) < 0.15
    first, second = first[keep], second[keep]
    weight = rng.integers(1, 50, first.size).astype(np.float64)
    lower, higher = max_spanning_forest(k, first, second, weight)
    graph = sp.csr_matrix((1.0 / weight, (first, second)), shape=(k, k))
    reference = minimum_spanning_tree(graph).tocoo()
    assert lower.size == reference.nnz
    assert np.all(lower < higher)
    pairs = zip(first.tolist(), second.tolist(), strict=True)
    table = dict(zip(pairs, weight.tolist(), strict=True))
    chosen = sum(table[pair] for pair in zip(lower.tolist(), higher.tolist(), strict=True))
    low = np.minimum(reference.row, reference.col)
    high = np.maximum(reference.row, reference.col)
    best = sum(table[pair] for pair in zip(low.tolist(), high.tolist(), strict=True))
    assert chosen == best
