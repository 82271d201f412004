"""vanishing.torch: the course's statistics, recorded by hooks on a PyTorch model.

The cross-check: an MLP of the package and the same network in torch (weights copied from the
MLP into torch, and after some torch training back into the MLP), float64, one step of MSE (the
package's ``losses.mse``, a mean over every entry): the watcher's per-layer statistics equal
``MLP.stats`` to a relative 1e-10, for sigmoid, tanh and ReLU, with and without batch norm and
residual paths. Then: the update-to-data ratio from the actual change (SGD, Adam), the gradient
recorded before clipping, non-finite gradients, bad input, hooks removed, and the diagnose
functions and plots reading the results unchanged.

Without torch these tests skip, except under CI=true, where they fail (see ``_torch.py``).
"""

from __future__ import annotations

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _torch import require_torch

from vanishing import diagnose, plots
from vanishing.mlp import EPS, MLP, MOMENTUM

ROOT = Path(__file__).resolve().parent.parent
RTOL = 1e-10
SIZES = [8, 12, 12, 12, 3]            # layers 2 and 3 keep their width: residual paths there
BATCH = 16
STATS = ("grad_norm", "delta_rms", "act_mean", "act_std", "saturated", "dead")


@pytest.fixture(scope="module")
def torch():
    """torch on one thread (two cores are shared by the whole test run)."""
    module = require_torch()
    threads = module.get_num_threads()
    module.set_num_threads(1)
    try:
        yield module
    finally:
        module.set_num_threads(threads)


@pytest.fixture(scope="module")
def tw(torch):
    import vanishing.torch as tw
    return tw


# --- import policy ------------------------------------------------------------------------

def modules_after(statement: str) -> set:
    code = f"import sys; {statement}; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"


def test_import_vanishing_never_imports_torch_nor_does_importing_the_adapter():
    assert not modules_after("import vanishing")
    assert not modules_after("import vanishing.torch")
    assert not modules_after("import vanishing, vanishing.mlp, vanishing.diagnose, vanishing.train")


def test_watch_without_torch_says_how_to_install_the_extra(monkeypatch):
    import vanishing.torch as tw
    monkeypatch.setitem(sys.modules, "torch", None)          # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install -e "\.\[torch\]"'):
        tw.watch(object())


def root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_torch_notebooks_skip_without_torch_but_fail_under_ci():
    gate = root_conftest().torch_notebook_gate
    for folder in ("notebooks", "solutions"):
        path = ROOT / folder / "13_diagnose_pytorch.ipynb"
        assert gate(path, missing=False, ci=True) is None
        kind, reason = gate(path, missing=True, ci=False)
        assert kind == "skip" and 'pip install -e ".[torch]"' in reason and folder in reason
        kind, reason = gate(path, missing=True, ci=True)
        assert kind == "fail" and "CI is set" in reason
    assert gate(ROOT / "notebooks" / "10_diagnosing_training.ipynb", missing=True, ci=True) is None


def test_the_gate_lists_every_notebook_that_imports_torch():
    import nbformat
    importing = {p.name for folder in ("notebooks", "solutions") for p in (ROOT / folder).glob("*.ipynb")
                 if any(c.cell_type == "code" and re.search(r"^(import torch|from torch)", c.source, re.M)
                        for c in nbformat.read(p, as_version=4).cells)}
    assert importing == set(root_conftest().TORCH_NOTEBOOKS)


def test_the_torch_extra_installs_the_crosscheck_pin():
    try:
        import tomllib
    except ModuleNotFoundError:                               # Python 3.10
        tomllib = pytest.importorskip("tomli")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["torch"] == ["vanishing[crosscheck]"]
    assert [r for r in extras["crosscheck"] if r.startswith("torch")] == ["torch==2.13.0"]


# --- the same network on both sides ----------------------------------------------------------

def make_mlp(activation: str, batchnorm: bool, residual: bool) -> MLP:
    """Weights large enough that sigmoid and tanh saturate, negative biases so that ReLU units die."""
    net = MLP(SIZES, activation=activation, init="he_normal", batchnorm=batchnorm, residual=residual,
              residual_scale=0.7, seed=3)
    rng = np.random.default_rng(11)
    gain = 1.0 if activation == "relu" else 2.5
    net.weights = [gain * W for W in net.weights]
    net.biases = [rng.normal(-0.4 if activation == "relu" else 0.0, 0.5, b.shape) for b in net.biases]
    for gamma, beta in zip(net.gamma, net.beta):
        if gamma is not None:
            gamma[...] = rng.uniform(0.5, 2.5, gamma.shape)
            beta[...] = rng.normal(-0.3, 0.5, beta.shape)
    return net


def torch_mirror(torch, net: MLP):
    """nn.Sequential of blocks A_l = f(BN(A_{l-1} W_l^T + b_l)) (+ A_{l-1} s, residual), then
    the linear output layer, with the MLP's weights copied in (float64)."""
    nn = torch.nn
    acts = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}

    class Block(nn.Module):
        def __init__(self, l):
            super().__init__()
            self.linear = nn.Linear(net.sizes[l], net.sizes[l + 1], dtype=torch.float64)
            self.bn = (nn.BatchNorm1d(net.sizes[l + 1], eps=EPS, momentum=MOMENTUM, dtype=torch.float64)
                       if net.gamma[l] is not None else None)
            self.act = acts[net.activation.name]()
            self.residual, self.scale = net.residual[l], net.residual_scale

        def forward(self, A):
            Z = self.linear(A)
            H = self.act(self.bn(Z) if self.bn is not None else Z)
            return A + self.scale * H if self.residual else H

    L = net.depth
    model = nn.Sequential(*[Block(l) for l in range(L - 1)],
                          nn.Linear(net.sizes[-2], net.sizes[-1], dtype=torch.float64))
    copy_into_torch(torch, net, model)
    return model


def linears(model):
    return [m for m in model.modules() if isinstance(m, type(model[-1]))]


def copy_into_torch(torch, net: MLP, model) -> None:
    with torch.no_grad():
        for l, lin in enumerate(linears(model)):
            lin.weight.copy_(torch.tensor(net.weights[l]))
            lin.bias.copy_(torch.tensor(net.biases[l]))
        for l, block in enumerate(model[:-1]):
            if block.bn is not None:
                block.bn.weight.copy_(torch.tensor(net.gamma[l]))
                block.bn.bias.copy_(torch.tensor(net.beta[l]))
                block.bn.running_mean.copy_(torch.tensor(net.running_mean[l]))
                block.bn.running_var.copy_(torch.tensor(net.running_var[l]))


def copy_into_mlp(model, net: MLP) -> None:
    lins = linears(model)
    net.weights = [lin.weight.detach().numpy() for lin in lins]
    net.biases = [lin.bias.detach().numpy() for lin in lins]
    for l, block in enumerate(model[:-1]):
        if block.bn is not None:
            net.gamma[l][...] = block.bn.weight.detach().numpy()
            net.beta[l][...] = block.bn.bias.detach().numpy()


def data():
    rng = np.random.default_rng(5)
    return rng.normal(0.0, 1.5, (BATCH, SIZES[0])), rng.standard_normal((BATCH, SIZES[-1]))


def torch_step(torch, model, watcher, optimizer, X, Y) -> float:
    optimizer.zero_grad()
    loss = ((model(torch.tensor(X)) - torch.tensor(Y)) ** 2).mean()      # losses.mse: mean of every entry
    loss.backward()
    optimizer.step()
    watcher.step(loss)
    return float(loss.detach())


def assert_same_stats(mine, theirs, what):
    for name in STATS:
        np.testing.assert_allclose(getattr(mine, name), getattr(theirs, name), rtol=RTOL, atol=0,
                                   err_msg=f"{what}: {name}")


CASES = [(a, bn, res) for a in ("sigmoid", "tanh", "relu") for bn in (False, True) for res in (False, True)]


@pytest.mark.parametrize("activation, batchnorm, residual", CASES,
                         ids=[f"{a}-{'bn' if bn else 'plain'}-{'residual' if r else 'chain'}"
                              for a, bn, r in CASES])
def test_the_watchers_statistics_equal_mlp_stats_with_weights_copied_both_ways(torch, tw, activation,
                                                                               batchnorm, residual):
    net = make_mlp(activation, batchnorm, residual)
    assert any(net.residual) == residual
    X, Y = data()
    model = torch_mirror(torch, net)
    LR = 0.05
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    with tw.watch(model) as watcher:
        value, grads = net.loss_and_gradients(X, Y, "mse")
        expected = net.stats(grads)
        loss = torch_step(torch, model, watcher, optimizer, X, Y)
        assert loss == pytest.approx(value, rel=RTOL)
        assert_same_stats(watcher.stats(0), expected, "torch -> MLP, step 0")
        if activation == "relu":
            assert expected.dead.max() > 0, "the test needs dead units to compare"
        else:
            assert expected.saturated.max() > 0, "the test needs saturated units to compare"
        # plain SGD: the actual change is lr |dW| / |W|
        ratio = [LR * np.linalg.norm(g) / np.linalg.norm(W) for g, W in zip(grads.W, net.weights)]
        np.testing.assert_allclose(watcher.history().update_ratio[0], ratio, rtol=1e-9, atol=0)
        for _ in range(3):
            torch_step(torch, model, watcher, optimizer, X, Y)
        copy_into_mlp(model, net)              # and back: the trained torch weights in the MLP
        if batchnorm:                          # the MLP's running statistics would differ: not compared
            net.train()
        _, grads = net.loss_and_gradients(X, Y, "mse")
        torch_step(torch, model, watcher, optimizer, X, Y)
        assert_same_stats(watcher.stats(-1), net.stats(grads), "MLP <- torch after 4 steps, step 4")
    history = watcher.history()
    assert history.grad_norm.shape == history.saturated.shape == (5, net.depth)
    assert history.diverged_at is None and np.all(np.isfinite(history.global_norm))


# --- update ratios, clipping, divergence ---------------------------------------------------

def deep_net(torch, activation="Sigmoid", depth=8, width=16):
    torch.manual_seed(0)
    nn = torch.nn
    layers = []
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width, dtype=torch.float64), getattr(nn, activation)()]
    return nn.Sequential(*layers, nn.Linear(width, 1, dtype=torch.float64))


def batch(torch, width=16, rows=32):
    g = torch.Generator().manual_seed(1)
    return (torch.randn(rows, width, generator=g, dtype=torch.float64),
            torch.randn(rows, 1, generator=g, dtype=torch.float64))


def test_the_update_ratio_is_the_actual_change_of_the_weights_under_adam(torch, tw):
    model = deep_net(torch)
    X, Y = batch(torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    with tw.watch(model) as watcher:
        for step in range(3):
            before = [m.weight.detach().clone() for m in linears(model)]
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(X), Y)
            loss.backward()
            plain = [1e-2 * float(m.weight.grad.norm()) / float(b.norm()) for m, b in zip(linears(model), before)]
            optimizer.step()
            watcher.step(loss)
            actual = [float((m.weight.detach() - b).norm() / b.norm()) for m, b in zip(linears(model), before)]
            np.testing.assert_allclose(watcher.history().update_ratio[step], actual, rtol=1e-12, atol=0)
    # Adam's first step moves every entry by about lr, whatever the gradient: nothing like lr |dW| / |W|
    assert max(abs(math.log10(a / p)) for a, p in zip(watcher.history().update_ratio[0], plain)) > 1


def test_the_recorded_gradient_is_the_one_before_clipping(torch, tw):
    model = deep_net(torch, "Tanh", depth=4)
    X, Y = batch(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with tw.watch(model) as watcher:
        loss = torch.nn.functional.mse_loss(model(X), Y)
        loss.backward()
        raw = [float(m.weight.grad.norm()) for m in linears(model)]
        total = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1e-3))
        optimizer.step()
        watcher.step(loss)
    np.testing.assert_allclose(watcher.history().grad_norm[0], raw, rtol=1e-12, atol=0)
    assert watcher.history().global_norm[0] == pytest.approx(total, rel=1e-12)
    assert total > 1e-2, "the clipping must have changed the gradient for this test to mean anything"


def test_a_non_finite_gradient_is_recorded_as_exploding_at_its_step_never_raised(torch, tw):
    model = deep_net(torch, "ReLU", depth=3)
    X, Y = batch(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with tw.watch(model) as watcher:
        for step in range(5):
            optimizer.zero_grad()
            out = model(X)
            loss = torch.nn.functional.mse_loss(out, Y)
            if step == 2:                      # sqrt at 0: a finite loss, an infinite gradient
                loss = loss + torch.sqrt((out - out.detach()).abs().sum())
            loss.backward()                    # the hooks see inf/NaN and must not raise
            optimizer.step()
            watcher.step(loss)
    history = watcher.history()
    assert (watcher.diverged_at, history.diverged_at, history.reason) == (2, 2, "gradient not finite")
    assert history.steps == 2 and np.all(np.isfinite(history.grad_norm))
    d = watcher.verdict()
    assert d.diverged and d.kinds[0] == "exploding"
    assert str(d.findings[0]) == "exploding: the gradient became inf/NaN at step 2"


def test_a_loss_that_is_not_finite_is_recorded_too(torch, tw):
    model = deep_net(torch, "Tanh", depth=3)
    X, Y = batch(torch)
    with tw.watch(model) as watcher:
        loss = torch.nn.functional.mse_loss(model(X), Y) * math.inf
        loss.backward()
        watcher.step(loss)
    assert (watcher.diverged_at, watcher.reason, watcher.steps) == (0, "loss not finite", 0)
    d = watcher.verdict()
    assert d.kinds[0] == "exploding" and str(d.findings[0]) == "exploding: the loss became inf/NaN at step 0"


# --- what diagnose reads -------------------------------------------------------------------

def trained(torch, tw, activation, steps=5):
    model = deep_net(torch, activation, depth=10)
    X, Y = (t.numpy() for t in batch(torch))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with tw.watch(model) as watcher:
        losses = [torch_step(torch, model, watcher, optimizer, X, Y) for _ in range(steps)]
    assert losses == pytest.approx(list(watcher.history().loss), rel=1e-15)
    return watcher


def test_the_verdict_and_every_plot_read_the_watchers_results_unchanged(torch, tw):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sigmoid = trained(torch, tw, "Sigmoid")
    assert sigmoid.verdict().findings[0].kind == "vanishing"
    history = sigmoid.history()
    assert diagnose.learning_speed(history).shape == (5, 10)
    assert diagnose.speed_ratio(history).shape == (5,)
    for fig in (plots.plot_learning_speed(history), plots.plot_update_ratios({"sigmoid": history}),
                plots.plot_activation_stats({"sigmoid": sigmoid.stats(), "last": sigmoid.stats(-1)})):
        assert fig.axes
        plt.close(fig)
    assert "layer" in str(sigmoid.stats()) and "step 4" in sigmoid.stats(-1).title


def test_activation_modules_give_saturated_and_dead_fractions_by_their_own_derivative(torch, tw):
    """Closed forms on a one-layer model: tanh' < 0.1 exactly where |z| > atanh(sqrt(0.9));
    a ReLU unit is dead when its pre-activation is <= 0 for every row."""
    nn = torch.nn
    z = torch.tensor([[-3.0, 0.5, -1.0], [2.0, -0.1, -2.0], [0.2, 1.9, -0.5]], dtype=torch.float64)
    for act, saturated, dead in ((nn.Tanh(), 4 / 9, 0.0), (nn.ReLU(), 0.0, 1 / 3),
                                 (nn.ReLU(inplace=True), 0.0, 1 / 3), (nn.LeakyReLU(0.0), 0.0, 1 / 3),
                                 (nn.LeakyReLU(0.1), 0.0, 0.0), (nn.Sigmoid(), 0.0, 0.0)):
        lin = nn.Linear(3, 3, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.eye(3, dtype=torch.float64))
            lin.bias.zero_()
        model = nn.Sequential(lin, act)
        with tw.watch(model) as watcher:
            loss = model(z).sum()
            loss.backward()
            watcher.step(loss)
        stats = watcher.stats()
        assert (stats.saturated[0], stats.dead[0]) == pytest.approx((saturated, dead), abs=1e-15), act
        H = act(z.clone())
        assert stats.act_mean[0] == pytest.approx(float(H.mean()), rel=1e-14)
        # sigmoid: sigma'(z) < 0.025 needs |z| > 3.64, and no entry is that far out
    assert math.atanh(math.sqrt(0.9)) < 2.0


def test_conv_and_recurrent_layers_are_watched_in_registration_order(torch, tw):
    nn = torch.nn
    torch.manual_seed(0)

    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(2, 4, 3, dtype=torch.float64)
            self.act = nn.ReLU()
            self.rnn = nn.RNN(4, 5, batch_first=True, dtype=torch.float64)
            self.lstm = nn.LSTM(5, 6, batch_first=True, dtype=torch.float64)
            self.gru = nn.GRU(6, 3, batch_first=True, dtype=torch.float64)
            self.out = nn.Linear(3, 1, dtype=torch.float64)

        def forward(self, x):
            h = self.act(self.conv(x)).transpose(1, 2)
            h, _ = self.gru(self.lstm(self.rnn(h)[0])[0])
            return self.out(h[:, -1])

    model = Mixed()
    x = torch.randn(5, 2, 9, dtype=torch.float64)
    with tw.watch(model) as watcher:
        loss = model(x).pow(2).mean()
        loss.backward()
        watcher.step(loss)
    assert watcher.layer_names == ["conv", "rnn", "lstm", "gru", "out"]
    history = watcher.history()
    assert history.layers == ("conv", "rnn", "lstm", "gru", "out")      # the printed table names them
    assert [line.split()[0] for line in str(history).splitlines()[-5:]] == ["conv", "rnn", "lstm", "gru", "out"]
    stats = watcher.stats()
    for name in STATS:
        assert np.all(np.isfinite(getattr(stats, name))), name
    rnn = model.rnn
    grad = math.sqrt(float(rnn.weight_ih_l0.grad.norm()) ** 2 + float(rnn.weight_hh_l0.grad.norm()) ** 2)
    assert stats.grad_norm[1] == pytest.approx(grad, rel=1e-12)


def test_a_forward_pass_without_gradients_is_not_recorded(torch, tw):
    model = deep_net(torch, "Tanh", depth=3)
    X, Y = batch(torch)
    with tw.watch(model) as watcher:
        loss = torch.nn.functional.mse_loss(model(X), Y)
        loss.backward()
        with torch.no_grad():
            model(100.0 * X)                   # an evaluation pass on other data: ignored
        watcher.step(loss)
    with torch.no_grad():
        H = torch.tanh(model[0](X))
    assert watcher.stats().act_mean[0] == pytest.approx(float(H.mean()), rel=1e-12)


# --- bad input and hooks -------------------------------------------------------------------

def hooks(model) -> int:
    modules = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    params = sum(len(p._backward_hooks or {}) for p in model.parameters())
    return modules + params


def test_close_and_the_with_block_remove_every_hook(torch, tw):
    model = deep_net(torch, depth=3)
    assert hooks(model) == 0
    watcher = tw.watch(model)
    assert hooks(model) > 0
    watcher.close()
    watcher.close()                                       # twice: harmless
    assert hooks(model) == 0
    with tw.watch(model):
        assert hooks(model) > 0
    assert hooks(model) == 0
    with pytest.raises(ValueError, match="closed"):
        watcher.step(1.0)


def test_watching_a_model_twice_is_refused_with_its_name(torch, tw):
    model = deep_net(torch, depth=3)
    with tw.watch(model):
        with pytest.raises(ValueError, match="Sequential is already watched"):
            tw.watch(model)
    tw.watch(model).close()                               # after closing: fine


def test_a_model_without_watchable_layers_is_refused_listing_the_types(torch, tw):
    nn = torch.nn
    with pytest.raises(ValueError, match="Linear, Conv1d, Conv2d, Conv3d, RNN, LSTM, GRU"):
        tw.watch(nn.Sequential(nn.ReLU(), nn.BatchNorm1d(3)))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        tw.watch([nn.Linear(2, 2)])


def test_layers_can_be_chosen_by_module_or_name_and_bad_choices_are_named(torch, tw):
    model = deep_net(torch, depth=4)
    with tw.watch(model, layers=["0", model[4]]) as watcher:
        assert watcher.layer_names == ["0", "4"]
    for bad, error, text in ((["7"], ValueError, "not a module name"),
                             ([model[1]], ValueError, r"layers\[0\] must be one of"),
                             ("0", TypeError, "list of modules"), (model[0], TypeError, "list of modules")):
        with pytest.raises(error, match=text):
            tw.watch(model, layers=bad)
    with pytest.raises(ValueError, match="listed twice"):
        tw.watch(model, layers=[model[0], "0"])
    with pytest.raises(ValueError, match="at least one"):
        tw.watch(model, layers=[])


def test_step_checks_its_loss_and_stats_its_step(torch, tw):
    model = deep_net(torch, depth=3)
    with tw.watch(model) as watcher:
        with pytest.raises(ValueError, match="no step recorded"):
            watcher.stats()
        with pytest.raises(TypeError, match="loss must be a number"):
            watcher.step("0.5")
        with pytest.raises(ValueError, match="loss must be one number"):
            watcher.step(torch.ones(2))
        loss = model(batch(torch)[0]).mean()
        loss.backward()
        watcher.step(loss)
        with pytest.raises(ValueError, match=r"step must be a recorded step in 0\.\.0"):
            watcher.stats(1)
        with pytest.raises(TypeError, match="step must be an integer"):
            watcher.stats(0.5)
    assert "1 steps" in repr(watcher) and "closed" in repr(watcher)


def test_the_example_in_watchs_docstring_runs_as_written(torch, tw, capsys):
    import textwrap
    example = textwrap.dedent(tw.watch.__doc__.split("see the module docstring)::")[1])
    model = deep_net(torch, "Tanh", depth=3)
    X, Y = batch(torch)
    namespace = {"torch": torch, "watch": tw.watch, "model": model, "X": X, "Y": Y,
                 "optimizer": torch.optim.SGD(model.parameters(), lr=0.1)}
    exec(compile(example, "watch.__doc__", "exec"), namespace)
    assert namespace["watcher"].steps == 1 and "layer" in capsys.readouterr().out
