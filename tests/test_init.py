"""Initialisation schemes: the variance each one targets, shapes, and clear errors."""

import math

import numpy as np
import pytest

from vanishing import init
from vanishing.init import truncated_normal, truncated_std_ratio
from vanishing.mlp import MLP

FAN_IN, FAN_OUT = 300, 500          # 150,000 draws: the sample variance is within about 0.4% (1 sd)
NORMAL_SCHEMES = ["xavier_normal", "glorot_normal", "he_normal", "kaiming_normal", "lecun_normal"]
UNIFORM_SCHEMES = ["xavier_uniform", "glorot_uniform", "he_uniform", "kaiming_uniform"]


def draw(scheme, fan_in=FAN_IN, fan_out=FAN_OUT, seed=0):
    return init.initializer(scheme)(fan_in, fan_out, np.random.default_rng(seed))


def test_variance_formulas_of_each_family():
    assert init.variance("xavier_normal", 300, 500) == 2.0 / 800
    assert init.variance("glorot_uniform", 300, 500) == 2.0 / 800
    assert init.variance("he_normal", 300, 500) == 2.0 / 300
    assert init.variance("kaiming_uniform", 300, 500) == 2.0 / 300
    assert init.variance("lecun_normal", 300, 500) == 1.0 / 300


def test_variance_of_an_unknown_scheme_names_the_parameter():
    with pytest.raises(ValueError, match="scheme must be"):
        init.variance("orthogonal", 3, 3)


@pytest.mark.parametrize("scheme", init.names())
def test_each_scheme_draws_a_fan_out_by_fan_in_matrix(scheme):
    assert draw(scheme, fan_in=7, fan_out=3).shape == (3, 7)


@pytest.mark.parametrize("scheme", NORMAL_SCHEMES + UNIFORM_SCHEMES)
def test_sample_variance_is_within_three_percent_of_the_target(scheme):
    W = draw(scheme)
    target = init.variance(scheme, FAN_IN, FAN_OUT)
    assert W.var() == pytest.approx(target, rel=0.03)
    assert abs(W.mean()) < 4 * math.sqrt(target / W.size)        # zero mean, 4 standard errors


@pytest.mark.parametrize("scheme", UNIFORM_SCHEMES)
def test_uniform_schemes_stay_within_their_bound_and_fill_it(scheme):
    W = draw(scheme)
    bound = math.sqrt(3.0 * init.variance(scheme, FAN_IN, FAN_OUT))
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.99 * bound


@pytest.mark.parametrize("scheme", NORMAL_SCHEMES)
def test_normal_schemes_have_gaussian_tails(scheme):
    """About 0.27% of a Gaussian lies beyond 3 standard deviations; a uniform has none there."""
    W = draw(scheme)
    beyond = np.mean(np.abs(W) > 3 * math.sqrt(init.variance(scheme, FAN_IN, FAN_OUT)))
    assert 0.001 < beyond < 0.005


def test_he_draws_twice_the_variance_of_lecun_and_xavier_depends_on_both_fans():
    assert draw("he_normal").var() / draw("lecun_normal").var() == pytest.approx(2.0, rel=0.03)
    wide_out = draw("xavier_normal", fan_in=100, fan_out=1900).var()
    assert wide_out == pytest.approx(2.0 / 2000, rel=0.03)


def test_aliases_are_the_same_scheme():
    for a, b in [("glorot_normal", "xavier_normal"), ("glorot_uniform", "xavier_uniform"),
                 ("kaiming_normal", "he_normal"), ("kaiming_uniform", "he_uniform")]:
        assert init.initializer(a) is init.initializer(b)


def test_a_scheme_is_reproducible_from_the_generator_seed():
    np.testing.assert_array_equal(draw("he_normal", seed=3), draw("he_normal", seed=3))
    assert not np.array_equal(draw("he_normal", seed=3), draw("he_normal", seed=4))


def test_constant_fills_every_weight():
    W = init.constant(0.1)(4, 2, np.random.default_rng(0))
    assert W.shape == (2, 4) and np.all(W == 0.1)


def test_normal_has_the_requested_standard_deviation_whatever_the_fans():
    W = init.normal(0.05)(FAN_IN, FAN_OUT, np.random.default_rng(0))
    assert W.std() == pytest.approx(0.05, rel=0.02)


def test_uniform_stays_within_its_limit_with_variance_r_squared_over_three():
    W = init.uniform(0.2)(FAN_IN, FAN_OUT, np.random.default_rng(0))
    assert np.abs(W).max() <= 0.2
    assert W.var() == pytest.approx(0.2 ** 2 / 3, rel=0.03)


@pytest.mark.parametrize("factory,param", [(init.normal, "std"), (init.uniform, "limit")])
def test_negative_spreads_are_rejected_by_name(factory, param):
    with pytest.raises(ValueError, match=f"{param} must be >= 0"):
        factory(-0.1)


@pytest.mark.parametrize("factory,param", [(init.constant, "value"), (init.normal, "std"),
                                           (init.uniform, "limit")])
def test_non_finite_or_non_numeric_arguments_are_rejected_by_name(factory, param):
    with pytest.raises(ValueError, match=f"{param} must be finite"):
        factory(math.inf)
    with pytest.raises(TypeError, match=param):
        factory("0.1")


def test_names_resolve_and_are_sorted():
    assert init.names() == sorted(init.names())
    assert {"xavier_normal", "he_uniform", "lecun_normal"} <= set(init.names())
    for name in init.names():
        assert callable(init.initializer(name))


def test_an_unknown_scheme_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="init must be one of") as info:
        init.initializer("he")
    assert all(name in str(info.value) for name in init.names())


def test_a_non_string_non_callable_init_is_a_type_error():
    with pytest.raises(TypeError, match="init must be a scheme name"):
        init.initializer(0.1)


def test_a_callable_is_passed_through():
    def mine(fan_in, fan_out, rng):
        return np.zeros((fan_out, fan_in))
    assert init.initializer(mine) is mine


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


def draw_truncated(init, fan_in=400, fan_out=500, seed=0):
    return init(fan_in, fan_out, np.random.default_rng(seed))


def test_uncorrected_weights_are_narrower_by_the_ratio():
    W = draw_truncated(truncated_normal(0.1, cut=2.0, corrected=False))
    assert W.std() == pytest.approx(0.1 * KNOWN_RATIO_AT_TWO, rel=0.01)


def test_corrected_weights_have_the_requested_std():
    W = draw_truncated(truncated_normal(0.1, cut=2.0))
    assert W.std() == pytest.approx(0.1, rel=0.01)
    assert abs(W.mean()) < 0.01 * 0.1 * 5


@pytest.mark.parametrize("corrected", [True, False])
def test_draws_never_fall_outside_the_cut(corrected):
    cut = 1.5
    W = draw_truncated(truncated_normal(0.2, cut=cut, corrected=corrected))
    scale = 0.2 / truncated_std_ratio(cut) if corrected else 0.2
    assert np.abs(W).max() <= cut * scale
    assert np.abs(W).max() > 0.99 * cut * scale      # and the tails up to the cut are used


def test_weight_matrix_has_shape_fan_out_by_fan_in():
    assert draw_truncated(truncated_normal(0.1), fan_in=3, fan_out=7).shape == (7, 3)


def test_scheme_family_uses_that_schemes_variance():
    W = draw_truncated(truncated_normal("he"), fan_in=256, fan_out=300)
    assert W.std() == pytest.approx(math.sqrt(2.0 / 256), rel=0.01)
    W = draw_truncated(truncated_normal("xavier"), fan_in=200, fan_out=600)
    assert W.std() == pytest.approx(math.sqrt(2.0 / 800), rel=0.01)


def test_same_seed_gives_the_same_weights_and_another_seed_does_not():
    init = truncated_normal(0.1)
    assert np.array_equal(draw_truncated(init, seed=3), draw_truncated(init, seed=3))
    assert not np.array_equal(draw_truncated(init, seed=3), draw_truncated(init, seed=4))


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
