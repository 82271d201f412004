"""Tests for the gain of an activation (vanishing.gain), against closed forms and mpmath."""

import math

import mpmath
import numpy as np
import pytest

from vanishing import activations
from vanishing.gain import gain, gain_normal


def mpmath_gain(f):
    """1 / sqrt(E[f(z)^2]) with mpmath's adaptive quadrature, split at the kink z = 0."""
    mpmath.mp.dps = 30
    density = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)   # noqa: E731
    moment = mpmath.quad(lambda z: f(z) ** 2 * density(z), [-mpmath.inf, 0, mpmath.inf])
    return float(1 / mpmath.sqrt(moment))


MP = {
    "linear": lambda z: z,
    "relu": lambda z: max(z, 0),
    "tanh": mpmath.tanh,
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "elu": lambda z: z if z > 0 else mpmath.expm1(z),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
}


@pytest.mark.parametrize("name", sorted(MP))
def test_gain_matches_mpmath_quadrature(name):
    assert gain(name) == pytest.approx(mpmath_gain(MP[name]), rel=1e-10)


def test_rectifier_gains_are_he_s_closed_form():
    assert gain("relu") == pytest.approx(math.sqrt(2.0), rel=1e-14)
    for a in (0.0, 0.01, 0.25, 0.5, 1.0, -0.3, 3.0):
        assert gain("prelu", slope=a) == pytest.approx(math.sqrt(2.0 / (1.0 + a * a)), rel=1e-14)
        assert gain("leaky_relu", slope=a) == gain("prelu", slope=a)
    assert gain("prelu") == gain("prelu", slope=0.25)              # He et al.'s starting slope
    assert gain("leaky_relu") == pytest.approx(math.sqrt(2.0 / (1.0 + 1e-4)), rel=1e-14)


def test_gain_agrees_with_pytorch_where_pytorch_derives_it():
    torch = pytest.importorskip("torch")
    for name, torch_name, slope in [("linear", "linear", None), ("relu", "relu", None),
                                    ("leaky_relu", "leaky_relu", 0.01), ("prelu", "leaky_relu", 0.25)]:
        expected = torch.nn.init.calculate_gain(torch_name, slope)
        assert gain(name, slope=slope) == pytest.approx(expected, rel=1e-12)
    # tanh and sigmoid: PyTorch's are conventions (5/3 and 1), not 1 / sqrt(E[f^2])
    assert torch.nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert abs(gain("tanh") - 5 / 3) > 0.05


def test_the_gain_keeps_a_unit_variance_through_one_wide_layer():
    rng = np.random.default_rng(0)
    for name in ("tanh", "sigmoid", "relu", "elu"):
        W = gain_normal(gain(name))(fan_in=2000, fan_out=500, rng=rng)
        z = rng.standard_normal((400, 2000))
        assert (activations.get(name)(z) @ W.T).var() == pytest.approx(1.0, rel=0.05)


def test_gain_normal_has_std_g_over_sqrt_fan_in():
    W = gain_normal(1.5)(fan_in=900, fan_out=800, rng=np.random.default_rng(1))
    assert W.shape == (800, 900)
    assert W.std() == pytest.approx(1.5 / 30.0, rel=0.01)


@pytest.mark.parametrize("call, parameter", [
    (lambda: gain("softmax"), "activation"),
    (lambda: gain(None), "activation"),
    (lambda: gain("tanh", slope=0.1), "slope"),
    (lambda: gain("prelu", slope=math.nan), "slope"),
    (lambda: gain_normal(0.0), "g"),
    (lambda: gain_normal("2"), "g"),
])
def test_bad_input_is_a_named_error(call, parameter):
    with pytest.raises((ValueError, TypeError), match=parameter):
        call()
