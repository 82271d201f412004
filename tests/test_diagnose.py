import numpy as np
import pytest

from vanishing import diagnose, init
from vanishing.data import two_moons
from vanishing.mlp import MLP, gradient_profile
from vanishing.train import train


def test_verdict_calls_a_deep_sigmoid_network_vanishing_in_both_measures_with_both_ratios():
    stats = gradient_profile(20, 16, 32, "sigmoid", "xavier_normal")
    d = diagnose.verdict(stats)
    assert d.findings[0].startswith("vanishing: weight gradients and error signals delta")
    assert d.first_to_last == pytest.approx(stats.grad_norm[-1] / stats.grad_norm[0])
    assert d.delta_ratio == pytest.approx(stats.delta_rms[-1] / stats.delta_rms[0])
    assert f"|dW_20|/|dW_1| = {d.first_to_last:.3g}" in d.findings[0]
    assert f"rms delta_20/rms delta_1 = {d.delta_ratio:.3g}" in d.findings[0]


def _moons_sigmoid(seed=0):
    """The lesson's 5-layer sigmoid + Xavier network on two moons: one batch's stats and a net."""
    X, y = two_moons(200, seed=0)
    net = MLP([2, 16, 16, 16, 16, 1], activation="sigmoid", init="xavier_normal", seed=seed)
    _, g = diagnose.losses.bce_with_logits(net.forward(X), y)
    return net.stats(net.backward(g)), net, X, y


def test_verdict_catches_vanishing_deltas_that_the_weight_gradient_ratio_misses():
    stats, *_ = _moons_sigmoid()
    d = diagnose.verdict(stats)
    assert d.first_to_last < diagnose.VANISHING_RATIO < d.delta_ratio
    assert d.findings[0].startswith("vanishing: error signals delta, rms delta_5/rms delta_1"), d.findings
    assert d.findings[0].endswith(f"above 100 (weight gradients: |dW_5|/|dW_1| = {d.first_to_last:.3g})")
    assert f"{d.first_to_last:.3g}" in d.findings[0] and f"{d.delta_ratio:.3g}" in d.findings[0]
    assert not d.healthy


def test_verdict_calls_the_moons_sigmoid_run_stuck_at_its_first_loss():
    stats, net, X, y = _moons_sigmoid()
    history = train(net, X, y, steps=300, lr=0.5, loss="bce_with_logits")
    d = diagnose.verdict(stats, history)
    stuck = [f for f in d.findings if f.startswith("stuck")]
    assert d.loss_change < diagnose.STUCK_CHANGE
    assert stuck == [f"stuck: the loss moved {100 * d.loss_change:.2g}% in 300 steps "
                     f"(from {history.loss[0]:.4f} to {history.loss[-1]:.4f})"]


def _history(loss, update_ratio):
    from vanishing.train import TrainingHistory
    u = np.asarray(update_ratio, dtype=float)
    return TrainingHistory(loss=np.asarray(loss, dtype=float), grad_norm=np.ones_like(u),
                           delta_rms=np.ones_like(u), update_ratio=u,
                           global_norm=np.ones(len(u)), diverged_at=None)


def _flat_stats(L=3):
    from vanishing.mlp import NetworkStats
    ones, zeros = np.ones(L), np.zeros(L)
    return NetworkStats(ones, ones, zeros, ones, zeros, zeros)


def test_verdict_calls_a_loss_stuck_only_within_the_band_and_after_enough_steps():
    n = diagnose.STUCK_MIN_STEPS
    u = np.full((n, 3), 1e-3)
    flat = np.full(n, 0.7)
    moving = np.linspace(0.7, 0.7 * (1 - 2 * diagnose.STUCK_CHANGE), n)
    d = diagnose.verdict(_flat_stats(), _history(flat, u))
    assert d.findings == [f"stuck: the loss moved 0% in {n} steps (from 0.7000 to 0.7000)"]
    assert diagnose.verdict(_flat_stats(), _history(moving, u)).healthy
    assert diagnose.verdict(_flat_stats(), _history(flat[:-1], u[:-1])).healthy   # too short
    assert diagnose.verdict(_flat_stats()).healthy                                 # no history


def test_verdict_names_the_layer_that_barely_moves_from_the_median_update_ratio():
    steps = 10
    u = np.tile([1e-3, 1e-7, 1e-6], (steps, 1))
    u[0] = 1.0                                   # one big step does not change the median
    loss = np.linspace(0.7, 0.1, steps)
    d = diagnose.verdict(_flat_stats(), _history(loss, u))
    assert d.min_update_ratio == pytest.approx(1e-7)
    assert d.findings == ["barely moving: layer 2 barely moves (median update-to-data ratio "
                          "1.0e-07 over 10 steps, rule of thumb 0.001); 2 of 3 layers are below 1e-05"]
    u[:, 1:] = 1e-4
    assert diagnose.verdict(_flat_stats(), _history(loss, u)).healthy


def test_verdict_sees_a_uniformly_starved_tanh_network_that_gradient_ratios_call_even():
    X, y = two_moons(200, seed=0)
    net = MLP([2] + [16] * 7 + [1], activation="tanh", init=init.normal(0.05), seed=0)
    _, g = diagnose.losses.bce_with_logits(net.forward(X), y)
    stats = net.stats(net.backward(g))
    assert stats.grad_norm.max() / stats.grad_norm.min() < 3
    d = diagnose.verdict(stats, train(net, X, y, steps=300, lr=0.5, loss="bce_with_logits"))
    kinds = [f.split(":")[0] for f in d.findings]
    assert kinds == ["vanishing", "barely moving", "stuck"], d.findings
    assert d.findings[0].startswith("vanishing: error signals delta")
    assert d.min_update_ratio < diagnose.BARELY_MOVING_RATIO


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
    assert d.findings[0] == ("vanishing: weight gradients, |dW_3|/|dW_1| = inf above 100 "
                              "(error signals delta: rms delta_3/rms delta_1 = nan)")
    assert np.isnan(d.delta_ratio)                         # all-zero deltas: no delta ratio
