"""Tests for symmetry between units (vanishing.symmetry): counting distinct rows, breaking ties."""

import numpy as np
import pytest

from vanishing.data import two_moons
from vanishing.init import constant
from vanishing.mlp import MLP
from vanishing.symmetry import ROW_TOLERANCE, distinct_rows, jitter
from vanishing.train import fit


def test_distinct_rows_counts_groups_of_equal_rows():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert distinct_rows(W) == 3
    assert distinct_rows(W.T) == 2                 # rows, not columns
    assert distinct_rows(np.eye(4)) == 4


def test_rounding_level_differences_are_the_same_row_and_tiny_perturbations_are_not():
    W = np.full((5, 3), 0.7)
    assert distinct_rows(W + 1e-15 * np.arange(5)[:, None]) == 1
    assert distinct_rows(W + 1e-7 * np.arange(5)[:, None]) == 5
    assert distinct_rows(W + 1e-7 * np.arange(5)[:, None], tol=1e-3) == 1


def test_the_tolerance_is_relative_to_the_largest_entry():
    W = np.array([[1e6, 0.0], [1e6, 1e-4]])        # 1e-4 is 1e-10 of the largest entry
    assert distinct_rows(W) == 1
    assert distinct_rows(W / 1e6 * 1e-3) == 1       # the same matrix scaled: the same answer


def brute_force_count(W, tol):
    """Connected groups of rows under 'closer than tol * max|W|' (union-find): the same as the
    greedy count when the groups are far apart, as they are here."""
    n, scale = len(W), tol * np.abs(W).max()
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for i in range(n):
        for j in range(i):
            if np.abs(W[i] - W[j]).max() <= scale:
                parent[root(i)] = root(j)
    return len({root(i) for i in range(n)})


def test_distinct_rows_matches_a_brute_force_grouping():
    rng = np.random.default_rng(0)
    for _ in range(20):
        centres = rng.standard_normal((rng.integers(1, 6), 4))
        W = centres[rng.integers(0, len(centres), 12)] + 1e-13 * rng.standard_normal((12, 4))
        assert distinct_rows(W) == brute_force_count(W, ROW_TOLERANCE) == len(np.unique(
            np.round(W, 6), axis=0))


def test_a_constant_initialisation_stays_symmetric_after_training_and_jitter_breaks_it():
    X, y = two_moons(64, seed=0)
    sym = MLP([2, 8, 8, 1], activation="tanh", init=constant(0.1), seed=0)
    fit(sym, X, y, steps=50, lr=0.5, loss="bce_with_logits")
    assert [distinct_rows(W) for W in sym.weights] == [1, 1, 1]
    broken = MLP([2, 8, 8, 1], activation="tanh", init=jitter(constant(0.1), 1e-6), seed=0)
    fit(broken, X, y, steps=50, lr=0.5, loss="bce_with_logits")
    assert [distinct_rows(W) for W in broken.weights] == [8, 8, 1]


def test_jitter_is_reproducible_and_small():
    rng = np.random.default_rng
    W1 = jitter(constant(0.5), 1e-6, seed=3)(4, 3, rng(0))
    W2 = jitter(constant(0.5), 1e-6, seed=3)(4, 3, rng(0))
    np.testing.assert_array_equal(W1, W2)
    assert np.abs(W1 - 0.5).max() < 1e-5 and W1.shape == (3, 4)
    np.testing.assert_array_equal(jitter(constant(0.5), 0.0)(4, 3, rng(0)), np.full((3, 4), 0.5))


@pytest.mark.parametrize("call, parameter", [
    (lambda: distinct_rows(np.ones(3)), "W"),
    (lambda: distinct_rows(np.zeros((0, 3))), "W"),
    (lambda: distinct_rows(np.ones((2, 2)), tol=-1.0), "tol"),
    (lambda: distinct_rows(np.ones((2, 2)), tol="0"), "tol"),
    (lambda: jitter(constant(0.1), size=-1e-6), "size"),
    (lambda: jitter("no_such_scheme"), "init"),
])
def test_bad_input_is_a_named_error(call, parameter):
    with pytest.raises((ValueError, TypeError), match=parameter):
        call()
