"""Gradient norm against time lag: decay below 1, growth above, the gated cells' direct paths."""

import numpy as np
import pytest

from vanishing.data import memory_task
from vanishing.lags import LagProfile, gradient_vs_lag
from vanishing.matrices import largest_singular_value
from vanishing.recurrent import GRU, LSTM, RNN


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


def test_gradient_vs_lag_rejects_inconsistent_arguments():
    with pytest.raises(ValueError, match="T"):
        gradient_vs_lag("rnn")
    with pytest.raises(TypeError, match="network options"):
        gradient_vs_lag(RNN(1, 3), T=5, n_hidden=4)
    X, y = memory_task(4, lag=6)
    with pytest.raises(ValueError, match="does not match"):
        gradient_vs_lag(RNN(1, 3), T=5, X=X, y=y)


def test_gradient_vs_lag_scales_given_inputs_too():
    X, y = memory_task(8, lag=10, seed=0)
    net = RNN(1, 4, seed=0)
    scaled = gradient_vs_lag(net, X=X, y=y, input_scale=1e-3)
    manual = gradient_vs_lag(net, X=1e-3 * X, y=y)
    np.testing.assert_allclose(scaled.dh_norm, manual.dh_norm)
