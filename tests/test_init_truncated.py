"""Tests for the truncated-normal initializer and its std correction (vanishing.init)."""

import math

import numpy as np
import pytest

from vanishing.init import truncated_normal, truncated_std_ratio
from vanishing.mlp import MLP

# TensorFlow/Keras hard-code this constant (the std of N(0, 1) cut at +-2) to correct for truncation.
KNOWN_RATIO_AT_TWO = 0.87962566103423978


def numerical_std_ratio(cut, points=200_001):
    """sqrt(int u^2 phi / int phi) over [-cut, cut] by the trapezoid rule (independent of erf)."""
    u = np.linspace(-cut, cut, points)
    phi = np.exp(-0.5 * u * u)
    return math.sqrt(np.trapezoid(u * u * phi, u) / np.trapezoid(phi, u))


def test_std_ratio_at_two_std_is_0_8796():
    assert truncated_std_ratio(2.0) == pytest.approx(KNOWN_RATIO_AT_TWO, rel=1e-14)


@pytest.mark.parametrize("cut", [0.5, 1.0, 1.5, 2.0, 3.0, 5.0])
def test_std_ratio_matches_numerical_integration(cut):
    assert truncated_std_ratio(cut) == pytest.approx(numerical_std_ratio(cut), rel=1e-8)


def test_std_ratio_tends_to_one_for_a_wide_cut_and_to_uniform_for_a_narrow_one():
    assert truncated_std_ratio(10.0) == pytest.approx(1.0, abs=1e-15)
    b = 0.01                                       # nearly flat density: the uniform's b / sqrt(3)
    assert truncated_std_ratio(b) == pytest.approx(b / math.sqrt(3.0), rel=1e-4)


def test_std_ratio_grows_with_the_cut():
    ratios = [truncated_std_ratio(c) for c in (0.5, 1.0, 2.0, 3.0)]
    assert ratios == sorted(ratios) and ratios[-1] < 1.0


def draw(init, fan_in=400, fan_out=500, seed=0):
    return init(fan_in, fan_out, np.random.default_rng(seed))


def test_uncorrected_weights_are_narrower_by_the_ratio():
    W = draw(truncated_normal(0.1, cut=2.0, corrected=False))
    assert W.std() == pytest.approx(0.1 * KNOWN_RATIO_AT_TWO, rel=0.01)


def test_corrected_weights_have_the_requested_std():
    W = draw(truncated_normal(0.1, cut=2.0))
    assert W.std() == pytest.approx(0.1, rel=0.01)
    assert abs(W.mean()) < 0.01 * 0.1 * 5


@pytest.mark.parametrize("corrected", [True, False])
def test_draws_never_fall_outside_the_cut(corrected):
    cut = 1.5
    W = draw(truncated_normal(0.2, cut=cut, corrected=corrected))
    scale = 0.2 / truncated_std_ratio(cut) if corrected else 0.2
    assert np.abs(W).max() <= cut * scale
    assert np.abs(W).max() > 0.99 * cut * scale      # and the tails up to the cut are used


def test_weight_matrix_has_shape_fan_out_by_fan_in():
    assert draw(truncated_normal(0.1), fan_in=3, fan_out=7).shape == (7, 3)


def test_scheme_family_uses_that_schemes_variance():
    W = draw(truncated_normal("he"), fan_in=256, fan_out=300)
    assert W.std() == pytest.approx(math.sqrt(2.0 / 256), rel=0.01)
    W = draw(truncated_normal("xavier"), fan_in=200, fan_out=600)
    assert W.std() == pytest.approx(math.sqrt(2.0 / 800), rel=0.01)


def test_same_seed_gives_the_same_weights_and_another_seed_does_not():
    init = truncated_normal(0.1)
    assert np.array_equal(draw(init, seed=3), draw(init, seed=3))
    assert not np.array_equal(draw(init, seed=3), draw(init, seed=4))


def test_works_as_an_mlp_initializer_and_names_itself():
    net = MLP([8, 16, 1], activation="relu", init=truncated_normal("he", corrected=False), seed=0)
    assert net.weights[0].shape == (16, 8)
    assert "truncated_normal(he, cut=2, uncorrected)" in repr(net)


@pytest.mark.parametrize("cut, error", [(0.0, ValueError), (-1.0, ValueError), (math.inf, ValueError),
                                        ("2", TypeError)])
def test_bad_cut_is_rejected_with_its_name(cut, error):
    with pytest.raises(error, match="cut"):
        truncated_normal(0.1, cut=cut)


@pytest.mark.parametrize("std, error", [(-0.1, ValueError), (math.nan, ValueError), (None, TypeError)])
def test_bad_std_is_rejected_with_its_name(std, error):
    with pytest.raises(error, match="std"):
        truncated_normal(std)


def test_unknown_scheme_family_is_rejected_when_built():
    with pytest.raises(ValueError, match="scheme"):
        truncated_normal("glorious")
