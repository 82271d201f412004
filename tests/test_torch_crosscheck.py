"""Cross-checks against PyTorch (the ``crosscheck`` extra): the package's hand-written math agrees
with torch autograd and torch's own layers, in float64.

Covered: the scalar chain (per-layer delta and dOut/dw for several activations and Outs); the MLP
with batch norm in train and eval mode and with residual paths (forward output, every parameter
gradient, the input gradient, the running statistics); the RNN, LSTM and GRU (output and BPTT
gradients, including dOut/dh_t at every step); the init schemes against ``torch.nn.init``.

Tolerances. Where the two sides evaluate the same formula in float64 the results agree to rounding,
so gradients must agree to a relative 1e-10 (measured: within 3e-15 of the largest entry).
``close`` compares entries with ``rtol=1e-10`` and an absolute floor of 1e-12 times the array's
largest entry: an entry that is
exactly zero in exact arithmetic (the bias gradient under training-mode batch norm, where the bias
cancels) is rounding noise of order 1e-17 on both sides and has no relative accuracy. Sampled
statistics are compared within 5 standard errors of the sample size (seeded, so deterministic).

Without torch these tests skip, except under CI=true, where they fail (see ``_torch.py``).
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from _torch import INSTALL, require_torch

from vanishing import init as init_
from vanishing.chain import trace_chain
from vanishing.mlp import EPS, MLP, MOMENTUM
from vanishing.recurrent import GRU, LSTM, RNN

RTOL = 1e-10


@pytest.fixture(scope="module")
def torch():
    """torch in float64 on one thread (two cores are shared by the whole test run)."""
    torch = require_torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def close(mine, theirs, what, rtol=RTOL, scale=None):
    """Entrywise rtol, with an absolute floor of 1e-12 x ``scale``, by default the largest entry
    (see the module docstring)."""
    mine, theirs = as_array(mine), as_array(theirs)
    assert mine.shape == theirs.shape, f"{what}: shape {mine.shape} vs torch {theirs.shape}"
    if scale is None:
        scale = float(np.max(np.abs(theirs), initial=0.0))
    np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-12 * scale, err_msg=what)


def as_array(values):
    """A float64 NumPy array from an array, a tensor or a list of 0-d tensors."""
    if hasattr(values, "detach"):
        return values.detach().numpy()
    return np.array([float(v.detach()) if hasattr(v, "detach") else v for v in values]
                    if isinstance(values, (list, tuple)) else values, dtype=np.float64)


def leaf(torch, array):
    """A float64 tensor (a copy) that autograd differentiates with respect to."""
    return torch.tensor(np.array(array, dtype=np.float64), requires_grad=True)


def torch_activation(torch, name):
    F = torch.nn.functional
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "elu": lambda z: F.elu(z, 1.0),
            "linear": lambda z: z}[name]


# --- the require_torch policy --------------------------------------------------------------

def test_a_missing_torch_skips_locally_but_fails_under_ci(monkeypatch):
    from _torch import require_torch as gate
    monkeypatch.setitem(sys.modules, "torch", None)          # makes `import torch` raise ImportError
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="crosscheck extra"):
        gate()
    for value in ("true", "1", "TRUE"):
        monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.fail.Exception, match="CI is set, so a missing torch is a failure"):
            gate()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        gate()


def test_the_failure_message_names_the_install_command():
    assert INSTALL == 'pip install -e ".[crosscheck]"'


def test_the_installed_torch_is_the_version_the_crosscheck_extra_pins(torch):
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    pinned = re.findall(r'"torch==([^"]+)"', pyproject)
    assert len(pinned) == 1, pinned
    assert torch.__version__.split("+")[0] == pinned[0]         # "2.13.0+cpu" is the CPU build


# --- the scalar chain ------------------------------------------------------------------------

CHAIN_CASES = [  # (activations, out, y): one name for every layer, or one per layer
    ("sigmoid", "activation", None),
    ("tanh", "activation", None),
    ("relu", "activation", None),
    ("leaky_relu", "activation", None),
    ("elu", "activation", None),
    ("sigmoid", "bce", 1.0),
    ("sigmoid", "bce", 0.3),
    (["tanh", "elu", "leaky_relu", "relu", "sigmoid"], "bce", 0.0),
    ("tanh", "mse", 0.4),
    (["elu", "tanh", "sigmoid", "linear", "relu"], "mse", -0.7),
]


def torch_chain(torch, weights, biases, x, activations, out, y):
    """Out, and its gradients with respect to every z_l, w_l and b_l, by autograd."""
    w = [leaf(torch, v) for v in weights]
    b = [leaf(torch, v) for v in biases]
    a, z = torch.tensor(float(x), dtype=torch.float64), []
    for w_l, b_l, name in zip(w, b, activations):
        z.append(w_l * a + b_l)
        a = torch_activation(torch, name)(z[-1])
    if out == "activation":
        value = a
    elif out == "mse":
        value = (a - y) ** 2
    else:                                    # -y ln a_L - (1 - y) ln(1 - a_L), a_L = sigmoid(z_L)
        value = torch.nn.functional.binary_cross_entropy_with_logits(
            z[-1], torch.tensor(y, dtype=torch.float64))
    grads = torch.autograd.grad(value, [*z, *w, *b])
    L = len(w)
    return float(value.detach()), grads[:L], grads[L:2 * L], grads[2 * L:]


@pytest.mark.parametrize("activation, out, y", CHAIN_CASES)
def test_the_chain_deltas_and_weight_gradients_equal_torch_autograd(torch, activation, out, y):
    depth = 5
    rng = np.random.default_rng(depth)
    weights = rng.normal(0.0, 1.5, depth)
    biases = rng.normal(0.0, 0.5, depth)
    names = [activation] * depth if isinstance(activation, str) else activation
    t = trace_chain(depth, weights, biases, x=0.8, activation=activation, out=out, y=y)
    value, d_z, d_w, d_b = torch_chain(torch, weights, biases, 0.8, names, out, y)
    assert t.output == pytest.approx(value, rel=RTOL)
    close(t.delta, d_z, "delta = dOut/dz_l")
    close(t.grad_w, d_w, "dOut/dw_l")
    close(t.grad_b, d_b, "dOut/db_l")


def test_a_deep_sigmoid_chain_agrees_with_torch_down_to_a_tiny_delta(torch):
    """The anchor network at depth 40: layer 1's delta is near 1e-63, still a float64 in torch."""
    depth = 40
    t = trace_chain(depth, 0.1)
    _, d_z, d_w, _ = torch_chain(torch, [0.1] * depth, [0.0] * depth, 1.0, ["sigmoid"] * depth,
                                 "activation", None)
    assert 1e-64 < abs(float(d_z[0])) < 1e-63
    close(t.delta, d_z, "delta = dOut/dz_l")
    close(t.grad_w, d_w, "dOut/dw_l")


# --- the MLP ---------------------------------------------------------------------------------

SIZES = [4, 6, 6, 6, 3]          # layers 2 and 3 keep their width: residual paths there
BATCH = 8
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu"]
MODES = ["plain", "batchnorm-train", "batchnorm-eval"]


def mlp(activation, mode, residual, output_activation="linear"):
    """An MLP with non-trivial gamma, beta and (in eval mode) running statistics."""
    net = MLP(SIZES, activation=activation, init="he_normal" if "relu" in activation else "xavier_normal",
              batchnorm=mode != "plain", residual=residual, residual_scale=0.7,
              output_activation=output_activation, seed=3)
    rng = np.random.default_rng(11)
    net.biases = [rng.normal(0.0, 0.3, b.shape) for b in net.biases]
    for gamma, beta in zip(net.gamma, net.beta):
        if gamma is not None:
            gamma[...] = rng.uniform(0.5, 1.5, gamma.shape)
            beta[...] = rng.normal(0.0, 0.3, beta.shape)
    if mode == "batchnorm-eval":
        for seed in range(3):                     # running statistics from three training batches
            net.forward(np.random.default_rng(100 + seed).normal(0.5, 2.0, (BATCH, SIZES[0])))
        net.eval()
    return net


def torch_mlp(torch, net, X):
    """The same network in torch: F.linear, F.batch_norm (with copies of the running statistics,
    which torch updates in place in training mode), the activations and residual paths."""
    F = torch.nn.functional
    W = [leaf(torch, v) for v in net.weights]
    b = [leaf(torch, v) for v in net.biases]
    gamma = [None if g is None else leaf(torch, g) for g in net.gamma]
    beta = [None if g is None else leaf(torch, g) for g in net.beta]
    running = [None if m is None else (torch.tensor(m.copy()), torch.tensor(v.copy()))
               for m, v in zip(net.running_mean, net.running_var)]
    X_t = leaf(torch, X)
    A = X_t
    for l in range(net.depth):
        hidden = l < net.depth - 1
        f = torch_activation(torch, (net.activation if hidden else net.output_activation).name)
        U = Z = F.linear(A, W[l], b[l])
        if gamma[l] is not None:
            U = F.batch_norm(Z, *running[l], weight=gamma[l], bias=beta[l], training=net.training,
                             momentum=MOMENTUM, eps=EPS)
        A = A + net.residual_scale * f(U) if net.residual[l] else f(U)
    return A, X_t, W, b, gamma, beta, running


def check_mlp_against_torch(torch, net):
    rng = np.random.default_rng(5)
    X = rng.normal(0.0, 1.5, (BATCH, SIZES[0]))
    R = rng.standard_normal((BATCH, SIZES[-1]))            # Out = sum(A_L * R), so dOut/dA_L = R
    A_t, X_t, W, b, gamma, beta, running = torch_mlp(torch, net, X)   # reads the stats first
    A = net.forward(X)
    grads = net.backward(R)
    close(A, A_t, "forward output A_L")
    on = [l for l in range(net.depth) if gamma[l] is not None]
    leaves = [*W, *b, *(gamma[l] for l in on), *(beta[l] for l in on), X_t]
    g = iter(torch.autograd.grad((A_t * torch.tensor(R)).sum(), leaves))
    for l in range(net.depth):
        close(grads.W[l], next(g), f"dOut/dW_{l + 1}")
    for l in range(net.depth):
        # under training-mode batch norm b cancels: its gradient is 0 plus rounding noise of
        # the size of a sum over the batch of |delta|, on both sides
        noise = np.abs(grads.delta[l]).sum(axis=0).max() if l in on and net.training else None
        close(grads.b[l], next(g), f"dOut/db_{l + 1}", scale=noise)
    for l in on:
        close(grads.gamma[l], next(g), f"dOut/dgamma_{l + 1}")
    for l in on:
        close(grads.beta[l], next(g), f"dOut/dbeta_{l + 1}")
    close(grads.input, next(g), "dOut/dX")
    for l in on:                                            # updated in training mode only
        close(net.running_mean[l], running[l][0], f"running mean, layer {l + 1}")
        close(net.running_var[l], running[l][1], f"running variance, layer {l + 1}")


@pytest.mark.parametrize("residual", [False, True], ids=["plain-path", "residual"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_mlp_forward_and_every_gradient_equal_torch_autograd(torch, activation, mode, residual):
    net = mlp(activation, mode, residual)
    assert any(net.residual) == residual
    check_mlp_against_torch(torch, net)


@pytest.mark.parametrize("mode", MODES)
def test_a_sigmoid_output_layer_also_agrees_with_torch(torch, mode):
    check_mlp_against_torch(torch, mlp("tanh", mode, True, output_activation="sigmoid"))


def test_batch_norm_matches_torch_batchnorm1d_in_train_and_eval_mode(torch):
    """Same normalised output and the same running statistics as ``torch.nn.BatchNorm1d`` with
    eps = 1e-5 and momentum = 0.1: r <- (1 - m) r + m * statistic, where the running variance takes
    the *unbiased* batch variance (n / (n - 1)) while the normalisation uses the biased one."""
    net = MLP([4, 6, 5, 2], activation="sigmoid", batchnorm=True, seed=0)
    bns = [torch.nn.BatchNorm1d(n, eps=EPS, momentum=MOMENTUM, dtype=torch.float64)
           for n in net.sizes[1:-1]]
    rng = np.random.default_rng(2)
    biased_alternative = None
    for batch in (8, 5, 2, 16):                               # a batch of 2: n / (n - 1) = 2
        net.forward(rng.normal(1.0, 2.0, (batch, 4)))
        for l, bn in enumerate(bns):
            before = bn.running_var.detach().numpy().copy()
            Z = net.preactivations(normalized=False)[l]
            close(net.preactivations()[l], bn(torch.tensor(Z)), f"train-mode output, layer {l + 1}")
            close(net.running_mean[l], bn.running_mean, f"running mean, layer {l + 1}")
            close(net.running_var[l], bn.running_var, f"running variance, layer {l + 1}")
            if l == 0 and batch == 2:
                biased_alternative = (1 - MOMENTUM) * before + MOMENTUM * Z.var(axis=0)
    # the test tells the two conventions apart: the biased update would be visibly different
    assert np.max(np.abs(biased_alternative - bns[0].running_var.detach().numpy())) > 1e-3
    net.eval()
    for bn in bns:
        bn.eval()
    net.forward(rng.normal(1.0, 2.0, (7, 4)))
    for l, bn in enumerate(bns):
        Z = net.preactivations(normalized=False)[l]
        close(net.preactivations()[l], bn(torch.tensor(Z)), f"eval-mode output, layer {l + 1}")


# --- RNN, LSTM and GRU -----------------------------------------------------------------------

N_IN, N_HIDDEN, N_OUT, T, SEQ_BATCH = 3, 5, 2, 7, 4


def recurrent(cell, **kwargs):
    """A small network with non-zero biases everywhere (the default ones are mostly zero)."""
    net = cell(N_IN, N_HIDDEN, N_OUT, recurrent_scale=0.9, seed=4, **kwargs)
    rng = np.random.default_rng(9)
    for name, value in net.params.items():
        if name.startswith("b_"):
            net.set_param(name, value + rng.normal(0.0, 0.3, value.shape))
    return net


def sequences():
    rng = np.random.default_rng(6)
    return rng.normal(0.0, 1.0, (SEQ_BATCH, T, N_IN)), rng.standard_normal((SEQ_BATCH, N_OUT))


def torch_recurrent(torch, net, X, gru_reset_after=False):
    """The package's equations (see vanishing/recurrent.py) unrolled in torch.

    ``gru_reset_after=True`` applies the GRU's reset gate after the matrix product,
    r * (W_hh h_{t-1}), as torch.nn.GRU does, instead of the package's W_hh (r * h_{t-1}).
    """
    P = {name: leaf(torch, value) for name, value in net.params.items()}
    x = torch.tensor(X)

    def pre(gate, x_t, h_in):                  # W_x x_t + b + W_h h_in, for one gate
        return x_t @ P[f"W_x{gate}"].T + P[f"b_{gate}"] + h_in @ P[f"W_h{gate}"].T

    h = c = torch.zeros(X.shape[0], net.n_hidden, dtype=torch.float64)
    hs, cs = [], []
    for t in range(X.shape[1]):
        x_t = x[:, t]
        if net.cell == "rnn":
            z = pre("h", x_t, h)
            h = torch.tanh(z) if net.activation == "tanh" else torch.relu(z)
        elif net.cell == "lstm":
            i, f, o = (torch.sigmoid(pre(g, x_t, h)) for g in "ifo")
            c = f * c + i * torch.tanh(pre("g", x_t, h))
            h = o * torch.tanh(c)
            cs.append(c)
        else:
            z, r = torch.sigmoid(pre("z", x_t, h)), torch.sigmoid(pre("r", x_t, h))
            if gru_reset_after:
                h_cand = torch.tanh(x_t @ P["W_xh"].T + P["b_h"] + r * (h @ P["W_hh"].T))
            else:
                h_cand = torch.tanh(pre("h", x_t, r * h))
            h = z * h + (1.0 - z) * h_cand
        hs.append(h)
    return h @ P["W_hy"].T + P["b_y"], P, hs, cs


RECURRENT_CASES = {"rnn-tanh": (RNN, {}), "rnn-relu": (RNN, {"activation": "relu"}),
                   "lstm": (LSTM, {"forget_bias": 1.0}), "gru": (GRU, {"update_bias": 0.5})}


@pytest.mark.parametrize("case", list(RECURRENT_CASES))
def test_bptt_gradients_equal_torch_autograd_through_the_same_equations(torch, case):
    cell, kwargs = RECURRENT_CASES[case]
    net = recurrent(cell, **kwargs)
    X, G = sequences()                               # Out = sum(y * G), so dOut/dy = G
    y_t, P, hs, cs = torch_recurrent(torch, net, X)
    close(net.forward(X), y_t, "readout y")
    grads = net.backward(G)
    found = torch.autograd.grad((y_t * torch.tensor(G)).sum(), [*P.values(), *hs, *cs])
    for name, theirs in zip(P, found):
        close(grads.params[name], theirs, f"dOut/d{name}")
    for t in range(T):                               # the total derivative, through every later step
        close(grads.dh[:, t], found[len(P) + t], f"dOut/dh_{t + 1}")
    if net.cell == "lstm":
        for t in range(T):
            close(grads.dc[:, t], found[len(P) + T + t], f"dOut/dc_{t + 1}")


def torch_layer_readout(torch, net, layer, X, G):
    """torch.nn.RNN/LSTM/GRU's last state through the package's readout; Out = sum(y * G)."""
    W_hy, b_y = leaf(torch, net.params["W_hy"]), leaf(torch, net.params["b_y"])
    _, state = layer(torch.tensor(X))
    h_T = (state[0] if isinstance(state, tuple) else state)[0]
    y = h_T @ W_hy.T + b_y
    (y * torch.tensor(G)).sum().backward()
    return y, W_hy, b_y


def copy_into(torch, layer, net, gates):
    """Stack the package's per-gate blocks in torch's gate order; torch's second bias is 0."""
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.tensor(np.concatenate([net.params[f"W_x{g}"] for g in gates])))
        layer.weight_hh_l0.copy_(torch.tensor(np.concatenate([net.params[f"W_h{g}"] for g in gates])))
        layer.bias_ih_l0.copy_(torch.tensor(np.concatenate([net.params[f"b_{g}"] for g in gates])))
        layer.bias_hh_l0.zero_()


def check_against_torch_layer(torch, net, layer, gates):
    """Copy the weights into ``layer`` (gate blocks in torch's order ``gates``), then compare the
    readout and every gradient; both of torch's biases get the package's bias gradient."""
    copy_into(torch, layer, net, gates)
    X, G = sequences()
    y, W_hy, b_y = torch_layer_readout(torch, net, layer, X, G)
    close(net.forward(X), y, "readout y")
    grads = net.backward(G)
    n = N_HIDDEN
    for j, g in enumerate(gates):
        rows = slice(j * n, (j + 1) * n)
        close(grads.params[f"W_x{g}"], layer.weight_ih_l0.grad[rows], f"dOut/dW_x{g}")
        close(grads.params[f"W_h{g}"], layer.weight_hh_l0.grad[rows], f"dOut/dW_h{g}")
        close(grads.params[f"b_{g}"], layer.bias_ih_l0.grad[rows], f"dOut/db_{g} (bias_ih)")
        close(grads.params[f"b_{g}"], layer.bias_hh_l0.grad[rows], f"dOut/db_{g} (bias_hh)")
    close(grads.params["W_hy"], W_hy.grad, "dOut/dW_hy")
    close(grads.params["b_y"], b_y.grad, "dOut/db_y")


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_the_rnn_equals_torch_nn_rnn_with_copied_weights(torch, activation):
    layer = torch.nn.RNN(N_IN, N_HIDDEN, nonlinearity=activation, batch_first=True,
                         dtype=torch.float64)
    check_against_torch_layer(torch, recurrent(RNN, activation=activation), layer, "h")


def test_the_lstm_equals_torch_nn_lstm_with_its_gates_reordered(torch):
    """The package stacks the gates as (i, f, o, g), torch.nn.LSTM as (i, f, g, o); the
    equations are the same (torch adds a second bias b_hh, set to 0 here)."""
    layer = torch.nn.LSTM(N_IN, N_HIDDEN, batch_first=True, dtype=torch.float64)
    check_against_torch_layer(torch, recurrent(LSTM), layer, "ifgo")


def test_the_gru_differs_from_torch_nn_gru_only_where_the_reset_gate_acts(torch):
    """torch.nn.GRU (gates stacked (r, z, n)) computes tanh(W_in x + b_in + r * (W_hn h + b_hn));
    the package, as Cho et al. (2014), tanh(W_xh x + b_h + W_hh (r * h)). Both keep the old state
    with weight z. The torch loop with the reset applied after the product reproduces nn.GRU, so the
    loop that the BPTT test uses differs from torch's layer in that one place only."""
    net = recurrent(GRU, update_bias=0.5)
    layer = torch.nn.GRU(N_IN, N_HIDDEN, batch_first=True, dtype=torch.float64)
    copy_into(torch, layer, net, "rzh")
    X, G = sequences()
    y_layer, _, _ = torch_layer_readout(torch, net, layer, X, G)
    y_after, _, _, _ = torch_recurrent(torch, net, X, gru_reset_after=True)
    close(y_after, y_layer, "readout y, reset after the product")
    difference = np.max(np.abs(net.forward(X) - y_layer.detach().numpy()))
    assert difference > 1e-3, "the package's GRU should differ from torch.nn.GRU"


def test_the_reset_after_gru_equals_torch_nn_gru_with_b_hn_as_b_hh(torch):
    """GRU(reset="after") is torch.nn.GRU's form: torch's b_hn (inside r * (W_hn h + b_hn)) is the
    package's b_hh; torch's hidden biases of r and z only add to b_r and b_z, so they are 0 here."""
    net = recurrent(GRU, update_bias=0.5, reset="after")
    layer = torch.nn.GRU(N_IN, N_HIDDEN, batch_first=True, dtype=torch.float64)
    copy_into(torch, layer, net, "rzh")
    n = N_HIDDEN
    with torch.no_grad():
        layer.bias_hh_l0[2 * n:] = torch.tensor(net.params["b_hh"])
    X, G = sequences()
    y, W_hy, b_y = torch_layer_readout(torch, net, layer, X, G)
    close(net.forward(X), y, "readout y")
    grads = net.backward(G)
    for j, g in enumerate("rzh"):
        rows = slice(j * n, (j + 1) * n)
        close(grads.params[f"W_x{g}"], layer.weight_ih_l0.grad[rows], f"dOut/dW_x{g}")
        close(grads.params[f"W_h{g}"], layer.weight_hh_l0.grad[rows], f"dOut/dW_h{g}")
        close(grads.params[f"b_{g}"], layer.bias_ih_l0.grad[rows], f"dOut/db_{g}")
    close(grads.params["b_hh"], layer.bias_hh_l0.grad[2 * n:], "dOut/db_hh (torch's b_hn)")
    close(grads.params["W_hy"], W_hy.grad, "dOut/dW_hy")


# --- initialisation ---------------------------------------------------------------------------

def torch_scheme(torch, scheme):
    """The torch.nn.init call for a package scheme, as (function, keyword arguments, gain)."""
    I = torch.nn.init
    family, kind = scheme.split("_")
    family = {"glorot": "xavier", "kaiming": "he"}.get(family, family)
    if family == "xavier":
        return (I.xavier_normal_ if kind == "normal" else I.xavier_uniform_), {}, 1.0
    if family == "he":                         # Var = 2 / fan_in: gain sqrt(2), fan_in mode
        kwargs = {"mode": "fan_in", "nonlinearity": "relu"}
        return (I.kaiming_normal_ if kind == "normal" else I.kaiming_uniform_), kwargs, \
            I.calculate_gain("relu")
    # LeCun normal, Var = 1 / fan_in: torch has no lecun_ function; it is Kaiming with gain 1
    # (plain normal, as the package; Keras's lecun_normal is a truncated normal)
    return I.kaiming_normal_, {"mode": "fan_in", "nonlinearity": "linear"}, I.calculate_gain("linear")


def torch_std(torch, scheme, fan_in, fan_out):
    """The std torch.nn.init targets, from calculate_gain and the fans torch reads off a weight of
    shape (out, in): fan_in = shape[1], fan_out = shape[0]."""
    _, _, gain = torch_scheme(torch, scheme)
    fans = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(fan_out, fan_in))
    assert fans == (fan_in, fan_out)
    if scheme.split("_")[0] in ("xavier", "glorot"):
        return gain * math.sqrt(2.0 / (fan_in + fan_out))
    return gain / math.sqrt(fan_in)


FANS = [(30, 70), (64, 64), (300, 7)]


@pytest.mark.parametrize("scheme", init_.names())
@pytest.mark.parametrize("fan_in, fan_out", FANS)
def test_the_init_variance_is_torch_nn_init_s_formula(torch, scheme, fan_in, fan_out):
    std = math.sqrt(init_.variance(scheme, fan_in, fan_out))
    assert std == pytest.approx(torch_std(torch, scheme, fan_in, fan_out), rel=1e-14)


@pytest.mark.parametrize("scheme", init_.names())
def test_torch_nn_init_draws_with_the_package_s_std_or_limit(torch, scheme):
    """With one seed, torch.nn.init's draw equals torch's plain normal_(0, std) or
    uniform_(-r, r) draw with the package's std or r = sqrt(3 Var): the same numbers, to rounding
    (torch computes std as gain / sqrt(fan), the package as sqrt(2 / fan))."""
    fan_in, fan_out = 40, 25
    function, kwargs, _ = torch_scheme(torch, scheme)
    theirs = function(torch.empty(fan_out, fan_in, dtype=torch.float64),
                      generator=torch.Generator().manual_seed(0), **kwargs)
    var = init_.variance(scheme, fan_in, fan_out)
    mine = torch.empty(fan_out, fan_in, dtype=torch.float64)
    generator = torch.Generator().manual_seed(0)
    if scheme.endswith("uniform"):
        limit = math.sqrt(3.0 * var)
        mine.uniform_(-limit, limit, generator=generator)
    else:
        limit = math.sqrt(var)
        mine.normal_(0.0, limit, generator=generator)
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-14, atol=1e-14 * limit)


def moments(W):
    W = np.asarray(W, dtype=np.float64).ravel()
    mean = W.mean()
    var = np.mean((W - mean) ** 2)
    return mean, var, np.mean((W - mean) ** 4) / var ** 2


@pytest.mark.parametrize("scheme", init_.names())
def test_large_draws_have_torch_s_variance_and_shape_of_distribution(torch, scheme):
    """Package and torch draws of a (250, 400) weight: mean 0, variance Var, kurtosis 3 (normal) or
    1.8 (uniform), each within 5 standard errors for n = 100,000 entries: the variance's relative
    standard error is sqrt((kurtosis - 1) / n), the kurtosis's at most sqrt(24 / n) (the normal's;
    the bounded uniform's is smaller)."""
    fan_in, fan_out = 400, 250
    n = fan_in * fan_out
    var = init_.variance(scheme, fan_in, fan_out)
    kurtosis = 1.8 if scheme.endswith("uniform") else 3.0
    mine = init_.initializer(scheme)(fan_in, fan_out, np.random.default_rng(0))
    function, kwargs, _ = torch_scheme(torch, scheme)
    theirs = function(torch.empty(fan_out, fan_in, dtype=torch.float64),
                      generator=torch.Generator().manual_seed(0), **kwargs).numpy()
    assert mine.shape == theirs.shape == (fan_out, fan_in)
    for who, W in (("package", mine), ("torch", theirs)):
        m, v, k = moments(W)
        assert abs(m) < 5 * math.sqrt(var / n), f"{who}: mean {m}"
        assert abs(v / var - 1) < 5 * math.sqrt((kurtosis - 1) / n), f"{who}: variance {v} vs {var}"
        assert abs(k - kurtosis) < 5 * math.sqrt(24 / n), f"{who}: kurtosis {k}"
    if scheme.endswith("uniform"):                 # the same support [-r, r], r = sqrt(3 Var)
        limit = math.sqrt(3.0 * var)
        for W in (mine, theirs):
            assert limit * (1 - 1e-3) < np.max(np.abs(W)) <= limit
