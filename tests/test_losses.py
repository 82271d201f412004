"""Losses: values from the textbook formulas, gradients against finite differences, stable extremes."""

import math

import numpy as np
import pytest

from vanishing import losses
from vanishing.gradcheck import numerical_gradient, relative_error


def sample(seed=0, shape=(6, 3)):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape) * 2.0, rng.uniform(size=shape)


def test_mse_is_the_mean_of_squared_differences():
    value, grad = losses.mse([[1.0, 2.0], [3.0, -1.0]], [[0.0, 0.0], [1.0, 1.0]])
    assert value == (1 + 4 + 4 + 4) / 4
    assert grad.tolist() == [[0.5, 1.0], [1.0, -1.0]]        # 2 (p - t) / N


def test_mse_gradient_matches_central_differences():
    pred, target = sample()
    _, grad = losses.mse(pred, target)
    numeric = numerical_gradient(lambda: losses.mse(pred, target)[0], pred)
    assert relative_error(grad, numeric) < 1e-6


def test_bce_with_logits_equals_the_cross_entropy_of_the_sigmoid():
    logits, labels = sample()
    value, _ = losses.bce_with_logits(logits, labels)
    expected = 0.0
    for z, y in zip(logits.ravel(), labels.ravel()):
        p = 1.0 / (1.0 + math.exp(-z))
        expected -= y * math.log(p) + (1 - y) * math.log(1 - p)
    assert value == pytest.approx(expected / logits.size, rel=1e-12, abs=0)


@pytest.mark.parametrize("label", [0.0, 1.0, "soft"])
def test_bce_with_logits_gradient_matches_central_differences(label):
    logits, soft = sample(1)
    labels = soft if label == "soft" else np.full_like(soft, label)
    _, grad = losses.bce_with_logits(logits, labels)
    numeric = numerical_gradient(lambda: losses.bce_with_logits(logits, labels)[0], logits)
    assert relative_error(grad, numeric) < 1e-6
    np.testing.assert_allclose(grad, (1 / (1 + np.exp(-logits)) - labels) / logits.size, rtol=1e-12)


def test_bce_with_logits_is_stable_for_huge_logits():
    value, grad = losses.bce_with_logits([[1000.0, -1000.0]], [[1.0, 0.0]])
    assert value == 0.0 and grad.tolist() == [[0.0, 0.0]]
    value, grad = losses.bce_with_logits([[-1000.0]], [[1.0]])     # confidently wrong
    assert value == pytest.approx(1000.0, rel=1e-15, abs=0)
    assert grad.tolist() == [[-1.0]]


def test_a_perfect_prediction_has_zero_loss_and_zero_gradient():
    value, grad = losses.mse(np.ones((2, 2)), np.ones((2, 2)))
    assert value == 0.0 and not grad.any()


@pytest.mark.parametrize("loss", [losses.mse, losses.bce_with_logits])
def test_a_target_of_another_shape_is_rejected(loss):
    with pytest.raises(ValueError, match=r"target must have the (prediction|logits)'s shape \(2, 1\)"):
        loss(np.zeros((2, 1)), np.zeros((1, 2)))


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_bce_needs_labels_in_zero_one(bad):
    with pytest.raises(ValueError, match=r"target must hold labels in \[0, 1\]"):
        losses.bce_with_logits(np.zeros((1, 2)), np.array([[0.0, bad]]))


def test_get_returns_a_loss_by_name_and_passes_callables_through():
    assert losses.names() == ["bce_with_logits", "mse"]
    assert losses.get("mse") is losses.mse
    assert losses.get(losses.bce_with_logits) is losses.bce_with_logits


def test_an_unknown_loss_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"loss must be one of \['bce_with_logits', 'mse'\]"):
        losses.get("hinge")
