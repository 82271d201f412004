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
    LagProfile,
    accuracy,
    gradient_vs_lag,
    largest_singular_value,
    make_network,
    recurrent_matrix,
    spectral_radius,
    train_sequence,
)

CELLS = [("rnn", {}), ("rnn", {"activation": "relu"}), ("lstm", {"forget_bias": 0.7}),
         ("gru", {"update_bias": 0.5})]


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
        state, _ = net._step(U[:, s], state)
    if h is not None:
        state = (h,) + state[1:]
    if c is not None:
        state = (state[0], c)
    return state


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
        state = (h_t,) + extra
        U = net._input_terms(X)
        for s in range(t, X.shape[1]):
            state, _ = net._step(U[:, s], state)
        return losses.bce_with_logits(state[0] @ net.W_hy.T + net.b_y, y)[0]

    assert relative_error(grads.dh[:, t - 1], numerical_gradient(out, h_t)) < 1e-6


@pytest.mark.parametrize("t", [1, 2, 5])
def test_lstm_dc_t_is_the_total_derivative_of_out_with_respect_to_c_t(t):
    X, y = _small_problem()
    net = _jitter(LSTM(2, 4, 2, seed=3))
    _, grads = net.loss_and_gradients(X, y)
    _, c_t = (a.copy() for a in _out_from_state(net, X, y, t))
    o_t = net._step(net._input_terms(X)[:, t - 1], _out_from_state(net, X, y, t - 1))[1][4]

    def out():                                     # c_t moves h_t = o_t tanh(c_t) too
        state = (o_t * np.tanh(c_t), c_t)
        U = net._input_terms(X)
        for s in range(t, X.shape[1]):
            state, _ = net._step(U[:, s], state)
        return losses.bce_with_logits(state[0] @ net.W_hy.T + net.b_y, y)[0]

    assert relative_error(grads.dc[:, t - 1], numerical_gradient(out, c_t)) < 1e-6


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

def test_scaled_orthogonal_matrix_has_every_singular_value_equal_to_the_scale():
    W = recurrent_matrix(6, "orthogonal", 0.7, np.random.default_rng(0))
    assert np.allclose(np.linalg.svd(W, compute_uv=False), 0.7)
    assert spectral_radius(W) == pytest.approx(0.7)


def test_spectral_radius_init_hits_the_target_and_sigma_max_exceeds_it():
    W = recurrent_matrix(10, "spectral_radius", 1.3, np.random.default_rng(1))
    assert spectral_radius(W) == pytest.approx(1.3)
    assert largest_singular_value(W) > 1.3


def test_normal_init_spectral_radius_is_about_the_scale():
    W = recurrent_matrix(200, "normal", 0.5, np.random.default_rng(2))
    assert 0.4 < spectral_radius(W) < 0.6


# --- gradient versus time lag ------------------------------------------------------------

def test_contracting_recurrent_matrix_gives_decaying_gradient_norms():
    p = gradient_vs_lag("rnn", T=30, n_hidden=8, recurrent_scale=0.5)
    assert isinstance(p, LagProfile)
    assert np.all(np.diff(p.dh_norm) < 0), "norms must shrink with every step back"
    # ||dh_{t-1}|| <= sigma_max(W_hh) * max tanh' * ||dh_t|| <= 0.5 ||dh_t||
    assert np.all(p.ratio <= 0.5 ** p.lag * (1 + 1e-12))
    assert p.per_step_factor < 0.5


def test_large_spectral_radius_with_small_inputs_makes_gradients_grow():
    p = gradient_vs_lag("rnn", T=25, n_hidden=8, recurrent_scale=1.5, input_scale=1e-6)
    assert p.ratio[-1] > 1e3
    assert p.per_step_factor > 1.4       # tanh' is about 1 while the state stays small


def test_growth_per_step_never_exceeds_the_largest_singular_value():
    net = RNN(1, 8, recurrent_init="spectral_radius", recurrent_scale=1.5, seed=4)
    sigma_max = largest_singular_value(net.params["W_hh"])
    p = gradient_vs_lag(net, T=30, input_scale=0.3)
    assert np.all(p.ratio <= sigma_max ** p.lag * (1 + 1e-12))
    assert p.ratio[-1] < 1e-3 * sigma_max ** 29, "tanh' < 1 on the saturated steps must damp"


def test_lstm_cell_path_is_the_product_of_forget_gates_when_recurrent_weights_vanish():
    net = LSTM(1, 4, recurrent_scale=0.0, forget_bias=2.0, seed=1)
    p = gradient_vs_lag(net, T=20)
    assert np.allclose(p.dc_norm, p.path_norm, rtol=1e-10)
    assert p.gate_product[10] < 0.95 ** 10          # f = sigma(2 + ...) is about 0.88


def test_gru_direct_path_is_the_product_of_update_gates_when_recurrent_weights_vanish():
    net = GRU(1, 4, recurrent_scale=0.0, update_bias=1.0, seed=1)
    p = gradient_vs_lag(net, T=20)
    assert np.allclose(p.dh_norm, p.path_norm, rtol=1e-10)


def test_larger_forget_bias_keeps_more_of_the_cell_gradient():
    lows = gradient_vs_lag("lstm", T=30, n_hidden=8, recurrent_scale=0.3, forget_bias=0.0)
    highs = gradient_vs_lag("lstm", T=30, n_hidden=8, recurrent_scale=0.3, forget_bias=3.0)
    assert highs.dc_norm[-1] / highs.dc_norm[0] > 1e3 * lows.dc_norm[-1] / lows.dc_norm[0]


def test_lag_profile_table_lists_lags_and_states_out():
    p = gradient_vs_lag("lstm", T=12, n_hidden=4)
    text = str(p)
    assert "Out = mean BCE" in text and "||dOut/dc_t||" in text
    assert p.lags_shown() == [0, 1, 2, 5, 10, 11]
    assert "<table>" in p._repr_html_()


# --- training ---------------------------------------------------------------------------

def test_lstm_learns_the_memory_task_at_a_modest_lag():
    X, y = memory_task(128, lag=15, seed=0)
    X_test, y_test = memory_task(256, lag=15, seed=1)
    net = LSTM(1, 8, seed=0)
    history = train_sequence(net, X, y, steps=60, lr=0.02, optimizer="adam")
    assert history.diverged_at is None
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert accuracy(net, X_test, y_test) > 0.95


def test_exploding_relu_rnn_diverges_without_clipping_and_is_reported():
    X, y = memory_task(64, lag=30, seed=0)
    net = RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0)
    history = train_sequence(net, X, y, steps=20, lr=0.1)       # warnings are errors here
    assert history.diverged_at is not None and history.diverged_at < 20
    assert "not finite" in history.reason and "diverged" in str(history)
    assert np.isnan(accuracy(net, X, y))


def test_clipping_by_norm_keeps_the_exploding_relu_rnn_finite():
    X, y = memory_task(64, lag=30, seed=0)
    net = RNN(1, 8, activation="relu", recurrent_scale=2.0, seed=0)
    history = train_sequence(net, X, y, steps=20, lr=0.1, clip_norm=1.0)
    assert history.diverged_at is None and np.all(np.isfinite(history.loss))
    assert history.clipped[0] and history.grad_norm[0] > 1.0


def test_clip_value_is_applied_and_recorded():
    X, y = memory_task(32, lag=10, seed=0)
    net = RNN(1, 4, recurrent_scale=3.0, seed=0)
    history = train_sequence(net, X, y, steps=3, lr=0.1, clip_value=1e-3)
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


def test_train_sequence_rejects_bad_arguments():
    X, y = memory_task(8, lag=4)
    net = RNN(1, 3)
    with pytest.raises(ValueError, match="y must have shape"):
        train_sequence(net, X, y[:4], steps=2, lr=0.1)
    with pytest.raises(ValueError, match="clip_norm"):
        train_sequence(net, X, y, steps=2, lr=0.1, clip_norm=0.0)
    with pytest.raises(ValueError, match="optimizer"):
        train_sequence(net, X, y, steps=2, lr=0.1, optimizer="rmsprop")
    with pytest.raises(TypeError, match="net"):
        train_sequence("rnn", X, y, steps=2, lr=0.1)


def test_gradient_vs_lag_rejects_inconsistent_arguments():
    with pytest.raises(ValueError, match="T"):
        gradient_vs_lag("rnn")
    with pytest.raises(TypeError, match="network options"):
        gradient_vs_lag(RNN(1, 3), T=5, n_hidden=4)
    X, y = memory_task(4, lag=6)
    with pytest.raises(ValueError, match="does not match"):
        gradient_vs_lag(RNN(1, 3), T=5, X=X, y=y)


def test_gate_is_the_logistic_sigmoid():
    from vanishing.activations import sigmoid
    from vanishing.recurrent import gate
    z = np.linspace(-40, 40, 81)
    np.testing.assert_allclose(gate(z), sigmoid(z), rtol=1e-12, atol=1e-15)


def test_gradient_vs_lag_scales_given_inputs_too():
    X, y = memory_task(8, lag=10, seed=0)
    net = RNN(1, 4, seed=0)
    scaled = gradient_vs_lag(net, X=X, y=y, input_scale=1e-3)
    manual = gradient_vs_lag(net, X=1e-3 * X, y=y)
    np.testing.assert_allclose(scaled.dh_norm, manual.dh_norm)


def test_recurrent_weights_returns_a_copy_of_the_chosen_gate():
    net = LSTM(1, 3, seed=0)
    W = net.recurrent_weights("f")
    np.testing.assert_array_equal(W, net.params["W_hf"])
    W[...] = 0.0
    assert np.any(net.params["W_hf"] != 0.0)
