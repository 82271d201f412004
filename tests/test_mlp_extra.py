"""MLP.preactivations(): what each layer's activation saw in the last forward pass."""

import numpy as np
import pytest

from vanishing import init
from vanishing.mlp import MLP


def X(batch=16, n=4, seed=0):
    return 2.0 + 3.0 * np.random.default_rng(seed).standard_normal((batch, n))


def test_preactivations_without_batchnorm_are_the_affine_outputs_z():
    net = MLP([4, 6, 5, 1], activation="sigmoid", init="xavier_normal", seed=0)
    net.forward(X())
    U, Z = net.preactivations(), net.preactivations(normalized=False)
    assert [u.shape for u in U] == [(16, 6), (16, 5), (16, 1)]
    A = X()
    for l in range(net.depth):
        expected = A @ net.weights[l].T + net.biases[l]
        np.testing.assert_allclose(U[l], expected, rtol=1e-12)
        np.testing.assert_array_equal(Z[l], U[l])
        A = net.activation.f(expected)


def test_preactivations_with_batchnorm_have_zero_mean_and_unit_variance_per_unit():
    net = MLP([4, 6, 6, 1], activation="sigmoid", init=init.normal(1.0), batchnorm=True, seed=0)
    net.forward(X())
    for U in net.preactivations()[:-1]:            # hidden layers: gamma = 1, beta = 0
        np.testing.assert_allclose(U.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(U.var(axis=0), 1.0, rtol=1e-3)
    Z1 = net.preactivations(normalized=False)[0]
    np.testing.assert_allclose(Z1, X() @ net.weights[0].T + net.biases[0], rtol=1e-12)
    assert Z1.std() > 1.5                           # far from normalised before batch norm


def test_preactivations_are_copies_of_the_last_forward_pass():
    net = MLP([4, 3, 1], activation="tanh", seed=0)
    net.forward(X())
    first = net.preactivations()
    first[0][:] = 0.0
    assert np.any(net.preactivations()[0] != 0.0)
    net.forward(X(batch=2))
    assert net.preactivations()[0].shape == (2, 3)


def test_preactivations_before_any_forward_pass_raise_a_clear_error():
    with pytest.raises(ValueError, match=r"call forward\(X\) before preactivations"):
        MLP([2, 2, 1]).preactivations()
