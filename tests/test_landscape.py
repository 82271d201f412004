"""Loss slices: checked against finite differences, a closed form and real optimiser steps."""

from __future__ import annotations

import numpy as np
import pytest

from vanishing import landscape, optim
from vanishing.data import memory_task
from vanishing.landscape import directional_derivative, loss_slice, unit_direction
from vanishing.mlp import MLP
from vanishing.recurrent import RNN


def exploding_rnn(lag=12, scale=3.0, activation="tanh"):
    X, y = memory_task(32, lag=lag, seed=0)
    return RNN(1, 6, recurrent_scale=scale, activation=activation, seed=0), X, y


def test_slope_at_zero_along_the_gradient_equals_the_gradient_norm_for_an_exploding_rnn():
    net, X, y = exploding_rnn()
    _, grads = net.loss_and_gradients(X, y)
    d = unit_direction(grads.as_list())
    h = 1e-6
    s = loss_slice(net, X, y, d, [-h, h], loss="bce_with_logits")
    slope = (s.losses[1] - s.losses[0]) / (2 * h)
    assert directional_derivative(grads.as_list(), d) == pytest.approx(grads.global_norm(), rel=1e-12)
    assert slope == pytest.approx(directional_derivative(grads.as_list(), d), rel=1e-6)


def test_slope_along_a_random_direction_matches_finite_differences_under_batch_norm():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    net = MLP([3, 5, 5, 2], activation="sigmoid", init="xavier_normal", batchnorm=True, seed=1)
    _, grads = net.loss_and_gradients(X, Y, "mse")
    d = unit_direction([rng.standard_normal(p.shape) for p in net.parameters()])
    h = 1e-5
    s = loss_slice(net, X, Y, d, [-h, h], loss="mse")
    slope = (s.losses[1] - s.losses[0]) / (2 * h)
    assert slope == pytest.approx(directional_derivative(grads.as_list(), d), rel=1e-6)


def test_a_linear_model_gives_the_exact_quadratic_slice():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((10, 3)), rng.standard_normal((10, 1))
    net = MLP([3, 1], activation="linear", init="xavier_normal", seed=2)
    W, b = net.weights[0].copy(), net.biases[0].copy()
    dW, db = rng.standard_normal(W.shape), rng.standard_normal(b.shape)
    alphas = np.array([-3.0, -0.5, 0.0, 0.25, 2.0])
    s = loss_slice(net, X, Y, [dW, db], alphas, loss="mse")
    # closed form: the residual r + alpha q is linear in alpha, the mean squared error a quadratic
    r, q = X @ W.T + b - Y, X @ dW.T + db
    expected = [float(np.mean((r + a * q) ** 2)) for a in alphas]
    np.testing.assert_allclose(s.losses, expected, rtol=1e-12)


@pytest.mark.parametrize("max_norm", [None, 0.2])
def test_an_sgd_step_plain_or_clipped_lands_where_the_slice_says(max_norm):
    net, X, y = exploding_rnn()
    lr = 0.5
    _, grads = net.loss_and_gradients(X, y)
    g, norm = grads.as_list(), grads.global_norm()
    alpha = -lr * (norm if max_norm is None else min(norm, max_norm))
    predicted = loss_slice(net, X, y, unit_direction(g), [alpha], loss="bce_with_logits").losses[0]
    if max_norm is not None:
        g, _ = optim.clip_by_global_norm(g, max_norm)
    optim.SGD(net.parameters(), lr=lr).step(g)
    landed, _ = net.loss_and_gradients(X, y)
    assert landed == pytest.approx(predicted, rel=1e-9)


def test_the_parameters_are_restored_exactly():
    net, X, y = exploding_rnn()
    before = [p.copy() for p in net.parameters()]
    out = net.forward(X)
    d = unit_direction(net.loss_and_gradients(X, y)[1].as_list())
    loss_slice(net, X, y, d, np.linspace(-50, 50, 7), loss="bce_with_logits")
    assert all(np.array_equal(a, b) for a, b in zip(net.parameters(), before))
    assert np.array_equal(net.forward(X), out)


def test_points_beyond_float64_get_an_infinite_loss_without_a_warning():
    net, X, y = exploding_rnn(lag=30, scale=1.5, activation="relu")
    d = unit_direction(net.loss_and_gradients(X, y)[1].as_list())
    s = loss_slice(net, X, y, d, [0.0, 1e30, 1e308], loss="bce_with_logits")
    assert np.isfinite(s.losses[0])
    assert s.losses[1] == np.inf and s.losses[2] == np.inf
    mlp = MLP([2, 4, 4, 1], activation="relu", init="he_normal", seed=0)
    X2, Y2 = np.ones((3, 2)), np.zeros((3, 1))
    d2 = unit_direction(mlp.loss_and_gradients(X2, Y2, "mse")[1].as_list())
    assert loss_slice(mlp, X2, Y2, d2, [1e200], loss="mse").losses[0] == np.inf


def test_the_slice_prints_as_a_table():
    net, X, y = exploding_rnn()
    d = unit_direction(net.loss_and_gradients(X, y)[1].as_list())
    text = str(loss_slice(net, X, y, d, [0.0, 1.0], loss="bce_with_logits"))
    assert text.splitlines()[0] == "bce_with_logits along theta + alpha d, 2 points"
    assert text.splitlines()[1].split() == ["alpha", "loss"]


def test_unit_direction_has_global_norm_one_and_keeps_the_shapes():
    g = [np.array([[1.0, -2.0]]), np.array([2.0])]
    d = unit_direction(g)
    assert optim.global_norm(d) == pytest.approx(1.0, rel=1e-15)
    assert [a.shape for a in d] == [(1, 2), (1,)]
    np.testing.assert_allclose(d[0] * 3.0, g[0], rtol=1e-15)


@pytest.mark.parametrize("call, parameter", [
    (lambda: unit_direction([np.zeros(3)]), "grads"),
    (lambda: unit_direction([np.array([np.inf])]), "grads"),
    (lambda: directional_derivative([np.ones(2)], [np.ones(3)]), "direction"),
    (lambda: loss_slice(object(), None, None, [], [0.0], loss="mse"), "model"),
    (lambda: loss_slice(MLP([1, 1]), np.ones((2, 1)), np.ones((2, 1)), [np.ones((1, 1))], [0.0],
                        loss="mse"), "direction"),
    (lambda: loss_slice(MLP([1, 1]), np.ones((2, 1)), np.ones((2, 1)),
                        [np.ones((1, 1)), np.ones(1)], 0.5, loss="mse"), "alphas"),
    (lambda: loss_slice(MLP([1, 1]), np.ones((2, 1)), np.ones((2, 1)),
                        [np.ones((1, 1)), np.ones(1)], np.zeros(landscape.MAX_POINTS + 1),
                        loss="mse"), "alphas"),
    (lambda: loss_slice(MLP([1, 1]), np.ones((2, 1)), np.ones((3, 1)),
                        [np.ones((1, 1)), np.ones(1)], [0.0], loss="mse"), "Y"),
])
def test_bad_input_is_refused_by_name(call, parameter):
    with pytest.raises((ValueError, TypeError), match=rf"\b{parameter}\b"):
        call()
