"""The numpy design and cell maps against the sparse matrices they replace."""

import numpy as np
import pytest
import scipy.sparse as sp

from ranking.stats.incidence import PairRows, RowPlacement, distinct_keys


def dense(rows: PairRows) -> np.ndarray:
    k = rows.n_models
    matrix = np.zeros(rows.shape)
    index = np.arange(rows.first.size)
    matrix[index, rows.first] = 1.0
    matrix[index, rows.second] = -1.0
    matrix[:, k:] = rows.features
    return matrix


@pytest.fixture
def design():
    rng = np.random.default_rng(4)
    k = 7
    pairs = np.array([(i, j) for i in range(k) for j in range(k) if i != j])
    chosen = pairs[rng.choice(len(pairs), 30)]  # some pairs twice, some in both orders
    features = rng.normal(size=(30, 3))
    return PairRows(chosen[:, 0], chosen[:, 1], k, features)


@pytest.mark.parametrize("with_features", [True, False])
def test_products_are_those_of_the_dense_matrix(design, with_features):
    rows = design if with_features else PairRows.of_pairs(design.first, design.second, 7)
    matrix = dense(rows)
    rng = np.random.default_rng(5)
    beta, beta_block = rng.normal(size=matrix.shape[1]), rng.normal(size=(matrix.shape[1], 4))
    values, value_block = rng.normal(size=30), rng.normal(size=(30, 4))
    np.testing.assert_allclose(rows @ beta, matrix @ beta)
    np.testing.assert_allclose(rows @ beta_block, matrix @ beta_block)
    np.testing.assert_allclose(rows.T @ values, matrix.T @ values)
    np.testing.assert_allclose(rows.T @ value_block, matrix.T @ value_block)
    weight = rng.random(30)
    np.testing.assert_allclose(rows.gram(weight), matrix.T @ (weight[:, None] * matrix))


def test_model_totals_add_each_rows_values_to_both_its_models(design):
    involved = np.abs(dense(design)[:, :7])
    values = np.random.default_rng(6).random((30, 3))
    np.testing.assert_allclose(design.model_totals(values), involved.T @ values)
    np.testing.assert_allclose(design.model_totals(values[:, 0]), involved.T @ values[:, 0])


def test_float32_products_stay_float32(design):
    rows = design.astype(np.float32)
    block = np.ones((30, 2), np.float32)
    assert (rows.T @ block).dtype == np.float32
    assert (rows @ np.ones((10, 2), np.float32)).dtype == np.float32


def test_row_placement_is_the_sparse_placement():
    destination = np.array([4, 0, 7, 2, 5])
    by_cell = np.random.default_rng(7).random((5, 3)).astype(np.float32)
    sparse = sp.csr_matrix((np.ones(5), (destination, np.arange(5))), shape=(9, 5))
    placed = RowPlacement.of(destination, 9) @ by_cell
    assert placed.dtype == np.float32
    np.testing.assert_array_equal(placed, sparse @ by_cell)


def test_row_placement_refuses_two_cells_on_one_row():
    with pytest.raises(ValueError, match="two cells"):
        RowPlacement.of(np.array([1, 1]), 3)


@pytest.mark.parametrize("with_features", [True, False])
def test_odds_against_are_the_exponentials_of_minus_the_products(design, with_features):
    rows = design if with_features else PairRows.of_pairs(design.first, design.second, 7)
    rng = np.random.default_rng(8)
    beta, beta_block = rng.normal(size=rows.shape[1]), rng.normal(size=(rows.shape[1], 4))
    np.testing.assert_allclose(rows.odds_against(beta), np.exp(-(rows @ beta)), rtol=1e-12)
    np.testing.assert_allclose(
        rows.odds_against(beta_block), np.exp(-(rows @ beta_block)), rtol=1e-12
    )
    single = rows.astype(np.float32).odds_against(beta_block)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, np.exp(-(rows @ beta_block)), rtol=1e-6)


@pytest.mark.parametrize("size", [50, 10**9])  # numbered by marking a table, or by sorting
def test_keys_are_numbered_as_numpy_unique_numbers_them(size):
    key = np.random.default_rng(3).integers(0, min(size, 10**6), 400) * (size // min(size, 10**6))
    distinct, inverse = distinct_keys(key, size)
    expected, expected_inverse = np.unique(key, return_inverse=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(inverse, expected_inverse)
