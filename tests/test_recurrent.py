"""Tests for vanishing.recurrent: BPTT against finite differences, gradient versus lag, training."""

import numpy as np
import pytest

from vanishing import losses
from vanishing.data import memory_task
from vanishing.gradcheck import numerical_gradient, relative_error
from vanishing.recurrent import (
    GRU,
    LSTM,
    RNN,
    BPTTGradients,
    accuracy,
    make_network,
)
from vanishing.train import fit

CELLS = [("rnn", {}), ("rnn", {"activation": "relu"}), ("lstm", {"forget_bias": 0.7}),
         ("gru", {"update_bias": 0.5}), ("gru", {"update_bias": 0.5, "reset": "after"})]


def _small_problem(seed=1, batch=3, T=5, n_in=2, n_out=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, T, n_in))
    y = rng.integers(0, 2, size=(batch, n_out)).astype(np.float64)
    return X, y


def _jitter(net, seed=2, scale=0.1):
    """Move every parameter off its special initial value (zero biases, orthogonal W)."""
    rng = np.random.default_rng(seed)
    for p in net.parameters():
        p += scale * rng.standard_normal(p.shape)
    return net


def _bptt_error(cell, kwargs, loss):
    X, y = _small_problem()
    if loss == "mse":
        y = y - 0.3
    net = _jitter(make_network(cell, n_in=2, n_hidden=4, n_out=2, recurrent_scale=0.9,
                               seed=3, **kwargs))
    _, grads = net.loss_and_gradients(X, y, loss=loss)

    def out():
        return losses.get(loss)(net.forward(X), y)[0]

    errors = {name: relative_error(grads.params[name], numerical_gradient(out, p))
              for name, p in net.params.items()}
    return errors


@pytest.mark.parametrize("cell, kwargs", CELLS)
def test_bptt_parameter_gradients_match_central_differences(cell, kwargs):
    errors = _bptt_error(cell, kwargs, "bce_with_logits")
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-6, f"{cell}: d Out/d {worst} off by {errors[worst]:.2e}"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bptt_with_mse_loss_matches_central_differences(cell):
    errors = _bptt_error(cell, {}, "mse")
    assert max(errors.values()) < 1e-6


def _out_from_state(net, X, y, t, h=None, c=None):
    """Run the cell from step t+1 on, starting from the given state at step t (1-based)."""
    U = net._input_terms(X)
    state = net._zero_state(X.shape[0])
    for s in range(t):
        state, _ = net._step(U[s], state)
    if h is not None:
        state = (h,) + state[1:]
    if c is not None:
        state = (state[0], c)
    return state


def _out_restarted_at(net, X, y, t, state):
    """Out (BCE of the readout) when the network runs steps t+1..T from ``state`` at step t."""
    U = net._input_terms(X)
    for s in range(t, X.shape[1]):
        state, _ = net._step(U[s], state)
    return losses.bce_with_logits(state[0] @ net.W_hy.T + net.b_y, y)[0]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("t", [1, 3, 5])
def test_dh_t_is_the_total_derivative_of_out_with_respect_to_h_t(cell, t):
    X, y = _small_problem()
    net = _jitter(make_network(cell, n_in=2, n_hidden=4, n_out=2, seed=3))
    _, grads = net.loss_and_gradients(X, y)
    states = [_out_from_state(net, X, y, t)]
    h_t = states[0][0].copy()
    extra = states[0][1:]

    def out():
        return _out_restarted_at(net, X, y, t, (h_t,) + extra)

    assert relative_error(grads.dh[:, t - 1], numerical_gradient(out, h_t)) < 1e-6


@pytest.mark.parametrize("t", [1, 2, 5])
def test_lstm_dc_t_is_the_total_derivative_of_out_with_respect_to_c_t(t):
    X, y = _small_problem()
    net = _jitter(LSTM(2, 4, 2, seed=3))
    _, grads = net.loss_and_gradients(X, y)
    _, c_t = (a.copy() for a in _out_from_state(net, X, y, t))
    o_t = net._step(net._input_terms(X)[t - 1], _out_from_state(net, X, y, t - 1))[1][4]

    def out():                                     # c_t moves h_t = o_t tanh(c_t) too
        return _out_restarted_at(net, X, y, t, (o_t * np.tanh(c_t), c_t))

    assert relative_error(grads.dc[:, t - 1], numerical_gradient(out, c_t)) < 1e-6


@pytest.mark.parametrize("t", [1, 3, 5])
def test_reset_after_gru_dh_t_is_the_total_derivative_of_out(t):
    X, y = _small_problem()
    net = _jitter(GRU(2, 4, 2, reset="after", seed=3))
    _, grads = net.loss_and_gradients(X, y)
    h_t = _out_from_state(net, X, y, t)[0].copy()

    def out():
        return _out_restarted_at(net, X, y, t, (h_t,))

    assert relative_error(grads.dh[:, t - 1], numerical_gradient(out, h_t)) < 1e-6


def test_reset_after_gru_has_one_more_bias_b_hh_after_the_gates():
    before, after = GRU(2, 3, 2, seed=0), GRU(2, 3, 2, seed=0, reset="after")
    assert "b_hh" not in before.params
    assert list(after.params) == [*before.params][:9] + ["b_hh", "W_hy", "b_y"]
    assert np.all(after.params["b_hh"] == 0.0)
    X, y = _small_problem()
    _, grads = after.loss_and_gradients(X, y)
    assert [g.shape for g in grads.as_list()] == [p.shape for p in after.parameters()]
    assert "reset='after'" in repr(after) and "reset" not in repr(before)


def test_both_gru_variants_agree_when_the_reset_gate_is_open():
    """r = 1 (a huge reset bias) and b_hh = 0: W_hh (r h) = r (W_hh h), so the outputs are equal."""
    X, _ = _small_problem()
    nets = [_jitter(GRU(2, 4, 2, seed=3)), GRU(2, 4, 2, reset="after")]
    nets[0].set_param("b_r", np.full(4, 40.0))              # sigma(40) rounds to 1.0
    for name, value in nets[0].params.items():              # the same weights, b_hh = 0
        nets[1].set_param(name, value)
    np.testing.assert_allclose(nets[0].forward(X), nets[1].forward(X), rtol=1e-13)
    nets[1].set_param("b_hh", np.full(4, 0.5))
    assert np.max(np.abs(nets[0].forward(X) - nets[1].forward(X))) > 1e-3


def test_the_gru_reset_option_is_validated():
    with pytest.raises(ValueError, match="reset must be one of"):
        GRU(1, 3, reset="middle")
    with pytest.raises(TypeError, match="reset"):
        GRU(1, 3, reset=True)


def test_bptt_results_are_batch_first_whatever_the_storage():
    X, y = _small_problem(batch=3, T=5)
    net = _jitter(LSTM(2, 4, 2, seed=3))
    _, grads = net.loss_and_gradients(X, y)
    assert grads.dh.shape == grads.dc.shape == grads.gates["f"].shape == (3, 5, 4)
    G = losses.bce_with_logits(net.forward(X), y)[1]
    np.testing.assert_allclose(grads.dh[:, -1], G @ net.W_hy, rtol=1e-14)  # dOut/dh_T, per sequence


def test_backward_returns_every_parameter_in_parameter_order():
    X, y = _small_problem()
    net = GRU(2, 3, 2)
    _, grads = net.loss_and_gradients(X, y)
    assert isinstance(grads, BPTTGradients)
    assert list(grads.params) == list(net.params)
    assert [g.shape for g in grads.as_list()] == [p.shape for p in net.parameters()]
    assert grads.dh.shape == (3, 5, 3) and grads.dc is None
    assert "W_hz" in str(grads)


def test_named_parameters_are_views_so_updates_reach_the_network():
    net = LSTM(1, 3)
    net.params["b_f"] += 1.0
    assert np.allclose(net.b[3:6], 2.0), "b_f must be a view into the stacked bias"
    net.set_param("W_hf", np.zeros((3, 3)))
    assert np.all(net.W_h[3:6] == 0.0)


def test_lstm_forget_bias_initialises_only_the_forget_gate():
    net = LSTM(1, 4, forget_bias=1.0)
    assert np.all(net.params["b_f"] == 1.0)
    assert all(np.all(net.params[f"b_{g}"] == 0.0) for g in "iog")


# --- the recurrent matrix ---------------------------------------------------------------


# --- gradient versus time lag ------------------------------------------------------------


# --- training ---------------------------------------------------------------------------

def test_lstm_learns_the_memory_task_at_a_modest_lag():
    X, y = memory_task(128, lag=15, seed=0)
    X_test, y_test = memory_task(256, lag=15, seed=1)
    net = LSTM(1, 8, seed=0)
    history = fit(net, X, y, steps=60, lr=0.02, optimizer="adam", loss="bce_with_logits")
    assert history.diverged_at is None
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert accuracy(net, X_test, y_test) > 0.95


def test_exploding_relu_rnn_diverges_without_clipping_and_is_reported():
    X, y = memory_task(64, lag=30, seed=0)
    net = RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0)
    history = fit(net, X, y, steps=20, lr=0.1, loss="bce_with_logits")       # warnings are errors here
    assert history.diverged_at is not None and history.diverged_at < 20
    assert "not finite" in history.reason and "diverged" in str(history)
    assert np.isnan(accuracy(net, X, y))


def test_clipping_by_norm_keeps_the_exploding_relu_rnn_finite():
    X, y = memory_task(64, lag=30, seed=0)
    net = RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0)
    history = fit(net, X, y, steps=20, lr=0.1, clip_norm=1.0, loss="bce_with_logits")
    assert history.diverged_at is None and np.all(np.isfinite(history.loss))
    assert history.clipped[0] and history.global_norm[0] > 1.0


def test_clip_value_is_applied_and_recorded():
    X, y = memory_task(32, lag=10, seed=0)
    net = RNN(1, 4, recurrent_scale=3.0, seed=0)
    history = fit(net, X, y, steps=3, lr=0.1, clip_value=1e-3, loss="bce_with_logits")
    assert history.clipped.all()


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, words", [
    ({"n_hidden": 0}, ValueError, "n_hidden"),
    ({"n_hidden": 2.5}, TypeError, "n_hidden"),
    ({"recurrent_init": "identity"}, ValueError, "recurrent_init"),
    ({"recurrent_scale": -1.0}, ValueError, "recurrent_scale"),
    ({"recurrent_scale": float("nan")}, ValueError, "recurrent_scale"),
])
def test_bad_network_options_raise_clear_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        make_network("rnn", **{"n_in": 1, "n_hidden": 4, **kwargs})


def test_unknown_cell_and_activation_are_rejected():
    with pytest.raises(ValueError, match="cell"):
        make_network("transformer")
    with pytest.raises(ValueError, match="activation"):
        RNN(1, 4, activation="sigmoid")


@pytest.mark.parametrize("X, words", [
    (np.zeros((4, 5)), "3-d"),
    (np.zeros((4, 5, 2)), "n_in=1"),
    (np.full((4, 5, 1), np.nan), "finite"),
])
def test_bad_inputs_raise_clear_errors(X, words):
    with pytest.raises(ValueError, match=words):
        RNN(1, 4).forward(X)


def test_backward_needs_forward_and_the_output_shape():
    net = LSTM(1, 3)
    with pytest.raises(ValueError, match="forward"):
        net.backward(np.ones((2, 1)))
    net.forward(np.zeros((2, 4, 1)))
    with pytest.raises(ValueError, match="grad_output"):
        net.backward(np.ones((3, 1)))


def test_fit_rejects_bad_sequence_arguments():
    X, y = memory_task(8, lag=4)
    net = RNN(1, 3)
    with pytest.raises(ValueError, match="y must have shape"):
        fit(net, X, y[:4], steps=2, lr=0.1, loss="bce_with_logits")
    with pytest.raises(ValueError, match="clip_norm"):
        fit(net, X, y, steps=2, lr=0.1, clip_norm=0.0, loss="bce_with_logits")
    with pytest.raises(ValueError, match="optimizer"):
        fit(net, X, y, steps=2, lr=0.1, optimizer="rmsprop", loss="bce_with_logits")
    with pytest.raises(TypeError, match="model"):
        fit("rnn", X, y, steps=2, lr=0.1, loss="bce_with_logits")


def test_gate_is_the_logistic_sigmoid():
    from vanishing.activations import sigmoid
    from vanishing.recurrent import gate
    z = np.linspace(-40, 40, 81)
    np.testing.assert_allclose(gate(z), sigmoid(z), rtol=1e-12, atol=1e-15)


def test_recurrent_weights_returns_a_copy_of_the_chosen_gate():
    net = LSTM(1, 3, seed=0)
    W = net.recurrent_weights("f")
    np.testing.assert_array_equal(W, net.params["W_hf"])
    W[...] = 0.0
    assert np.any(net.params["W_hf"] != 0.0)
