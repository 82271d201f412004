"""Layer normalisation: what it computes, what it does not depend on, and its backward pass."""

import numpy as np
import pytest

from vanishing.gradcheck import numerical_gradient, relative_error
from vanishing.normalization import (
    EPS,
    layer_norm,
    layer_norm_backward,
    standardise,
    standardise_backward,
    sums,
    sums_of_products,
)


def batch(shape=(5, 7), seed=0):
    rng = np.random.default_rng(seed)
    return 3.0 + 4.0 * rng.standard_normal(shape)


def test_layer_norm_gives_each_row_zero_mean_and_unit_variance():
    Y = layer_norm(batch())
    np.testing.assert_allclose(Y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(Y.var(axis=1), 1.0, rtol=1e-5)


def test_layer_norm_of_a_row_does_not_depend_on_the_other_rows():
    X = batch()
    alone = layer_norm(X[:1])                      # a batch of one works
    others_changed = X.copy()
    others_changed[1:] *= -10.0
    np.testing.assert_array_equal(layer_norm(others_changed)[:1], alone)
    np.testing.assert_array_equal(layer_norm(X)[:1], alone)


def test_layer_norm_ignores_a_shift_and_a_positive_scale_of_each_row():
    X = batch()
    np.testing.assert_allclose(layer_norm(5.0 * X + 2.0, eps=1e-12), layer_norm(X, eps=1e-12),
                               atol=1e-10)


def test_gamma_and_beta_scale_and_shift_every_feature():
    X = batch()
    gamma, beta = np.linspace(0.5, 2.0, 7), np.linspace(-1.0, 1.0, 7)
    np.testing.assert_allclose(layer_norm(X, gamma, beta), gamma * layer_norm(X) + beta)


def test_layer_norm_matches_the_formula_written_out():
    X = batch()
    mu, var = X.mean(axis=1, keepdims=True), X.var(axis=1, keepdims=True)
    np.testing.assert_allclose(layer_norm(X), (X - mu) / np.sqrt(var + EPS), rtol=1e-14)


@pytest.mark.parametrize("which", ["input", "gamma", "beta"])
def test_layer_norm_backward_matches_finite_differences(which):
    rng = np.random.default_rng(1)
    X, G = batch(seed=2), rng.standard_normal((5, 7))
    gamma, beta = 1.0 + 0.3 * rng.standard_normal(7), 0.1 * rng.standard_normal(7)
    theta = {"input": X, "gamma": gamma, "beta": beta}[which]

    def out():                                      # Out = sum(G * Y), so dOut/dY = G
        return float(np.sum(G * layer_norm(X, gamma, beta)))

    numeric = numerical_gradient(out, theta)
    exact = getattr(layer_norm_backward(G, X, gamma), which)
    assert relative_error(exact, numeric) < 1e-6


def test_layer_norm_backward_gradient_is_orthogonal_to_a_shift_of_the_row():
    # Y does not change when a row is shifted, so dOut/dX sums to 0 along each row
    rng = np.random.default_rng(3)
    dX = layer_norm_backward(rng.standard_normal((5, 7)), batch()).input
    np.testing.assert_allclose(dX.sum(axis=1), 0.0, atol=1e-12)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="X must be a 2-d array"):
        layer_norm(np.ones(3))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        layer_norm(np.ones((2, 3)), gamma=np.ones(4))
    with pytest.raises(ValueError, match="eps must be > 0"):
        layer_norm(np.ones((2, 3)), eps=0.0)
    with pytest.raises(ValueError, match="grad_output must have the shape of X"):
        layer_norm_backward(np.ones((2, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="only finite"):
        layer_norm(np.array([[1.0, np.nan]]))


@pytest.mark.parametrize("axis", [0, 1])
def test_sums_and_sums_of_products_equal_numpy_along_either_axis(axis):
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    np.testing.assert_allclose(sums(A, axis), A.sum(axis=axis), rtol=1e-13)
    np.testing.assert_allclose(sums_of_products(A, B, axis), (A * B).sum(axis=axis), rtol=1e-13)


@pytest.mark.parametrize("axis", [0, 1])
def test_standardise_matches_the_textbook_formula(axis):
    X = np.random.default_rng(1).normal(3.0, 2.0, (6, 4))
    Xhat, mu, var, inv_std = standardise(X, axis, EPS)
    want = (X - X.mean(axis, keepdims=True)) / np.sqrt(X.var(axis, keepdims=True) + EPS)
    np.testing.assert_allclose(Xhat, want, rtol=1e-12)
    np.testing.assert_allclose(var, X.var(axis, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(inv_std, 1 / np.sqrt(var + EPS), rtol=1e-15)


@pytest.mark.parametrize("big", [1e152, 1e160, 1e300])
def test_standardise_survives_entries_whose_squares_overflow(big):
    with np.errstate(all="raise"):
        Xhat, mu, var, _ = standardise(np.array([[big, -big]]), axis=1, eps=EPS)
    np.testing.assert_allclose(Xhat, [[1.0, -1.0]], rtol=1e-12)
    assert mu[0, 0] == 0.0 and (np.isinf(var[0, 0]) or var[0, 0] == pytest.approx(big * big))


@pytest.mark.parametrize("axis", [0, 1])
def test_standardise_backward_matches_finite_differences(axis):
    rng = np.random.default_rng(2)
    X, R = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))

    def out():
        return float(np.sum(standardise(X, axis, EPS)[0] * R))

    Xhat, _, _, inv_std = standardise(X, axis, EPS)
    analytic = standardise_backward(R, Xhat, inv_std, axis)
    assert relative_error(analytic, numerical_gradient(out, X)) < 1e-6
