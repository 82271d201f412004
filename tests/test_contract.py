"""The contract of the whole public API, under hostile inputs.

Every public callable (each name in a module's ``__all__`` that can be called) either gives a
right answer or raises a ValueError / TypeError whose message names the parameter. Never a
NumPy warning (warnings are errors in this suite), a hang (every call has a time limit) or a
MemoryError (sizes are estimated and refused first).

``SPECS`` holds one valid call per entry point; hypothesis then replaces one argument at a time
by a hostile value: NaN, +-inf, 0, negatives, huge numbers, floats where ints belong, bools,
strings, None, empty arrays. Arrays are also passed as int, float32 and non-contiguous copies of
the same numbers, where the answer must be exactly the one for the float64 array.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import signal
from dataclasses import fields, is_dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vanishing
from vanishing import (
    activations,
    chain,
    conventions,
    data,
    derive,
    diagnose,
    gradcheck,
    init,
    lags,
    landscape,
    latching,
    losses,
    matrices,
    mlp,
    normalization,
    optim,
    plots,
    products,
    recurrent,
    table,
    train,
)
from vanishing import signal as vsignal  # the stdlib signal times the calls

CALL_SECONDS = 20.0          # per call: generous, the machine may be loaded

# --- small valid inputs (values that float32 and int hold exactly) ---------------------------
X2 = np.array([[0.5, -1.0, 0.25], [1.0, 0.0, -0.5]])           # (2, 3)
Y2 = np.array([[1.0], [0.0]])
SEQ = np.array([[[1.0], [0.5], [-0.5]], [[-1.0], [0.25], [0.0]]])  # (2, 3, 1)


def _net():
    return mlp.MLP([3, 4, 1], activation="tanh", init="xavier_normal", seed=0)


def _forward_backward(X=X2, G=None, overflow="raise"):
    net = _net()
    out = net.forward(X, overflow=overflow)
    return net.backward(np.ones_like(out) if G is None else G)


def _stats(grads_from=None):
    net = _net()
    out = net.forward(X2)
    return net.stats(net.backward(np.ones_like(out)) if grads_from is None else grads_from)


def _rnn(cell="rnn", **kw):
    return recurrent.make_network(cell, n_in=1, n_hidden=3, **kw)


def _rnn_backward(G, cell="lstm"):
    net = _rnn(cell)
    net.forward(SEQ)
    return net.backward(G)


def _sgd_step(grads=None, lr=0.1, momentum=0.5, params=None):
    params = [np.array([1.0, 2.0])] if params is None else params
    opt = optim.SGD(params, lr=lr, momentum=momentum)
    opt.step([np.array([0.5, -0.5])] if grads is None else grads)
    return params


def _adam_step(grads=None, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8):
    params = [np.array([1.0, 2.0])]
    opt = optim.Adam(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    opt.step([np.array([0.5, -0.5])] if grads is None else grads)
    return params


def _numerical_gradient(theta, h=1e-6):
    return gradcheck.numerical_gradient(lambda: float(np.sum(np.abs(theta))), theta, h)


def _error_vs_step(exact, steps):
    theta = np.array([0.5, -0.25])
    return gradcheck.error_vs_step(lambda: float(np.sum(theta ** 2)), theta, exact, steps)


def _history():
    return train.fit(_net(), X2, Y2, steps=3, lr=0.1)


def _spectrum_rate(values=None):
    spec = products.product_spectrum(3, 2, 0.5)
    return spec.rate(spec.log10_sigma_max if values is None else values)


def _chain_ratio(depth=3, weight=0.5, x=1.0, activation="sigmoid"):
    t = chain.trace_chain(depth, weight, x=x, activation=activation)
    return t.log10_delta_ratio, t.log10_grad_w_ratio, str(t)


def _figure(fig):
    """A figure's number of axes (figures are compared by their structure, then closed)."""
    return len(fig.axes)


# name -> (function of keyword arguments, valid keyword arguments)
SPECS = {
    "activations.get": (lambda name: activations.get(name, "name"), dict(name="relu")),
    "chain.trace_chain": (chain.trace_chain, dict(depth=3, weight=0.5, bias=0.0, x=1.0,
                                                  activation="sigmoid", out="bce", y=1.0)),
    "chain.chain_output": (chain.chain_output, dict(weight=[0.5, 0.5], bias=0.0, x=1.0,
                                                    activation="tanh", out="mse", y=0.5)),
    "chain.format_power": (chain.format_power, dict(log10=-1602.06, sign=-1.0, digits=4)),
    "chain.log10_ratio": (chain.log10_ratio, dict(log10_last=-3.0, log10_first=-10.0)),
    "chain.ChainTrace (ratios and table)": (_chain_ratio, dict(depth=3, weight=0.5, x=1.0,
                                                               activation="sigmoid")),
    "conventions.compare_conventions": (lambda trace: str(conventions.compare_conventions(trace)),
                                        dict(trace=chain.trace_chain(3, 0.5))),
    "data.two_moons": (data.two_moons, dict(n=6, noise=0.1, seed=0)),
    "data.spirals": (data.spirals, dict(n=6, turns=1.5, noise=0.05, seed=0)),
    "data.memory_task": (data.memory_task, dict(n=4, lag=3, seed=0)),
    "data.digits": (data.digits, dict(classes=(0, 1), seed=0, test_fraction=0.25)),
    "derive.chain_product": (lambda depth: str(derive.chain_product(depth)), dict(depth=2)),
    "diagnose.layer_gradients": (lambda X, Y, loss: str(diagnose.layer_gradients(_net(), X, Y, loss)),
                                 dict(X=X2, Y=Y2, loss="mse")),
    "diagnose.verdict": (lambda stats: str(diagnose.verdict(stats)), dict(stats=_stats())),
    "diagnose.baseline_loss": (diagnose.baseline_loss, dict(Y=Y2, loss="bce_with_logits")),
    "diagnose.speed_ratio": (lambda quantity, first: diagnose.speed_ratio(_history(), quantity, first),
                             dict(quantity="grad_norm", first=1)),
    "diagnose.unrolled_stats": (lambda X, y: str(diagnose.unrolled_stats(_rnn(), X, y)),
                                dict(X=SEQ, y=Y2)),
    "plots.plot_update_ratios": (lambda histories: _figure(plots.plot_update_ratios(histories)),
                                    dict(histories={"a": _history()})),
    "gradcheck.numerical_gradient": (_numerical_gradient, dict(theta=np.array([1.0, -2.0]), h=1e-6)),
    "gradcheck.relative_error": (gradcheck.relative_error, dict(a=np.array([1.0, 2.0]),
                                                                b=np.array([1.0, 2.5]))),
    "gradcheck.classify_error": (gradcheck.classify_error, dict(error=1e-6)),
    "gradcheck.optimal_step": (gradcheck.optimal_step, dict(eps=2.0 ** -52)),
    "gradcheck.error_vs_step": (_error_vs_step, dict(exact=np.array([1.0, -0.5]), steps=[1e-3, 1e-6])),
    "gradcheck.nearest_kink": (gradcheck.nearest_kink, dict(preactivations=X2)),
    "init.constant": (lambda value: init.constant(value)(2, 3, np.random.default_rng(0)),
                      dict(value=0.5)),
    "init.normal": (lambda std: init.normal(std)(2, 3, np.random.default_rng(0)), dict(std=0.5)),
    "init.uniform": (lambda limit: init.uniform(limit)(2, 3, np.random.default_rng(0)),
                     dict(limit=0.5)),
    "init.initializer": (init.initializer, dict(init="he_normal")),
    "init.variance": (init.variance, dict(scheme="he", fan_in=3, fan_out=4)),
    "init.draw": (lambda fan_in, fan_out: init.draw("lecun_normal", fan_in, fan_out,
                                                    np.random.default_rng(0)),
                  dict(fan_in=2, fan_out=3)),
    "init.truncated_std_ratio": (init.truncated_std_ratio, dict(cut=2.0)),
    "init.truncated_normal": (lambda std, cut: init.truncated_normal(std, cut)(3, 2,
                                                                           np.random.default_rng(0)),
                              dict(std=0.5, cut=2.0)),
    "losses.mse": (losses.mse, dict(prediction=X2, target=X2 / 2)),
    "losses.bce_with_logits": (losses.bce_with_logits, dict(logits=Y2 - 0.5, target=Y2)),
    "losses.get": (lambda loss: losses.get(loss), dict(loss="mse")),
    "mlp.MLP": (lambda sizes, activation, init, residual_scale, seed:
                repr(mlp.MLP(sizes, activation, init, residual_scale=residual_scale, seed=seed)),
                dict(sizes=[3, 4, 1], activation="relu", init="he_normal", residual_scale=1.0,
                     seed=0)),
    "mlp.MLP.forward/backward": (lambda X, overflow: _forward_backward(X, overflow=overflow).W,
                                 dict(X=X2, overflow="raise")),
    "mlp.MLP.backward": (lambda grad_output: _forward_backward(G=grad_output).W,
                         dict(grad_output=np.ones((2, 1)))),
    "mlp.MLP.stats": (lambda grads: str(_stats(grads)),
                      dict(grads=_forward_backward())),
    "mlp.gradient_profile": (lambda depth, width, batch, activation, init, seed:
                             list(mlp.gradient_profile(depth, width, batch, activation, init,
                                                       seed=seed)),
                             dict(depth=2, width=3, batch=4, activation="sigmoid",
                                  init="xavier_normal", seed=0)),
    "mlp.layer_statistics": (lambda X, Y, title: str(mlp.layer_statistics(_net(), X, Y, title)),
                             dict(X=X2, Y=Y2, title="t")),
    "normalization.layer_norm": (normalization.layer_norm, dict(X=X2, gamma=None, beta=None,
                                                                eps=1e-5)),
    "normalization.layer_norm_backward": (normalization.layer_norm_backward,
                                          dict(grad_output=X2 * 2, X=X2, gamma=None, eps=1e-5)),
    "optim.global_norm": (optim.global_norm, dict(grads=[np.array([3.0, 4.0])])),
    "optim.clip_by_global_norm": (optim.clip_by_global_norm, dict(grads=[np.array([3.0, 4.0])],
                                                                  max_norm=1.0)),
    "optim.clip_by_value": (optim.clip_by_value, dict(grads=[np.array([3.0, -4.0])],
                                                      clip_value=1.0)),
    "optim.SGD": (_sgd_step, dict(grads=[np.array([0.5, -0.5])], lr=0.1, momentum=0.5)),
    "optim.Adam": (_adam_step, dict(grads=[np.array([0.5, -0.5])], lr=0.1, beta1=0.9, beta2=0.999,
                                    eps=1e-8)),
    "optim.gradient_angle": (optim.gradient_angle, dict(grads_a=[np.array([1.0, 0.0])],
                                                        grads_b=[np.array([1.0, 1.0])])),
    "plots.plot_chain": (lambda traces: _figure(plots.plot_chain(traces)),
                         dict(traces={"a": chain.trace_chain(3, 0.5)})),
    "plots.plot_curves": (lambda curves: _figure(plots.plot_curves(curves)),
                          dict(curves={"a": [1.0, 0.5]})),
    "plots.plot_activations": (lambda names: _figure(plots.plot_activations(names)),
                               dict(names=("relu",))),
    "products.product_spectrum": (lambda depth, width, std, seed:
                                  str(products.product_spectrum(depth, width, std, seed)),
                                  dict(depth=3, width=2, std=0.5, seed=0)),
    "products.random_matrices": (lambda depth, width, std, seed:
                                 list(products.random_matrices(depth, width, std, seed)),
                                 dict(depth=2, width=2, std=0.5, seed=0)),
    "products.lyapunov_exponents": (products.lyapunov_exponents, dict(width=3, std=0.5)),
    "products.ProductSpectrum.rate": (_spectrum_rate, dict(values=np.array([0.5, 1.0, 1.5]))),
    "recurrent.make_network": (lambda cell, n_in, n_hidden, seed: repr(
        recurrent.make_network(cell, n_in, n_hidden, seed=seed)),
        dict(cell="gru", n_in=1, n_hidden=3, seed=0)),
    "recurrent.RNN": (lambda n_hidden, recurrent_init, recurrent_scale, activation: repr(
        recurrent.RNN(1, n_hidden, recurrent_init=recurrent_init, recurrent_scale=recurrent_scale,
                      activation=activation)),
        dict(n_hidden=3, recurrent_init="normal", recurrent_scale=0.5, activation="tanh")),
    "recurrent.LSTM.forward": (lambda X: _rnn("lstm").forward(X), dict(X=SEQ)),
    "recurrent.LSTM.backward": (lambda grad_output: _rnn_backward(grad_output).dh,
                                dict(grad_output=np.array([[0.5], [-0.25]]))),
    "matrices.orthogonal": (matrices.orthogonal, dict(n=3, rng=np.random.default_rng(0))),
    "matrices.recurrent_matrix": (matrices.recurrent_matrix, dict(n=3, init="spectral_radius",
                                                                    scale=0.5, rng=None)),
    "matrices.spectral_radius": (matrices.spectral_radius, dict(W=X2[:, :2].copy())),
    "matrices.largest_singular_value": (matrices.largest_singular_value, dict(W=X2)),
    "lags.gradient_vs_lag": (lambda cell, T, batch, input_scale, seed:
                                  str(lags.gradient_vs_lag(cell, T=T, batch=batch,
                                                                input_scale=input_scale,
                                                                seed=seed, n_hidden=3)),
                                  dict(cell="rnn", T=4, batch=2, input_scale=1.0, seed=0)),
    "train.fit (recurrent)": (lambda X, y, steps, lr, clip_norm, optimizer: str(
        train.fit(_rnn(), X, y, steps, lr, clip_norm=clip_norm, optimizer=optimizer,
                  loss="bce_with_logits")),
        dict(X=SEQ, y=Y2, steps=2, lr=0.1, clip_norm=1.0, optimizer="adam")),
    "mlp.compare_profiles": (lambda depth, width, batch, activations, seed: str(
        mlp.compare_profiles(depth, width, batch, activations, seed=seed)),
        dict(depth=2, width=3, batch=4, activations=("tanh",), seed=0)),
    "table.table": (lambda rows, columns, formats: str(table.table(rows, columns, formats=formats)),
                    dict(rows=[(1, 0.5)], columns=("a", "b"), formats=("d", ".2e"))),
    "recurrent.accuracy": (lambda X, y: recurrent.accuracy(_rnn(), X, y), dict(X=SEQ, y=Y2)),
    "train.fit": (lambda X, Y, steps, lr, batch_size, clip_norm, clip_value, seed: str(
        train.fit(_net(), X, Y, steps, lr, batch_size=batch_size, clip_norm=clip_norm,
                    clip_value=clip_value, seed=seed)),
        dict(X=X2, Y=Y2, steps=3, lr=0.1, batch_size=None, clip_norm=1.0, clip_value=None,
             seed=0)),
}
for _name in ("xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "lecun_normal"):
    SPECS[f"init.{_name}"] = (getattr(init, _name), dict(fan_in=2, fan_out=3,
                                                         rng=np.random.default_rng(0)))
_RNG = np.random.default_rng
SPECS.update({
    "signal.gauss_expectation": (lambda q, nodes: vsignal.gauss_expectation(np.tanh, q, nodes=nodes),
                                 dict(q=1.0, nodes=40)),
    "signal.second_moment": (vsignal.second_moment, dict(q=1.0, activation="tanh")),
    "signal.derivative_moment": (vsignal.derivative_moment, dict(q=1.0, activation="sigmoid", power=2)),
    "signal.variance_map": (vsignal.variance_map, dict(q=1.0, sigma_w2=2.5, sigma_b2=0.3, activation="tanh")),
    "signal.variance_recursion": (vsignal.variance_recursion, dict(q0=1.0, depth=3, sigma_w2=1.5, sigma_b2=0.1,
                                                                  activation="tanh")),
    "signal.fixed_point": (vsignal.fixed_point, dict(sigma_w2=2.5, sigma_b2=0.3, activation="tanh", q0=1.0)),
    "signal.chi_1": (vsignal.chi_1, dict(sigma_w2=2.5, sigma_b2=0.3, activation="tanh", q0=1.0)),
    "signal.depth_scale": (vsignal.depth_scale, dict(chi=0.8)),
    "signal.critical_sigma_w2": (vsignal.critical_sigma_w2, dict(sigma_b2=0.5, activation="tanh")),
    "signal.critical_line": (lambda sigma_b2_values: list(vsignal.critical_line(sigma_b2_values, "relu")),
                             dict(sigma_b2_values=[0.0, 0.5])),
    "signal.phase_point": (lambda sigma_w2, sigma_b2, activation: str(vsignal.phase_point(sigma_w2, sigma_b2,
                                                                                        activation)),
                           dict(sigma_w2=2.0, sigma_b2=0.1, activation="relu")),
    "signal.phase_diagram": (lambda activation, sigma_w2, sigma_b2: str(vsignal.phase_diagram(
        activation, sigma_w2, sigma_b2)), dict(activation="relu", sigma_w2=[1.0, 3.0], sigma_b2=[0.0, 0.5])),
    "signal.saturation_threshold": (vsignal.saturation_threshold, dict(activation="sigmoid", level=0.1)),
    "signal.saturation_fraction": (vsignal.saturation_fraction, dict(q=4.0, activation="sigmoid", level=0.1)),
    "signal.measured_profile": (lambda sigma_w2, depth, width, batch: list(vsignal.measured_profile(
        sigma_w2, 0.0, "tanh", depth, width, batch)), dict(sigma_w2=1.0, depth=3, width=4, batch=2)),
    "signal.per_example_grad_norms": (lambda sigma_w2, depth, width, batch: np.asarray(
        vsignal.per_example_grad_norms(sigma_w2, 0.0, "tanh", depth, width, batch)).tolist(),
        dict(sigma_w2=1.0, depth=3, width=4, batch=2)),
    "signal.predicted_log_slope": (vsignal.predicted_log_slope, dict(sigma_w2=1.0, sigma_b2=0.0,
                                                                    activation="tanh")),
    "signal.log_slope": (vsignal.log_slope, dict(values=[1.0, 2.0, 4.0, 8.0], first=1, last=3)),
    "signal.orthogonal_matrix": (lambda n: vsignal.orthogonal_matrix(n, _RNG(0)).tolist(), dict(n=3)),
    "signal.jacobian_spectrum": (lambda depth, width, sigma_w2: str(vsignal.jacobian_spectrum(
        depth, width, sigma_w2)), dict(depth=2, width=3, sigma_w2=1.0)),
    "signal.predicted_spectrum_variance": (vsignal.predicted_spectrum_variance, dict(depth=3, sigma_w2=1.0)),
})
SPECS.update({
    "landscape.unit_direction": (landscape.unit_direction, dict(grads=[np.array([3.0, -4.0])])),
    "landscape.directional_derivative": (landscape.directional_derivative,
                                         dict(grads=[np.array([3.0, 4.0])],
                                              direction=[np.array([0.5, -1.0])])),
    "landscape.loss_slice": (lambda X, Y, direction, alphas, loss: str(landscape.loss_slice(
        _net(), X, Y, direction, alphas, loss)),
        dict(X=X2, Y=Y2, direction=[np.ones((4, 3)), np.ones(4), np.ones((1, 4)), np.ones(1)],
             alphas=np.array([-0.5, 0.0, 0.5]), loss="mse")),
})
_LATCH_X = np.array([[0.25, -0.5], [0.0, 0.5], [0.5, 0.25]])          # (T=3, runs=2)
SPECS.update({
    "latching.step": (latching.step, dict(h=np.array([0.5, -1.0]), w=2.0, b=0.1,
                                          x=np.array([0.25, 0.0]))),
    "latching.trajectory": (latching.trajectory, dict(h0=np.array([1.0, -1.0]), w=2.0, x=_LATCH_X, b=0.0)),
    "latching.jacobian": (latching.jacobian, dict(h0=np.array([1.0, -1.0]), w=2.0, x=_LATCH_X, b=0.0)),
    "latching.log10_jacobian": (latching.log10_jacobian, dict(h0=np.array([1.0, -1.0]), w=2.0, x=_LATCH_X,
                                                              b=0.0)),
    "latching.fixed_points": (latching.fixed_points, dict(w=2.0, b=0.1)),
    "latching.multiplier": (latching.multiplier, dict(h_star=np.array([0.5, -0.25]), w=2.0, b=0.0)),
    "latching.hold_bit": (latching.hold_bit, dict(w=2.0, noise=0.5, T=4, runs=3, b=0.0, seed=0)),
    "latching.Latch.survival": (lambda t: latching.hold_bit(2.0, 0.3, 5, runs=4).survival(t), dict(t=5)),
    "latching.Latch.median_log10_gradient": (
        lambda t: latching.hold_bit(2.0, 0.3, 5, runs=4).median_log10_gradient(t), dict(t=5)),
})
SPECS["recurrent.GRU"] = (lambda n_hidden, update_bias, reset: repr(recurrent.GRU(
    1, n_hidden, update_bias=update_bias, reset=reset)),
                          dict(n_hidden=3, update_bias=1.0, reset="after"))
# lessons 04 and 05: PReLU, the gain of an activation, symmetry between units
_prelu, _gain, _symmetry = (importlib.import_module(f"vanishing.{m}") for m in ("prelu", "gain", "symmetry"))
_SLOPES3 = np.array([0.25, 0.5, -0.125])


def _prelu_net_backward(grad_output):
    net = _prelu.PReLUNet([3, 4, 1], seed=0)
    net.forward(X2)
    return net.backward(grad_output).as_list()


SPECS.update({
    "prelu.prelu": (_prelu.prelu, dict(z=X2, a=_SLOPES3)),
    "prelu.prelu_backward": (_prelu.prelu_backward, dict(grad_output=X2 * 2, z=X2, a=_SLOPES3)),
    "prelu.PReLUNet": (lambda sizes, slope, shared, seed: repr(_prelu.PReLUNet(sizes, slope, shared, seed=seed)),
                       dict(sizes=[3, 4, 1], slope=0.25, shared=False, seed=0)),
    "prelu.PReLUNet.forward": (lambda X: _prelu.PReLUNet([3, 4, 1], seed=0).forward(X), dict(X=X2)),
    "prelu.PReLUNet.backward": (_prelu_net_backward, dict(grad_output=np.ones((2, 1)))),
    "prelu.PReLUNet.loss_and_gradients": (lambda X, Y, loss: _prelu.PReLUNet([3, 4, 1], seed=0)
                                          .loss_and_gradients(X, Y, loss)[0], dict(X=X2, Y=Y2, loss="mse")),
    "gain.gain": (_gain.gain, dict(activation="prelu", slope=0.25)),
    "gain.gain(activation)": (lambda activation: _gain.gain(activation), dict(activation="tanh")),
    "gain.gain_normal": (lambda g: _gain.gain_normal(g)(3, 2, _RNG(0)), dict(g=1.5)),
    "symmetry.distinct_rows": (_symmetry.distinct_rows, dict(W=X2, tol=1e-9)),
    "symmetry.jitter": (lambda init, size, seed: _symmetry.jitter(init, size, seed)(3, 2, _RNG(0)),
                        dict(init="he_normal", size=1e-6, seed=0)),
})
for _name in activations.names():
    _f = activations.get(_name)
    SPECS[f"activations.{_name}"] = (_f.f, dict(z=X2))
    SPECS[f"activations.{_name}_prime"] = (_f.prime, dict(z=X2))
    SPECS[f"activations.log10_{_name}_prime"] = (_f.log10_prime, dict(z=X2))
SPECS["activations.leaky_relu(alpha)"] = (lambda alpha: activations.leaky_relu(X2, alpha),
                                          dict(alpha=0.01))
SPECS["activations.elu_prime(alpha)"] = (lambda alpha: activations.elu_prime(X2, alpha),
                                         dict(alpha=1.0))

# vanishing.text (lesson 13's bundled text)
from vanishing import text as _text  # noqa: E402

SPECS.update({
    "text.alphabet": (_text.alphabet, dict(text="abcab")),
    "text.encode": (_text.encode, dict(text="cab", symbols="abc")),
    "text.char_windows": (_text.char_windows, dict(length=3, text="abcabcab", stride=2)),
})

# public callables that take no input to check, or only objects the package itself builds
EXEMPT = {
    "names": "no arguments", "derive.sigmoid_prime": "no arguments",
    "Activation": "a record the registry builds",
    "ChainTrace": "a result record (its methods are checked through trace_chain)",
    "Conventions": "a result record", "Derivation": "a result record",
    "sigmoid_prime_maximum": "no arguments", "tanh_prime_maximum": "no arguments",
    "variance_propagation": "no arguments", "xavier_variance": "no arguments",
    "he_variance": "no arguments", "LayerGradients": "a result record",
    "Diagnosis": "a result record", "learning_speed": "reads a history (checked via speed_ratio)",
    "update_ratios": "reads a history (checked via plot_update_ratios)",
    "Gradients": "a result record", "NetworkStats": "a result record",
    "LayerNormGradients": "a result record", "Mystery": "a fixed set-up",
    "mystery_networks": "no arguments", "TrainingHistory": "a result record",
    "BPTTGradients": "a result record", "LagProfile": "a result record",
    "Finding": "a result record", "LayerCache": "a record the forward pass keeps",
    "SimpleTable": "a result record (checked via table.table)",
    "Table": "a mixin", "RecurrentNetwork": "base class of RNN/LSTM/GRU",
    "gate": "the sigmoid, checked as activations.sigmoid",
    "ProductSpectrum": "a result record (rate checked)",
    "LossSlice": "a result record (checked through loss_slice)",
    "PhasePoint": "a result record", "PhaseDiagram": "a result record", "JacobianSpectrum": "a result record",
    "figure": "an empty figure", "show": "displays in IPython",
    "StepScan": "a result record (checked through error_vs_step)",
    "PReLUGradients": "a result record (checked through PReLUNet.backward)",
}
# vanishing.torch takes a torch.nn.Module (torch is optional): tests/test_torch_watch.py checks its bad input
EXEMPT.update({"watch": "needs a torch.nn.Module (tests/test_torch_watch.py)",
               "Watcher": "made by watch (tests/test_torch_watch.py)"})
# figures: tests/test_widgets.py and tests/test_plots.py
COVERED_ELSEWHERE = ("vanishing.widgets", "vanishing.plots")
NOT_YET_COVERED = ()


def public_callables() -> list:
    """'module.name' for every callable in every public module's __all__."""
    found = []
    for info in pkgutil.iter_modules(vanishing.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"vanishing.{info.name}")
        found += [f"{info.name}.{n}" for n in getattr(module, "__all__", [])
                  if callable(getattr(module, n)) and not inspect.ismodule(getattr(module, n))]
    return sorted(found)


def test_every_public_callable_is_checked_here_or_exempt_with_a_reason():
    names = public_callables()
    checked = {key.split(" ")[0].split("(")[0] for key in SPECS}
    checked |= {".".join(key.split(".")[:2]) for key in checked}
    missing = [n for n in names if n not in checked and n.split(".")[1] not in EXEMPT
               and n not in EXEMPT
               and f"vanishing.{n.split('.')[0]}" not in COVERED_ELSEWHERE + NOT_YET_COVERED]
    assert not missing, f"public callables without a contract check: {missing}"
    print(f"\ncontract: {len(names)} public callables, {len(SPECS)} checked entry points "
          f"({sum(len(base) for _, base in SPECS.values())} parameters), "
          f"{len([n for n in names if n.split('.')[1] in EXEMPT or n in EXEMPT])} exempt")


# --- hostile values -------------------------------------------------------------------------
SCALARS = [math.nan, math.inf, -math.inf, 0, 0.0, -1, -1.0, -1e300, 1e300, 5e-324, 2.5, 10 ** 9,
           10 ** 12, 2 ** 63, 10 ** 400, True, False, "1", "relu", None, [], (), {}, np.float32(3.0),
           np.int64(-7)]
ARRAYS = [np.array([]), np.zeros((0, 3)), np.array([[math.nan, 1.0]]), np.array([[math.inf]]),
          np.array([["a", "b"]]), np.array([[1, 2], [3, 4]]), np.full((2, 3), 1e300),
          np.ones((2, 3), dtype=np.float32), np.ones(3)]
hostile = st.one_of(st.sampled_from(SCALARS + ARRAYS),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-3, 40), st.integers(10 ** 9, 10 ** 30),
                    st.text(max_size=3), st.lists(st.floats(-10, 10), max_size=3))


class CallTooSlow(Exception):
    pass


def _on_alarm(signum, frame):
    raise CallTooSlow(f"a call took more than {CALL_SECONDS} s")


def call_with_time_limit(f, kwargs):
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        return f(**kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _has_nan(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind == "f" and bool(np.isnan(value).any())
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    if is_dataclass(value):
        return any(_has_nan(getattr(value, f.name)) for f in fields(value))
    return False


def _contains_nan(value) -> bool:
    try:
        return bool(np.isnan(np.asarray(value, dtype=np.float64)).any())
    except (TypeError, ValueError):
        return False


def _names_parameter(message: str, parameter: str) -> bool:
    return re.search(rf"\b{re.escape(parameter)}\b", message) is not None


@pytest.mark.parametrize("entry", sorted(SPECS))
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])
@given(data=st.data())
def test_hostile_argument_gives_a_right_answer_or_a_named_error(entry, data):
    f, base = SPECS[entry]
    parameter = data.draw(st.sampled_from(sorted(base)), label="parameter")
    value = data.draw(hostile, label="value")
    try:
        result = call_with_time_limit(f, {**base, parameter: value})
    except (ValueError, TypeError) as err:
        assert _names_parameter(str(err), parameter), (
            f"{entry}({parameter}={value!r}) raised {type(err).__name__} without naming "
            f"{parameter!r}: {err}")
        return
    assert not _has_nan(result) or _contains_nan(value) or _nan_is_defined(entry, value), (
        f"{entry}({parameter}={value!r}) returned NaN silently")


def _nan_is_defined(entry, value) -> bool:
    """Where NaN is a documented answer: 0/0 of two exact zeros."""
    return entry.startswith("chain.")


def _same_numbers_in_other_layouts(a: np.ndarray) -> list:
    """a as int (when integral), float32, Fortran order and a strided view: the same numbers."""
    out = [np.asfortranarray(a), np.repeat(a, 2, axis=-1)[..., ::2], a.astype(np.float32)]
    if np.array_equal(a, np.round(a)):
        out.append(a.astype(np.int64))
    return out


def _canonical(value):
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    if is_dataclass(value):
        return tuple(_canonical(getattr(value, f.name)) for f in fields(value))
    return value


ARRAY_CASES = [(entry, p) for entry, (_, base) in sorted(SPECS.items())
               for p, v in sorted(base.items()) if isinstance(v, np.ndarray) and v.ndim >= 1]


@pytest.mark.parametrize("entry, parameter", ARRAY_CASES)
def test_int_float32_and_non_contiguous_arrays_give_the_float64_answer(entry, parameter):
    f, base = SPECS[entry]
    if entry == "gradcheck.numerical_gradient":
        pytest.skip("theta must be a float64 array it perturbs in place: checked below")
    expected = _canonical(f(**base))
    for variant in _same_numbers_in_other_layouts(base[parameter]):
        assert _canonical(f(**{**base, parameter: variant})) == expected, (
            f"{entry}: {parameter} as {variant.dtype}, contiguous={variant.flags.c_contiguous} "
            "changed the answer")


def test_numerical_gradient_of_a_strided_view_nudges_the_array_f_reads():
    A = np.arange(12.0).reshape(3, 4)
    view = A[:, ::2]
    grad = gradcheck.numerical_gradient(lambda: float(np.sum(A ** 2)), view)
    np.testing.assert_allclose(grad, 2 * view, rtol=1e-7)
    assert np.array_equal(A, np.arange(12.0).reshape(3, 4))          # restored


def test_numerical_gradient_of_a_transposed_weight_matches_backprop():
    net = _net()
    def loss():
        return float(np.sum(net.forward(X2) ** 2))
    grad_T = gradcheck.numerical_gradient(loss, net.weights[0].T)
    out = net.forward(X2)
    np.testing.assert_allclose(grad_T, net.backward(2 * out).W[0].T, rtol=1e-6, atol=1e-9)


def test_a_read_only_theta_is_refused_by_name():
    theta = np.ones(2)
    theta.flags.writeable = False
    with pytest.raises(ValueError, match="theta"):
        gradcheck.numerical_gradient(lambda: 0.0, theta)


# --- the reproducers of issue 11, one assertion each ---------------------------------------------

def test_integer_gradients_are_taken_as_float64():
    assert optim.global_norm([np.array([2 ** 32])]) == 2.0 ** 32
    assert optim.global_norm([np.array([3037000500])]) == 3037000500.0


@pytest.mark.parametrize("grads, expected", [
    ([np.array([1e155, 1e155])], [math.sqrt(0.5)] * 2),
    ([np.array([1e20, 1e20], dtype=np.float32)], [math.sqrt(0.5)] * 2),
    ([np.array([1e-200, -1e-200])], [1e-200, -1e-200]),
])
def test_clipping_scales_before_squaring(grads, expected):
    clipped, _ = optim.clip_by_global_norm(grads, 1.0)
    np.testing.assert_allclose(clipped[0], expected, rtol=1e-12)


def test_nan_gradients_are_refused_by_clipping():
    with pytest.raises(ValueError, match="grads"):
        optim.clip_by_global_norm([np.array([np.nan, 1.0])], 1.0)


def test_huge_inputs_normalise_to_the_right_values():
    np.testing.assert_allclose(normalization.layer_norm([[1e200, -1e200]]), [[1.0, -1.0]])
    net = mlp.MLP([2, 2, 1], activation="linear", init=init.constant(1.0), batchnorm=True)
    with pytest.raises(ValueError, match="batch norm of layer 1"):     # a named error instead
        net.forward(np.array([[1e200, 0.0], [-1e200, 0.0]]))


def test_adam_steps_about_lr_at_a_gradient_of_1e300():
    params = [np.array([1.0, -2.0])]
    optim.Adam(params, lr=0.1).step([np.array([1e300, -1e300])])
    np.testing.assert_allclose(params[0], [0.9, -1.9])


def test_bce_delta_below_float64_keeps_its_exponent():
    t = chain.trace_chain(1, 800.0, out="bce", y=1.0)
    assert t.log10_delta[0] == pytest.approx(-800 / math.log(10), abs=1e-9)   # -347.4


def test_an_exploding_lag_profile_reports_inf_at_every_length():
    for T in (450, 500):
        p = lags.gradient_vs_lag("rnn", T=T, n_hidden=8, activation="relu",
                                      recurrent_scale=5.0)
        assert np.isinf(p.dh_norm[-1]) and not np.isnan(p.dh_norm).any()


def test_nan_label_custom_init_and_forward_overflow_are_named():
    with pytest.raises(ValueError, match="target"):
        losses.bce_with_logits(np.zeros((1, 1)), np.full((1, 1), np.nan))
    with pytest.raises(ValueError, match="init"):
        mlp.MLP([2, 2], init=lambda fan_in, fan_out, rng: np.full((fan_out, fan_in), np.nan))
    with pytest.raises(ValueError, match="init"):
        mlp.MLP([2, 2], init=lambda fan_in, fan_out, rng: np.ones((fan_in + 1, fan_out)))
    with pytest.raises(ValueError, match="overflows float64 at layer 4"):
        mlp.MLP([2, 3, 3, 3, 1], init=init.constant(1e100)).forward(np.ones((1, 2)))


@pytest.mark.parametrize("make, parameter", [
    (lambda: mlp.MLP([10 ** 6, 10 ** 6]), "sizes"),
    (lambda: mlp.gradient_profile(1, 10 ** 6, 1), "width"),
    (lambda: products.product_spectrum(1, 10 ** 6, 1.0), "width"),
    (lambda: data.memory_task(10 ** 6, 10 ** 6), "lag"),
    (lambda: data.two_moons(10 ** 12), "n"),
    (lambda: recurrent.RNN(1, 10 ** 5), "n_hidden"),
    (lambda: chain.trace_chain(10 ** 9, 0.1), "depth"),
    (lambda: chain.trace_chain(10 ** 7, 0.1), "depth"),
    (lambda: train.fit(_net(), X2, Y2, steps=10 ** 9, lr=0.1), "steps"),
    (lambda: derive.chain_product(10 ** 4), "depth"),
    (lambda: products.lyapunov_exponents(10 ** 12, 1.0), "width"),
])
def test_huge_sizes_are_refused_at_once_with_the_estimate_and_the_ceiling(make, parameter):
    # refused before any work: the time limit only guards against a hang (budgets are for `make bench`)
    with pytest.raises(ValueError, match=rf"{parameter}=.*ceiling") as err:
        call_with_time_limit(make, {})
    assert "GiB" in str(err.value) or "operations" in str(err.value)


def test_formerly_quadratic_or_spinning_calls_finish():
    # each within the generous per-call limit (a hang fails, a slow machine does not)
    call_with_time_limit(products.lyapunov_exponents, {"width": 10 ** 5, "std": 1.0})
    call_with_time_limit(init.truncated_normal(1.0, cut=1e-9), {"fan_in": 50, "fan_out": 50,
                                                                 "rng": np.random.default_rng(0)})


@pytest.mark.parametrize("call, parameter", [
    (lambda: init.variance("he", -3, 4), "fan_in"),
    (lambda: init.he_normal(0, 5, np.random.default_rng(0)), "fan_in"),
    (lambda: init.he_normal(3, 5, None), "rng"),
    (lambda: activations.relu_prime(None), "z"),
    (lambda: activations.sigmoid("1.5"), "z"),
    (lambda: data.digits(classes=(0, 1.7)), "classes"),
    (lambda: data.digits(test_fraction=1e-9), "test_fraction"),
    (lambda: chain.format_power(math.nan), "log10"),
    (lambda: chain.trace_chain(3, 0.5, activation=None), "activation"),
    (lambda: optim.SGD([np.array([1, 2])], lr=0.1), "params"),
    (lambda: optim.SGD([[1.0, 2.0]], lr=0.1), "params"),
    (lambda: diagnose.verdict(None), "stats"),
    (lambda: losses.mse(np.zeros((0, 1)), np.zeros((0, 1))), "prediction"),
    (lambda: losses.bce_with_logits(np.zeros((0, 1)), np.zeros((0, 1))), "logits"),
    (lambda: diagnose.baseline_loss(np.zeros((0, 1))), "Y"),
    (lambda: train.fit(_net(), np.zeros((0, 3)), np.zeros((0, 1)), 2, 0.1), "X"),
    (lambda: plots.plot_chain({}), "traces"),
    (lambda: plots.plot_update_ratios({}), "histories"),
    (lambda: _net().stats(None), "forward"),
    (lambda: mlp.MLP([2, 1], seed=None), "seed"),
    (lambda: data.two_moons(seed=-1), "seed"),
    (lambda: recurrent.LSTM(1, 2, seed=True), "seed"),
])
def test_validation_gaps_of_issue_11_are_named_errors(call, parameter):
    with pytest.raises((ValueError, TypeError), match=rf"\b{parameter}\b"):
        call()


def test_a_delta_ratio_with_exact_zeros_is_defined_without_a_warning():
    t = chain.trace_chain(3, 1.0, x=-1.0, activation="relu")
    assert math.isnan(t.log10_delta_ratio)                      # 0/0: undefined
    assert chain.log10_ratio(-2.0, -math.inf) == math.inf       # layer 1 exactly 0
    assert chain.log10_ratio(-math.inf, -2.0) == -math.inf
    with pytest.raises(ValueError, match="0/0"):
        _ = t.delta_ratio
