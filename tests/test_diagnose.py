import numpy as np
import pytest

from vanishing import diagnose, init
from vanishing.data import two_moons
from vanishing.mlp import MLP, gradient_profile
from vanishing.train import train


def test_verdict_calls_a_deep_sigmoid_network_vanishing_with_its_ratio():
    stats = gradient_profile(20, 16, 32, "sigmoid", "xavier_normal")
    d = diagnose.verdict(stats)
    assert d.findings[0].startswith("vanishing")
    assert d.first_to_last == pytest.approx(stats.grad_norm[-1] / stats.grad_norm[0])
    assert f"{d.first_to_last:.2g}x slower" in d.findings[0]


def test_verdict_calls_large_tanh_weights_exploding_and_saturated():
    d = diagnose.verdict(gradient_profile(20, 16, 32, "tanh", init.normal(1.0)))
    assert any(f.startswith("exploding") for f in d.findings)
    assert any(f.startswith("saturation") for f in d.findings)
    assert d.max_saturated > diagnose.SATURATED_FRACTION


def test_verdict_finds_dead_relus_after_a_large_negative_bias():
    net = MLP([4, 8, 8, 1], activation="relu", init="he_normal", seed=0)
    net.biases = [np.full(8, -50.0), np.zeros(8), np.zeros(1)]
    X = np.random.default_rng(0).standard_normal((16, 4))
    _, g = diagnose.losses.mse(net.forward(X), np.zeros((16, 1)))
    d = diagnose.verdict(net.stats(net.backward(g)))
    assert d.max_dead == 1.0
    assert any("dead units: 100% of layer 1" in f for f in d.findings)


def test_verdict_reports_divergence_from_the_history():
    X, y = two_moons(64)
    net = MLP([2, 8, 8, 1], activation="relu", init=init.normal(5.0), seed=0)
    history = train(net, X, y, steps=200, lr=3.0)
    assert history.diverged_at is not None
    d = diagnose.verdict(gradient_profile(3, 8, 16, "relu", "he_normal"), history)
    assert d.diverged and d.findings[0].startswith("exploding: the loss became inf/NaN")


def test_a_shallow_well_initialised_relu_network_is_healthy():
    d = diagnose.verdict(gradient_profile(4, 64, 128, "relu", "he_normal"))
    assert d.healthy, d.findings


def test_layer_gradients_match_the_backward_pass_and_histogram_drops_zeros():
    X, y = two_moons(32)
    net = MLP([2, 8, 8, 1], activation="relu", init="he_normal", seed=1)
    lg = diagnose.layer_gradients(net, X, y, "bce_with_logits")
    value, g = diagnose.losses.bce_with_logits(net.forward(X), y)
    expected = net.backward(g).W
    assert lg.loss == pytest.approx(value)
    for a, b in zip(lg.grads, expected):
        np.testing.assert_allclose(a, b)
    lg.grads[0][0, 0] = 0.0
    assert lg.log10_abs(1).size == lg.grads[0].size - 1
    assert "median |dW|" in str(lg)


def test_learning_speed_and_update_ratios_have_one_column_per_layer():
    X, y = two_moons(32)
    net = MLP([2, 8, 8, 8, 1], activation="sigmoid", init="xavier_normal", seed=0)
    h = train(net, X, y, steps=5, lr=0.1, loss="bce_with_logits")
    assert diagnose.learning_speed(h).shape == (5, 4)
    ratios = diagnose.update_ratios(h)
    assert ratios.shape == (5, 4) and np.all(ratios > 0)
    np.testing.assert_allclose(ratios[0, 0], 0.1 * h.grad_norm[0, 0] / np.linalg.norm(
        MLP([2, 8, 8, 8, 1], activation="sigmoid", init="xavier_normal", seed=0).weights[0]))


def test_plots_return_figures_with_one_axis():
    X, y = two_moons(32)
    net = MLP([2, 8, 8, 1], activation="tanh", init="xavier_normal", seed=0)
    assert len(diagnose.plot_gradient_histograms(diagnose.layer_gradients(net, X, y)).axes) == 1
    h = train(net, X, y, steps=3, lr=0.1)
    assert len(diagnose.plot_learning_speed(h).axes) == 1


def _stats_with(grad_norm):
    L = len(grad_norm)
    from vanishing.mlp import NetworkStats
    zeros = np.zeros(L)
    return NetworkStats(np.asarray(grad_norm, dtype=float), zeros, zeros, zeros, zeros, zeros)


def test_verdict_says_no_gradient_when_first_and_last_layers_get_exactly_zero():
    d = diagnose.verdict(_stats_with([0.0, 1.0, 0.0]))
    assert d.findings[0].startswith("no gradient: layers 1 and 3")
    assert np.isnan(d.first_to_last) and not d.healthy


def test_verdict_handles_a_zero_last_layer_gradient_without_dividing_by_zero():
    d = diagnose.verdict(_stats_with([1.0, 1.0, 0.0]))
    assert d.findings[0] == "no gradient at layer 3: its weight gradient is exactly zero"


def test_verdict_calls_an_exactly_zero_first_layer_vanishing():
    d = diagnose.verdict(_stats_with([0.0, 1.0, 2.0]))
    assert d.findings[0].startswith("vanishing: layer 1 learns infx slower")
