"""Activations: exact limits, the 1/4 bound, derivatives against finite differences, no warnings."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from vanishing import activations as act

# deterministic and stateless: the same examples every run, no .hypothesis/ folder
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)
ANY_FINITE = st.floats(allow_nan=False, allow_infinity=False)
REPRESENTABLE = st.floats(min_value=-699.99, max_value=699.99)   # e^-|z| is a normal float64
MODERATE = st.floats(min_value=-30.0, max_value=30.0)

FUNCTIONS = [act.sigmoid, act.sigmoid_prime, act.log10_sigmoid_prime, act.tanh, act.tanh_prime,
             act.log10_tanh_prime, act.relu, act.relu_prime, act.leaky_relu, act.leaky_relu_prime,
             act.elu, act.elu_prime, act.linear, act.linear_prime]


def strict_numpy():
    """Every floating-point event except underflow (the honest route to 0.0) raises."""
    return np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")


def central_difference(f, z):
    h = 1e-6 * max(1.0, abs(z))
    return (float(f(z + h)) - float(f(z - h))) / (2.0 * h)


def reference_sigmoid(z):
    """1/(1 + e^-z) with math.exp, written the other way round for z < 0 to avoid overflow."""
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


# --- sigmoid and its derivative -----------------------------------------------------------

def test_sigmoid_prime_peaks_at_one_quarter_at_zero():
    assert float(act.sigmoid_prime(0.0)) == 0.25
    grid = np.linspace(-10, 10, 20001)
    values = act.sigmoid_prime(grid)
    assert grid[np.argmax(values)] == 0.0
    assert values.max() == 0.25


@SETTINGS
@given(REPRESENTABLE)
@example(1.694384023208697e-15)                   # where e/(1 + e)^2 used to round above 1/4
def test_sigmoid_prime_is_positive_and_at_most_one_quarter(z):
    value = float(act.sigmoid_prime(z))
    assert 0.0 < value <= 0.25


def test_no_rounding_pushes_a_derivative_above_its_peak_near_zero():
    z = np.concatenate([np.logspace(-20, -1, 20001), -np.logspace(-20, -1, 20001)])
    assert act.sigmoid_prime(z).max() <= 0.25
    assert act.log10_sigmoid_prime(z).max() <= math.log10(0.25)
    assert act.tanh_prime(z).max() <= 1.0
    assert act.log10_tanh_prime(z).max() <= 0.0


@SETTINGS
@given(ANY_FINITE)
def test_sigmoid_prime_is_never_negative(z):
    assert float(act.sigmoid_prime(z)) >= 0.0


@SETTINGS
@given(ANY_FINITE)
def test_sigmoid_of_z_plus_sigmoid_of_minus_z_is_one(z):
    assert abs(float(act.sigmoid(z)) + float(act.sigmoid(-z)) - 1.0) <= 1e-15


@SETTINGS
@given(ANY_FINITE, ANY_FINITE)
def test_sigmoid_is_monotone(z1, z2):
    lo, hi = min(z1, z2), max(z1, z2)
    assert float(act.sigmoid(lo)) <= float(act.sigmoid(hi))


def test_sigmoid_is_nondecreasing_on_a_fine_grid():
    values = act.sigmoid(np.linspace(-50, 50, 100001))
    assert np.all(np.diff(values) >= 0.0)
    assert values[0] > 0.0 and values[-1] == 1.0


@SETTINGS
@given(st.floats(min_value=-700, max_value=700))
def test_sigmoid_matches_the_textbook_formula(z):
    assert float(act.sigmoid(z)) == pytest.approx(reference_sigmoid(z), rel=1e-14, abs=0)


@SETTINGS
@given(REPRESENTABLE)
def test_sigmoid_prime_equals_sigma_times_one_minus_sigma(z):
    s = reference_sigmoid(z)
    expected = s * (1.0 - s) if z <= 0 else reference_sigmoid(-z) * (1.0 - reference_sigmoid(-z))
    assert float(act.sigmoid_prime(z)) == pytest.approx(expected, rel=1e-13, abs=0)


@SETTINGS
@given(REPRESENTABLE)
def test_log10_sigmoid_prime_matches_log10_of_sigmoid_prime(z):
    assert float(act.log10_sigmoid_prime(z)) == pytest.approx(
        math.log10(float(act.sigmoid_prime(z))), rel=1e-12, abs=1e-12)


def test_log10_sigmoid_prime_stays_finite_where_sigmoid_prime_underflows():
    z = 1e4
    assert float(act.sigmoid_prime(z)) == 0.0
    # sigma'(z) = e^-z / (1 + e^-z)^2, so log10 sigma'(z) = -z log10(e) up to a term far below rounding
    assert float(act.log10_sigmoid_prime(z)) == pytest.approx(-z * math.log10(math.e), rel=1e-15, abs=0)
    assert float(act.log10_sigmoid_prime(-z)) == float(act.log10_sigmoid_prime(z))


def test_sigmoid_reaches_its_limits_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with strict_numpy():
            assert float(act.sigmoid(-1e4)) == 0.0
            assert float(act.sigmoid(1e4)) == 1.0
            assert float(act.sigmoid_prime(-1e4)) == 0.0
            assert float(act.sigmoid_prime(1e4)) == 0.0
            assert float(act.sigmoid(-745.0)) > 0.0            # the deep tail keeps relative precision
            assert float(act.sigmoid(-700.0)) == pytest.approx(math.exp(-700.0), rel=1e-13, abs=0)


def test_elu_and_tanh_prime_take_huge_arguments_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with strict_numpy():
            assert float(act.elu(1e4)) == 1e4
            assert float(act.elu(-1e4)) == -1.0
            assert float(act.elu_prime(-1e4)) == 0.0
            assert float(act.tanh_prime(1e4)) == 0.0
            assert float(act.tanh_prime(-1e4)) == 0.0
            assert float(act.tanh_prime(1.7e308)) == 0.0
            assert np.isfinite(act.log10_tanh_prime(1.7e308))


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@settings(SETTINGS, max_examples=25)
@given(z=ANY_FINITE)
@example(z=1.7976931348623157e308)
@example(z=-1e4)
@example(z=5e-324)
def test_no_numpy_warning_for_any_finite_input(f, z):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with strict_numpy():
            value = f(z)
            batch = f(np.array([z, -z, 0.0]))
    assert not np.isnan(value)
    assert batch.shape == (3,) and batch.dtype == np.float64


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_functions_keep_the_shape_and_return_float64(f):
    z = np.arange(-6, 6).reshape(3, 4)            # integers in, float64 out
    out = f(z)
    assert out.shape == (3, 4) and out.dtype == np.float64


@pytest.mark.parametrize("f", [act.sigmoid, act.tanh_prime, act.relu], ids=lambda f: f.__name__)
def test_a_non_numeric_input_is_a_type_error_naming_z(f):
    with pytest.raises(TypeError, match="z must be a number"):
        f("one")


# --- tanh ---------------------------------------------------------------------------------

def test_tanh_prime_peaks_at_one_at_zero():
    assert float(act.tanh_prime(0.0)) == 1.0
    grid = np.linspace(-5, 5, 10001)
    assert grid[np.argmax(act.tanh_prime(grid))] == 0.0


@SETTINGS
@given(st.floats(min_value=-350, max_value=350))
def test_tanh_prime_is_positive_at_most_one_and_equals_one_minus_tanh_squared(z):
    value = float(act.tanh_prime(z))
    assert 0.0 < value <= 1.0
    if abs(z) < 3:                                  # where 1 - tanh^2 does not cancel
        assert value == pytest.approx(1.0 - math.tanh(z) ** 2, rel=1e-12, abs=0)


@SETTINGS
@given(st.floats(min_value=-350, max_value=350))
def test_log10_tanh_prime_matches_log10_of_tanh_prime(z):
    assert float(act.log10_tanh_prime(z)) == pytest.approx(
        math.log10(float(act.tanh_prime(z))), rel=1e-12, abs=1e-12)


@SETTINGS
@given(st.floats(min_value=-300, max_value=300))
def test_tanh_is_a_rescaled_sigmoid(z):
    assert float(act.tanh(z)) == pytest.approx(2.0 * float(act.sigmoid(2.0 * z)) - 1.0, abs=1e-15)


# --- every derivative against a finite difference ---------------------------------------

KINKED = {"relu", "leaky_relu", "elu"}


@pytest.mark.parametrize("name", act.names())
@settings(SETTINGS, max_examples=40)
@given(z=MODERATE)
def test_each_derivative_matches_a_central_difference_of_its_function(name, z):
    a = act.get(name)
    if name in KINKED:
        assume(abs(z) > 1e-4)                        # not across the kink at 0
    assert float(a.prime(z)) == pytest.approx(central_difference(a.f, z), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", act.names())
def test_prime_from_the_output_equals_prime_of_z(name):
    """The MLP's backward pass uses prime_from(f(z)); it must be the same derivative,
    at the kink z = 0 and on both sides of it too."""
    a = act.get(name)
    z = np.concatenate([np.linspace(-8, 8, 161), [-1e-3, 1e-3, -1e-300, 1e-300, 0.0]])
    np.testing.assert_allclose(a.prime_from(a.f(z)), a.prime(z), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name", act.names())
def test_log10_prime_of_each_activation_is_log10_of_its_prime(name):
    a = act.get(name)
    z = np.linspace(-20, 20, 81)
    with np.errstate(divide="ignore"):               # log10(0) = -inf for an off ReLU
        expected = np.log10(a.prime(z))
    np.testing.assert_allclose(a.log10_prime(z), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", act.names())
def test_peak_prime_is_the_largest_derivative(name):
    a = act.get(name)
    values = a.prime(np.linspace(-20, 20, 4001))
    assert values.max() == pytest.approx(a.peak_prime, rel=1e-12, abs=0)


def test_only_sigmoid_and_tanh_saturate():
    assert {n for n in act.names() if act.get(n).saturates} == {"sigmoid", "tanh"}


def test_relu_prime_is_zero_at_the_kink_and_one_for_positive_z():
    assert act.relu_prime(np.array([-1.0, 0.0, 1e-300, 5.0])).tolist() == [0.0, 0.0, 1.0, 1.0]


def test_leaky_relu_keeps_a_slope_alpha_for_negative_z():
    assert act.leaky_relu_prime(np.array([-3.0, 0.0, 2.0])).tolist() == [0.01, 0.01, 1.0]
    assert float(act.leaky_relu(-3.0, alpha=0.2)) == pytest.approx(-0.6)
    assert float(act.leaky_relu_prime(-3.0, alpha=0.2)) == 0.2


def test_elu_is_continuous_with_a_continuous_derivative_at_zero():
    assert float(act.elu(-1e-12)) == pytest.approx(0.0, abs=1e-11)
    assert float(act.elu_prime(-1e-12)) == pytest.approx(float(act.elu_prime(1e-12)), abs=1e-11)
    assert float(act.elu(-2.0, alpha=0.5)) == pytest.approx(0.5 * (math.exp(-2.0) - 1.0))


def test_linear_returns_a_copy_and_slope_one():
    z = np.array([1.0, -2.0])
    out = act.linear(z)
    out[0] = 99.0
    assert z[0] == 1.0
    assert act.linear_prime(z).tolist() == [1.0, 1.0]


# --- the registry -------------------------------------------------------------------------

def test_names_lists_every_registered_activation():
    assert act.names() == ["elu", "leaky_relu", "linear", "relu", "sigmoid", "tanh"]
    for name in act.names():
        assert act.get(name).name == name


def test_an_unknown_activation_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="activation must be one of") as info:
        act.get("swish")
    for name in act.names():
        assert name in str(info.value)
    assert "'swish'" in str(info.value)


def test_the_error_names_the_callers_parameter():
    with pytest.raises(ValueError, match="output_activation must be one of"):
        act.get("softmax", "output_activation")


def test_a_non_string_activation_is_a_type_error():
    with pytest.raises(TypeError, match="activation must be a name"):
        act.get(3)


def test_get_passes_an_activation_object_through_and_calls_it():
    sig = act.get("sigmoid")
    assert act.get(sig) is sig
    assert float(sig(0.0)) == 0.5
    assert "sigmoid" in repr(sig)
