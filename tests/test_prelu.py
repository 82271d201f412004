"""Tests for PReLU (vanishing.prelu): forward, both gradients against central differences, the network."""

import numpy as np
import pytest

from vanishing import optim
from vanishing.gradcheck import numerical_gradient, relative_error
from vanishing.prelu import INITIAL_SLOPE, PReLUNet, prelu, prelu_backward


def away_from_the_kink(shape, seed=0):
    """Standard normal entries, none within 1e-3 of 0 (a step h = 1e-6 never crosses the kink)."""
    Z = np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(Z) < 1e-3, 0.5, Z)


def test_prelu_is_z_on_the_right_and_a_z_on_the_left():
    z = np.array([[-2.0, -0.5, 0.0, 3.0]])
    np.testing.assert_array_equal(prelu(z, 0.25), [[-0.5, -0.125, 0.0, 3.0]])
    np.testing.assert_array_equal(prelu(z, 0.0), np.maximum(z, 0.0))     # slope 0: ReLU
    np.testing.assert_array_equal(prelu(z, 1.0), z)                      # slope 1: the identity


@pytest.mark.parametrize("slopes", [np.array([0.25, -0.1, 1.3]), np.array([0.4]), 0.25])
def test_prelu_slope_gradient_matches_finite_differences(slopes):
    Z, G = away_from_the_kink((6, 3)), np.random.default_rng(1).standard_normal((6, 3))
    a = np.array(slopes, dtype=np.float64)
    _, grad_a = prelu_backward(G, Z, a)

    def out():                            # Out = sum G * f(Z): dOut/df(Z) = G
        return float(np.sum(G * prelu(Z, a)))
    numeric = numerical_gradient(out, a)
    assert np.shape(grad_a) == a.shape
    assert relative_error(grad_a, numeric) < 1e-8


def test_prelu_input_gradient_matches_finite_differences():
    Z, G = away_from_the_kink((5, 4), seed=2), np.random.default_rng(3).standard_normal((5, 4))
    a = np.array([0.25, 0.1, -0.3, 2.0])
    grad_z, _ = prelu_backward(G, Z, a)
    numeric = numerical_gradient(lambda: float(np.sum(G * prelu(Z, a))), Z)
    assert relative_error(grad_z, numeric) < 1e-8


def test_slope_gradient_sums_over_the_batch_per_unit_and_over_everything_when_shared():
    Z = np.array([[-1.0, 2.0], [-3.0, -4.0]])
    G = np.array([[1.0, 1.0], [2.0, 0.5]])
    np.testing.assert_array_equal(prelu_backward(G, Z, np.array([0.2, 0.2]))[1], [-7.0, -2.0])
    np.testing.assert_array_equal(prelu_backward(G, Z, np.array([0.2]))[1], [-9.0])
    assert float(prelu_backward(G, Z, 0.2)[1]) == -9.0


def test_positive_pre_activations_give_the_slope_no_gradient():
    Z = np.array([[1.0, 2.0]])
    _, grad_a = prelu_backward(np.ones_like(Z), Z, np.array([0.3, 0.3]))
    np.testing.assert_array_equal(grad_a, [0.0, 0.0])


def test_network_gradients_of_weights_and_slopes_match_finite_differences():
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))
    net = PReLUNet([3, 5, 4, 2], seed=1)
    net.slopes = [np.array([0.1, -0.2, 0.5, 0.25, 0.9]), np.array([0.3, 0.0, 0.6, 1.5])]
    net.biases = [rng.normal(0, 0.3, 5), rng.normal(0, 0.3, 4), np.zeros(2)]
    _, grads = net.loss_and_gradients(X, Y, "mse")

    def out():
        return net.loss_and_gradients(X, Y, "mse")[0]
    # the kink: no pre-activation within 1e-4 of 0, so h = 1e-6 sees one linear piece
    net.forward(X)
    assert min(np.abs(Z).min() for _, Z in net._cache) > 1e-4
    for analytic, param in zip(grads.as_list(), net.parameters()):
        assert relative_error(analytic, numerical_gradient(out, param)) < 1e-7


def test_shared_slopes_have_one_entry_per_layer_and_its_gradient():
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((6, 2)), rng.standard_normal((6, 1))
    net = PReLUNet([2, 4, 3, 1], shared=True, seed=2)
    _, grads = net.loss_and_gradients(X, Y)
    assert [a.shape for a in net.slopes] == [(1,), (1,)]
    for analytic, a in zip(grads.a, net.slopes):
        numeric = numerical_gradient(lambda: net.loss_and_gradients(X, Y)[0], a)
        assert relative_error(analytic, numeric) < 1e-7


def test_slope_one_makes_the_network_linear_and_slope_zero_makes_it_relu():
    from vanishing.mlp import MLP
    X = np.random.default_rng(6).standard_normal((5, 3))
    relu_net = MLP([3, 4, 2], activation="relu", init="he_normal", seed=3)
    prelu_net = PReLUNet([3, 4, 2], slope=0.0, seed=3)
    np.testing.assert_array_equal(prelu_net.forward(X), relu_net.forward(X))
    linear = PReLUNet([3, 4, 2], slope=1.0, seed=3)
    W1, W2 = linear.weights
    np.testing.assert_allclose(linear.forward(X), X @ W1.T @ W2.T, rtol=1e-12)


def test_slopes_start_at_he_et_al_value_and_learn():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((32, 2))
    Y = (X[:, :1] * X[:, 1:] > 0).astype(np.float64)
    net = PReLUNet([2, 8, 8, 1], seed=0)
    assert all(np.all(a == INITIAL_SLOPE) for a in net.slopes)
    opt = optim.SGD(net.parameters(), lr=0.1)
    first = net.loss_and_gradients(X, Y, "bce_with_logits")[0]
    for _ in range(50):
        opt.step(net.loss_and_gradients(X, Y, "bce_with_logits")[1].as_list())
    assert net.loss_and_gradients(X, Y, "bce_with_logits")[0] < first
    assert any(np.any(a != INITIAL_SLOPE) for a in net.slopes)


@pytest.mark.parametrize("call, parameter", [
    (lambda: prelu(np.ones((2, 3)), np.ones(2)), "a"),
    (lambda: prelu(np.ones((2, 3)), np.ones((3, 1))), "a"),
    (lambda: prelu("z", 0.25), "z"),
    (lambda: prelu(np.ones(2), np.nan), "a"),
    (lambda: prelu_backward(np.ones((2, 2)), np.ones((2, 3)), 0.25), "grad_output"),
    (lambda: prelu(np.full(2, -1e300), 1e300), "a"),
    (lambda: PReLUNet([2]), "sizes"),
    (lambda: PReLUNet([2, 3, 1], slope=np.inf), "slope"),
    (lambda: PReLUNet([2, 3, 1]).backward(np.ones((1, 1))), "forward"),
    (lambda: PReLUNet([2, 3, 1]).forward(np.ones((2, 3))), "X"),
    (lambda: PReLUNet([2, 3, 1], init=lambda i, o, r: np.full((o, i), 1e200)).forward(np.ones((1, 2))),
     "overflow"),
])
def test_bad_input_is_a_named_error(call, parameter):
    with pytest.raises((ValueError, TypeError), match=parameter):
        call()
