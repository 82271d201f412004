"""The training loop: what it records equals what the network computes, updates are SGD steps."""

import copy

import numpy as np
import pytest

from vanishing import init, losses, optim
from vanishing.mlp import MLP
from vanishing.train import TrainingHistory, fit


def regression_data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.sin(X[:, :1]) + 0.5 * X[:, 1:2]
    return X, Y


def small_net(**kwargs):
    options = {"activation": "tanh", "init": "xavier_normal", "seed": 0, **kwargs}
    return MLP([3, 8, 8, 1], **options)


def test_training_reduces_the_loss():
    X, Y = regression_data()
    h = fit(small_net(), X, Y, steps=100, lr=0.1)
    assert isinstance(h, TrainingHistory)
    assert h.steps == 100 and h.diverged_at is None
    assert h.loss[-1] < 0.5 * h.loss[0]


def test_the_first_record_is_the_loss_and_gradients_of_the_initial_network():
    X, Y = regression_data()
    net = small_net()
    initial = copy.deepcopy(net)
    h = fit(net, X, Y, steps=3, lr=0.05)
    value, g = losses.mse(initial.forward(X), Y)
    grads = initial.backward(g)
    assert h.loss[0] == pytest.approx(value, rel=1e-13, abs=0)
    assert h.global_norm[0] == pytest.approx(optim.global_norm(grads.as_list()), rel=1e-13, abs=0)
    for l in range(initial.depth):
        assert h.grad_norm[0, l] == pytest.approx(np.linalg.norm(grads.W[l]), rel=1e-13, abs=0)
        assert h.delta_rms[0, l] == pytest.approx(np.sqrt(np.mean(grads.delta[l] ** 2)), rel=1e-13, abs=0)
        ratio = 0.05 * np.linalg.norm(grads.W[l]) / np.linalg.norm(initial.weights[l])
        assert h.update_ratio[0, l] == pytest.approx(ratio, rel=1e-13, abs=0)
    assert h.grad_norm.shape == h.delta_rms.shape == h.update_ratio.shape == (3, 3)
    assert h.global_norm.shape == h.loss.shape == (3,)


def test_one_training_step_is_one_sgd_step_on_every_parameter():
    X, Y = regression_data()
    net = small_net(batchnorm=True)
    initial = copy.deepcopy(net)
    fit(net, X, Y, steps=1, lr=0.1)
    _, g = losses.mse(initial.forward(X), Y)
    grads = initial.backward(g)
    for after, before, grad in zip(net.parameters(), initial.parameters(), grads.as_list()):
        np.testing.assert_allclose(after, before - 0.1 * grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_a_tiny_step_lowers_the_loss_by_lr_times_the_squared_gradient_norm(batchnorm):
    """First-order Taylor: L(theta - lr g) = L(theta) - lr |g|^2 + O(lr^2); wrong gradients break it."""
    X, Y = regression_data()
    lr = 1e-6
    h = fit(small_net(batchnorm=batchnorm), X, Y, steps=2, lr=lr)
    predicted = lr * h.global_norm[0] ** 2
    assert (h.loss[0] - h.loss[1]) / predicted == pytest.approx(1.0, rel=1e-4, abs=0)


def test_clipping_by_global_norm_limits_the_whole_update():
    X, Y = regression_data()
    net = small_net(init=init.normal(2.0))
    before = [p.copy() for p in net.parameters()]
    h = fit(net, X, Y, steps=1, lr=0.1, clip_norm=0.01)
    assert h.global_norm[0] > 0.01                                 # the clip was active
    step = optim.global_norm([a - b for a, b in zip(net.parameters(), before)])
    assert step == pytest.approx(0.1 * 0.01, rel=1e-10, abs=0)


def test_clipping_by_value_limits_every_entry_of_the_update():
    X, Y = regression_data()
    net = small_net(init=init.normal(2.0))
    before = [p.copy() for p in net.parameters()]
    fit(net, X, Y, steps=1, lr=0.1, clip_value=1e-3)
    largest = max(np.abs(a - b).max() for a, b in zip(net.parameters(), before))
    assert largest == pytest.approx(0.1 * 1e-3, rel=1e-10, abs=0)


def test_momentum_is_passed_to_the_optimiser():
    X, Y = regression_data()
    plain, heavy = small_net(), small_net()
    fit(plain, X, Y, steps=3, lr=0.05)
    fit(heavy, X, Y, steps=3, lr=0.05, momentum=0.9)
    assert not np.allclose(plain.weights[0], heavy.weights[0])


def test_cross_entropy_training_separates_two_blobs():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(-2, 1, (20, 3)), rng.normal(2, 1, (20, 3))])
    Y = np.repeat([[0.0], [1.0]], 20, axis=0)
    net = MLP([3, 8, 1], activation="relu", init="he_normal", seed=0)
    h = fit(net, X, Y, steps=60, lr=0.5, loss="bce_with_logits")
    assert h.loss[-1] < 0.2 < h.loss[0]
    assert np.mean((net.forward(X) > 0) == (Y > 0.5)) > 0.95


def test_minibatches_are_seeded():
    X, Y = regression_data(64)
    runs = [fit(small_net(), X, Y, steps=5, lr=0.1, batch_size=8, seed=s).loss for s in (3, 3, 4)]
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])
    big = fit(small_net(), X, Y, steps=2, lr=0.1, batch_size=1000)   # more than the data: all of it
    assert big.loss[0] == fit(small_net(), X, Y, steps=1, lr=0.1).loss[0]


def test_a_diverging_run_stops_at_the_first_non_finite_loss_without_warnings():
    X, Y = regression_data()
    net = MLP([3, 8, 8, 1], activation="relu", init=init.normal(5.0), seed=0)
    h = fit(net, X, Y, steps=200, lr=3.0)
    assert h.diverged_at is not None and h.diverged_at < 200
    assert h.steps == h.diverged_at == len(h.global_norm) == h.grad_norm.shape[0]
    assert np.all(np.isfinite(h.loss)) and np.all(np.isfinite(h.grad_norm))
    assert f"diverged (loss not finite) at step {h.diverged_at}" in str(h)


def test_a_run_that_diverges_at_step_zero_still_prints():
    net = MLP([3, 4, 1], activation="linear", init=init.normal(1e200), seed=0)
    X, Y = regression_data()
    h = fit(net, X, Y, steps=5, lr=0.1)
    assert h.diverged_at == 0 and h.steps == 0 and h.grad_norm.shape == (0, 2)
    assert str(h).splitlines()[0] == "TrainingHistory: 0 steps, diverged (loss not finite) at step 0"


def test_the_summary_names_the_first_and_last_loss():
    X, Y = regression_data()
    h = fit(small_net(), X, Y, steps=4, lr=0.1)
    lines = str(h).splitlines()
    assert lines[0] == f"TrainingHistory: 4 steps, loss {h.loss[0]:.4g} -> final loss {h.loss[-1]:.4g}"
    assert len(lines) == 2 + 1 + 3, "a title, the header and its rule, one row per layer"
    assert lines[-1].split()[:2] == ["3", f"{h.grad_norm[0, 2]:.3e}"]


@pytest.mark.parametrize("kwargs,error,message", [
    ({"steps": 0}, ValueError, "steps must be an integer >= 1"),
    ({"steps": 2.5}, TypeError, "steps must be an integer"),
    ({"X": np.ones(32)}, ValueError, "X must be a 2-d array"),
    ({"Y": np.full((32, 1), np.nan)}, ValueError, "Y must contain only finite numbers"),
    ({"Y": np.ones((31, 1))}, ValueError, "Y must have shape"),
    ({"Y": np.ones((32, 2))}, ValueError, "Y must have shape"),
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
    ({"loss": "hinge"}, ValueError, "loss must be one of"),
    ({"lr": 0.0}, ValueError, "lr must be > 0"),
    ({"momentum": 1.0}, ValueError, "momentum must be in"),
    ({"clip_norm": 0.0}, ValueError, "clip_norm must be > 0"),
    ({"clip_norm": -1.0}, ValueError, "clip_norm must be > 0"),
    ({"clip_value": 0.0}, ValueError, "clip_value must be > 0"),
    ({"clip_value": np.inf}, ValueError, "clip_value must be finite"),
])
def test_bad_arguments_are_rejected_by_name(kwargs, error, message):
    X, Y = regression_data()
    args = {"model": small_net(), "X": X, "Y": Y, "steps": 2, "lr": 0.1, **kwargs}
    with pytest.raises(error, match=message):
        fit(**args)
