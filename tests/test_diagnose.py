"""Diagnostics: the verdict's findings (kind, layer, value, sentence), histories, speed ratios, unrolled statistics."""

import numpy as np
import pytest

from vanishing import diagnose, init, losses, plots
from vanishing.data import memory_task, two_moons
from vanishing.mlp import MLP, gradient_profile
from vanishing.recurrent import LSTM, RNN
from vanishing.train import TrainingHistory, fit


def test_verdict_calls_a_deep_sigmoid_network_vanishing_in_both_measures_with_both_ratios():
    stats = gradient_profile(20, 16, 32, "sigmoid", "xavier_normal")
    d = diagnose.verdict(stats)
    assert str(d.findings[0]).startswith("vanishing: weight gradients and error signals delta")
    assert (d.findings[0].kind, d.findings[0].layer, d.findings[0].value) == ("vanishing", 1, d.first_to_last)
    assert d.first_to_last == pytest.approx(stats.grad_norm[-1] / stats.grad_norm[0])
    assert d.delta_ratio == pytest.approx(stats.delta_rms[-1] / stats.delta_rms[0])
    assert f"|dW_20|/|dW_1| = {d.first_to_last:.3g}" in str(d.findings[0])
    assert f"rms delta_20/rms delta_1 = {d.delta_ratio:.3g}" in str(d.findings[0])


def _moons_sigmoid(seed=0):
    """The lesson's 5-layer sigmoid + Xavier network on two moons: one batch's stats and a net."""
    X, y = two_moons(200, seed=0)
    net = MLP([2, 16, 16, 16, 16, 1], activation="sigmoid", init="xavier_normal", seed=seed)
    _, g = losses.bce_with_logits(net.forward(X), y)
    return net.stats(net.backward(g)), net, X, y


def test_verdict_catches_vanishing_deltas_that_the_weight_gradient_ratio_misses():
    stats, *_ = _moons_sigmoid()
    d = diagnose.verdict(stats)
    assert d.first_to_last < diagnose.VANISHING_RATIO < d.delta_ratio
    assert str(d.findings[0]).startswith("vanishing: error signals delta, rms delta_5/rms delta_1"), d.findings
    assert str(d.findings[0]).endswith(f"above 100 (weight gradients: |dW_5|/|dW_1| = {d.first_to_last:.3g})")
    assert f"{d.first_to_last:.3g}" in str(d.findings[0]) and f"{d.delta_ratio:.3g}" in str(d.findings[0])
    assert not d.healthy


def test_verdict_calls_the_moons_sigmoid_run_stuck_at_its_first_loss():
    stats, net, X, y = _moons_sigmoid()
    history = fit(net, X, y, steps=300, lr=0.5, loss="bce_with_logits")
    d = diagnose.verdict(stats, history)
    stuck = [str(f) for f in d.findings if f.kind == "stuck"]
    assert d.loss_change < diagnose.STUCK_CHANGE
    assert stuck == [f"stuck: the loss moved {100 * d.loss_change:.2g}% in 300 steps "
                     f"(from {history.loss[0]:.4f} to {history.loss[-1]:.4f})"]


def _history(loss, update_ratio):
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
    assert [str(f) for f in d.findings] == [f"stuck: the loss moved 0% in {n} steps (from 0.7000 to 0.7000)"]
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
    assert [str(f) for f in d.findings] == ["barely moving: layer 2 barely moves (median update-to-data ratio "
                          "1.0e-07 over 10 steps, rule of thumb 0.001); 2 of 3 layers are below 1e-05"]
    u[:, 1:] = 1e-4
    assert diagnose.verdict(_flat_stats(), _history(loss, u)).healthy


def test_verdict_sees_a_uniformly_starved_tanh_network_that_gradient_ratios_call_even():
    X, y = two_moons(200, seed=0)
    net = MLP([2] + [16] * 7 + [1], activation="tanh", init=init.normal(0.05), seed=0)
    _, g = losses.bce_with_logits(net.forward(X), y)
    stats = net.stats(net.backward(g))
    assert stats.grad_norm.max() / stats.grad_norm.min() < 3
    d = diagnose.verdict(stats, fit(net, X, y, steps=300, lr=0.5, loss="bce_with_logits"))
    kinds = d.kinds
    assert kinds == ["vanishing", "barely moving", "stuck"], d.findings
    assert str(d.findings[0]).startswith("vanishing: error signals delta")
    assert d.min_update_ratio < diagnose.BARELY_MOVING_RATIO


def test_verdict_calls_large_tanh_weights_exploding_and_saturated():
    d = diagnose.verdict(gradient_profile(20, 16, 32, "tanh", init.normal(1.0)))
    assert any(str(f).startswith("exploding") for f in d.findings)
    assert any(str(f).startswith("saturation") for f in d.findings)
    assert d.max_saturated > diagnose.SATURATED_FRACTION


def test_verdict_finds_dead_relus_after_a_large_negative_bias():
    net = MLP([4, 8, 8, 1], activation="relu", init="he_normal", seed=0)
    net.biases = [np.full(8, -50.0), np.zeros(8), np.zeros(1)]
    X = np.random.default_rng(0).standard_normal((16, 4))
    _, g = losses.mse(net.forward(X), np.zeros((16, 1)))
    d = diagnose.verdict(net.stats(net.backward(g)))
    assert d.max_dead == 1.0
    assert any("dead units: 100% of layer 1" in str(f) for f in d.findings)


def test_verdict_reports_divergence_from_the_history():
    X, y = two_moons(64)
    net = MLP([2, 8, 8, 1], activation="relu", init=init.normal(5.0), seed=0)
    history = fit(net, X, y, steps=200, lr=3.0)
    assert history.diverged_at is not None
    d = diagnose.verdict(gradient_profile(3, 8, 16, "relu", "he_normal"), history)
    assert d.diverged and str(d.findings[0]).startswith("exploding: the loss became inf/NaN")


def test_a_shallow_well_initialised_relu_network_is_healthy():
    d = diagnose.verdict(gradient_profile(4, 64, 128, "relu", "he_normal"))
    assert d.healthy, d.findings


def test_layer_gradients_match_the_backward_pass_and_histogram_drops_zeros():
    X, y = two_moons(32)
    net = MLP([2, 8, 8, 1], activation="relu", init="he_normal", seed=1)
    lg = diagnose.layer_gradients(net, X, y, "bce_with_logits")
    value, g = losses.bce_with_logits(net.forward(X), y)
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
    h = fit(net, X, y, steps=5, lr=0.1, loss="bce_with_logits")
    assert diagnose.learning_speed(h).shape == (5, 4)
    ratios = diagnose.update_ratios(h)
    assert ratios.shape == (5, 4) and np.all(ratios > 0)
    np.testing.assert_allclose(ratios[0, 0], 0.1 * h.grad_norm[0, 0] / np.linalg.norm(
        MLP([2, 8, 8, 8, 1], activation="sigmoid", init="xavier_normal", seed=0).weights[0]))


def test_plots_return_figures_with_one_axis():
    X, y = two_moons(32)
    net = MLP([2, 8, 8, 1], activation="tanh", init="xavier_normal", seed=0)
    assert len(plots.plot_gradient_histograms(diagnose.layer_gradients(net, X, y)).axes) == 1
    h = fit(net, X, y, steps=3, lr=0.1)
    assert len(plots.plot_learning_speed(h).axes) == 1


def _stats_with(grad_norm):
    L = len(grad_norm)
    from vanishing.mlp import NetworkStats
    zeros = np.zeros(L)
    return NetworkStats(np.asarray(grad_norm, dtype=float), zeros, zeros, zeros, zeros, zeros)


def test_verdict_says_no_gradient_when_first_and_last_layers_get_exactly_zero():
    d = diagnose.verdict(_stats_with([0.0, 1.0, 0.0]))
    assert str(d.findings[0]).startswith("no gradient: layers 1 and 3")
    assert np.isnan(d.first_to_last) and not d.healthy


def test_verdict_handles_a_zero_last_layer_gradient_without_dividing_by_zero():
    d = diagnose.verdict(_stats_with([1.0, 1.0, 0.0]))
    assert str(d.findings[0]) == "no gradient at layer 3: its weight gradient is exactly zero"


def test_verdict_calls_an_exactly_zero_first_layer_vanishing():
    d = diagnose.verdict(_stats_with([0.0, 1.0, 2.0]))
    assert str(d.findings[0]) == ("vanishing: weight gradients, |dW_3|/|dW_1| = inf above 100 "
                              "(error signals delta: rms delta_3/rms delta_1 = nan)")
    assert np.isnan(d.delta_ratio)                         # all-zero deltas: no delta ratio


# --- baseline_loss ---------------------------------------------------------------------------

def test_baseline_loss_of_balanced_labels_is_ln_2():
    assert diagnose.baseline_loss(np.array([[0.0], [1.0], [1.0], [0.0]])) == pytest.approx(np.log(2))


def test_baseline_loss_is_the_bce_of_the_best_constant_logit():
    Y = (np.arange(40) % 4 == 0).astype(float)[:, None]            # p = 1/4
    p = Y.mean()
    constant = np.full_like(Y, np.log(p / (1 - p)))
    assert diagnose.baseline_loss(Y) == pytest.approx(losses.bce_with_logits(constant, Y)[0])
    shifted = [losses.bce_with_logits(constant + d, Y)[0] for d in (-0.1, 0.1)]
    assert min(shifted) > diagnose.baseline_loss(Y), "any other constant must do worse"


def test_baseline_loss_of_a_single_class_is_zero_without_warnings():
    assert diagnose.baseline_loss(np.ones((5, 1))) == 0.0
    assert diagnose.baseline_loss(np.zeros((5, 2))) == 0.0


def test_baseline_loss_for_mse_is_the_variance_averaged_over_columns():
    Y = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    assert diagnose.baseline_loss(Y, "mse") == pytest.approx((8 / 3 + 0.0) / 2)


@pytest.mark.parametrize("Y, loss, words", [
    (np.array([[0.0], [2.0]]), "bce_with_logits", "labels in [0, 1]"),
    (np.array([[0.0], [1.0]]), "hinge", "loss must be one of"),
    (np.array([0.0, 1.0]), "mse", "2-d"),
])
def test_baseline_loss_rejects_bad_input_with_a_clear_message(Y, loss, words):
    with pytest.raises((ValueError, TypeError), match=words.replace("[", r"\[").replace("]", r"\]")):
        diagnose.baseline_loss(Y, loss)


# --- speed_ratio -------------------------------------------------------------------------------

def _trained(activation="sigmoid", steps=5):
    X, y = two_moons(32)
    net = MLP([2, 8, 8, 8, 1], activation=activation, init="xavier_normal", seed=0)
    return fit(net, X, y, steps=steps, lr=0.1, loss="bce_with_logits")


def test_speed_ratio_is_last_over_first_layer_at_every_step():
    h = _trained()
    np.testing.assert_allclose(diagnose.speed_ratio(h), h.grad_norm[:, 3] / h.grad_norm[:, 0])
    np.testing.assert_allclose(diagnose.speed_ratio(h, "delta_rms", first=2, last=3),
                               h.delta_rms[:, 2] / h.delta_rms[:, 1])


def test_speed_ratio_of_a_layer_with_zero_gradient_is_inf_without_warning():
    h = _trained()
    h.grad_norm[:, 0] = 0.0
    assert np.all(np.isinf(diagnose.speed_ratio(h)))


@pytest.mark.parametrize("kwargs, error", [({"quantity": "loss"}, ValueError),
                                           ({"first": 0}, ValueError), ({"last": 5}, ValueError),
                                           ({"first": 1.5}, TypeError)])
def test_speed_ratio_rejects_unknown_quantities_and_layers(kwargs, error):
    with pytest.raises(error):
        diagnose.speed_ratio(_trained(), **kwargs)


# --- unrolled_stats ----------------------------------------------------------------------------

def test_unrolled_stats_of_one_step_is_the_whole_weight_gradient():
    X, y = memory_task(16, lag=1, seed=0)
    net = RNN(1, 4, seed=0)
    stats = diagnose.unrolled_stats(net, X, y)
    _, grads = net.loss_and_gradients(X, y)
    whole = np.sqrt(np.sum(grads.params["W_xh"] ** 2) + np.sum(grads.params["W_hh"] ** 2))
    assert len(stats) == 1
    assert stats.grad_norm[0] == pytest.approx(whole, rel=1e-12)


def test_unrolled_stats_reads_the_hidden_states_of_the_forward_pass():
    X, y = memory_task(16, lag=6, seed=0)
    net = RNN(1, 4, n_out=4, recurrent_scale=0.9, seed=1)
    net.set_param("W_hy", np.eye(4))                 # the readout is then h_T itself
    stats = diagnose.unrolled_stats(net, X, np.repeat(y, 4, axis=1))
    h_T = net.forward(X)
    assert stats.act_mean[-1] == pytest.approx(h_T.mean(), rel=1e-12)
    assert stats.act_std[-1] == pytest.approx(h_T.std(), rel=1e-12)


def test_unrolled_stats_shows_an_exploding_relu_rnn_growing_with_the_lag():
    X, y = memory_task(32, lag=20, seed=0)
    net = RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0)
    stats = diagnose.unrolled_stats(net, X, y)
    assert stats.delta_rms[0] > 1e3 * stats.delta_rms[-1], "delta at step 1 should dwarf step 20"
    assert np.all(stats.saturated == 0.0), "ReLU does not saturate"
    history = fit(RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0), X, y,
                             steps=10, lr=0.1, loss="bce_with_logits")
    finding = diagnose.verdict(stats, history).findings[0]
    assert finding.kind == "exploding" and str(finding).startswith("exploding: the loss became inf/NaN")


def test_unrolled_stats_finds_saturated_tanh_and_dead_relu_steps():
    X, y = memory_task(16, lag=5, seed=0)
    tanh_net = RNN(1, 4, recurrent_scale=3.0, seed=0)
    tanh_net.set_param("W_xh", np.full((4, 1), 30.0))
    tanh_stats = diagnose.unrolled_stats(tanh_net, X, y)
    assert tanh_stats.saturated[0] == 1.0
    assert np.all(tanh_stats.dead == 0.0), "a saturated tanh unit is saturated, not dead"
    relu_net = RNN(1, 4, activation="relu", seed=0)
    relu_net.set_param("b_h", np.full(4, -10.0))
    stats = diagnose.unrolled_stats(relu_net, X, y)
    assert np.all(stats.dead == 1.0) and np.all(stats.grad_norm == 0.0)


def test_unrolled_stats_accepts_only_the_vanilla_rnn():
    X, y = memory_task(4, lag=3, seed=0)
    with pytest.raises(TypeError, match="vanilla"):
        diagnose.unrolled_stats(LSTM(1, 2), X, y)


# --- plots -------------------------------------------------------------------------------------

def test_plot_update_ratios_draws_one_panel_per_history_with_the_target_line():
    fig = plots.plot_update_ratios({"sigmoid": _trained(), "relu": _trained("relu")})
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.get_lines()) == 4 + 1                       # 4 layers and the target
        assert ax.get_yscale() == "log"
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()


def test_plot_update_ratios_skips_zero_ratios_without_warnings():
    h = _trained()
    h.update_ratio[:, 0] = 0.0
    fig = plots.plot_update_ratios(h)
    assert len(fig.axes) == 1


def test_plot_activation_stats_has_three_panels_and_one_line_per_network():
    X, y = two_moons(32)
    stats = {}
    for act in ("sigmoid", "relu"):
        net = MLP([2, 8, 8, 1], activation=act, init="xavier_normal", seed=0)
        _, g = losses.bce_with_logits(net.forward(X), y)
        stats[act] = net.stats(net.backward(g))
    fig = plots.plot_activation_stats(stats)
    assert len(fig.axes) == 3
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)


def test_a_finding_is_data_its_sentence_is_its_text_and_its_kind_is_checked():
    f = diagnose.Finding("dead units", 3, 0.5, "dead units: 50% of layer 3's units ...")
    assert str(f) == f.text and f.kind in diagnose.KINDS
    with pytest.raises(ValueError, match="kind must be one of"):
        diagnose.Finding("vanished", 1, 0.0, "typo in the kind")
    d = diagnose.verdict(gradient_profile(4, 64, 128, "relu", "he_normal"))
    assert d.kinds == ["healthy"] and d.healthy and str(d) == f"- {d.findings[0].text}"
