"""Tests for the helpers appended to vanishing.diagnose for lesson 10."""

import numpy as np
import pytest

from vanishing import diagnose, losses
from vanishing.data import memory_task, two_moons
from vanishing.mlp import MLP
from vanishing.recurrent import LSTM, RNN, train_sequence
from vanishing.train import train

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

def _history(activation="sigmoid", steps=5):
    X, y = two_moons(32)
    net = MLP([2, 8, 8, 8, 1], activation=activation, init="xavier_normal", seed=0)
    return train(net, X, y, steps=steps, lr=0.1, loss="bce_with_logits")


def test_speed_ratio_is_last_over_first_layer_at_every_step():
    h = _history()
    np.testing.assert_allclose(diagnose.speed_ratio(h), h.grad_norm[:, 3] / h.grad_norm[:, 0])
    np.testing.assert_allclose(diagnose.speed_ratio(h, "delta_rms", first=2, last=3),
                               h.delta_rms[:, 2] / h.delta_rms[:, 1])


def test_speed_ratio_of_a_layer_with_zero_gradient_is_inf_without_warning():
    h = _history()
    h.grad_norm[:, 0] = 0.0
    assert np.all(np.isinf(diagnose.speed_ratio(h)))


@pytest.mark.parametrize("kwargs, error", [({"quantity": "loss"}, ValueError),
                                           ({"first": 0}, ValueError), ({"last": 5}, ValueError),
                                           ({"first": 1.5}, TypeError)])
def test_speed_ratio_rejects_unknown_quantities_and_layers(kwargs, error):
    with pytest.raises(error):
        diagnose.speed_ratio(_history(), **kwargs)


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
    history = train_sequence(RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0), X, y,
                             steps=10, lr=0.1)
    assert diagnose.verdict(stats, history).findings[0].startswith("exploding")


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
    fig = diagnose.plot_update_ratios({"sigmoid": _history(), "relu": _history("relu")})
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.get_lines()) == 4 + 1                       # 4 layers and the target
        assert ax.get_yscale() == "log"
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()


def test_plot_update_ratios_skips_zero_ratios_without_warnings():
    h = _history()
    h.update_ratio[:, 0] = 0.0
    fig = diagnose.plot_update_ratios(h)
    assert len(fig.axes) == 1


def test_plot_activation_stats_has_three_panels_and_one_line_per_network():
    X, y = two_moons(32)
    stats = {}
    for act in ("sigmoid", "relu"):
        net = MLP([2, 8, 8, 1], activation=act, init="xavier_normal", seed=0)
        _, g = losses.bce_with_logits(net.forward(X), y)
        stats[act] = net.stats(net.backward(g))
    fig = diagnose.plot_activation_stats(stats)
    assert len(fig.axes) == 3
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)
