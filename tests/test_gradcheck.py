"""Finite differences: exact enough to check a gradient, and able to catch a wrong one."""

import math

import numpy as np
import pytest

from vanishing.chain import chain_output, trace_chain
from vanishing.gradcheck import (
    FINE,
    WRONG,
    StepScan,
    classify_error,
    error_vs_step,
    nearest_kink,
    numerical_gradient,
    optimal_step,
    relative_error,
)


def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    theta = np.array([[1.0, -2.0], [0.5, 3.0]])
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(theta * (A @ theta))), theta)
    np.testing.assert_allclose(grad, (A + A.T) @ theta, rtol=1e-8)


def test_numerical_gradient_of_a_smooth_function_has_small_relative_error():
    theta = np.linspace(-2, 2, 7)
    grad = numerical_gradient(lambda: float(np.sum(np.sin(theta) * np.exp(theta))), theta)
    exact = (np.cos(theta) + np.sin(theta)) * np.exp(theta)
    assert relative_error(grad, exact) < 1e-9


def test_the_central_difference_error_shrinks_like_h_squared():
    theta = np.array([1.0])

    def error(h):
        return abs(numerical_gradient(lambda: math.exp(3 * theta[0]), theta, h=h)[0] - 3 * math.exp(3.0))

    assert error(1e-3) / error(1e-4) == pytest.approx(100.0, rel=0.05, abs=0)


def test_theta_is_restored_after_the_perturbations():
    theta = np.array([0.1, 0.2, 0.3])
    before = theta.copy()
    numerical_gradient(lambda: float(np.sum(theta ** 3)), theta)
    assert np.array_equal(theta, before)


def test_numerical_gradient_needs_a_float64_array_it_can_perturb():
    with pytest.raises(TypeError, match="theta must be a float64 NumPy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    with pytest.raises(TypeError, match="theta must be a float64 NumPy array"):
        numerical_gradient(lambda: 0.0, np.array([1, 2]))


def test_relative_error_is_zero_for_equal_gradients_and_symmetric():
    a, b = np.array([1.0, -2.0, 3.0]), np.array([1.1, -2.0, 2.9])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(a, b) == pytest.approx(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)),
                                                 rel=1e-15, abs=0)


def test_relative_error_is_scale_free():
    a, b = np.array([1.0, -2.0]), np.array([1.0, -2.2])
    assert relative_error(1e-200 * a, 1e-200 * b) == pytest.approx(relative_error(a, b), rel=1e-12, abs=0)


def test_relative_error_of_two_zero_gradients_is_zero_not_nan():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_relative_error_catches_a_factor_of_two_and_a_sign_flip():
    a = np.array([0.3, -0.7, 1.2])
    assert relative_error(a, 2 * a) == pytest.approx(1 / 3, rel=1e-12, abs=0)
    assert relative_error(a, -a) == 1.0


def test_relative_error_needs_equal_shapes():
    with pytest.raises(ValueError, match=r"a and b must have the same shape, got \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))


def test_relative_error_does_not_overflow_for_huge_gradients():
    a, b = np.array([1.0, -2.0]), np.array([1.0, -2.2])
    assert relative_error(1e200 * a, 1e200 * b) == pytest.approx(relative_error(a, b), rel=1e-12, abs=0)


# --- reading a relative error, the step h, kinks --------------------------------------------

def test_classify_error_uses_the_float64_thresholds_of_practice():
    assert (FINE, WRONG) == (1e-7, 1e-4)
    assert classify_error(0.0) == "fine"
    assert classify_error(0.99e-7) == "fine"
    assert classify_error(1e-7) == "suspicious"
    assert classify_error(1e-4) == "suspicious"
    assert classify_error(1.01e-4) == "wrong"
    assert classify_error(1.0) == "wrong"


@pytest.mark.parametrize("bad", [-1e-9, math.nan, math.inf])
def test_classify_error_rejects_what_is_not_a_relative_error(bad):
    with pytest.raises(ValueError, match="error"):
        classify_error(bad)


def test_optimal_step_is_the_cube_root_of_machine_epsilon():
    assert optimal_step() == pytest.approx(2.0 ** (-52 / 3), rel=1e-14)
    assert optimal_step(1e-6) == pytest.approx(1e-2, rel=1e-12)
    with pytest.raises(ValueError, match="eps"):
        optimal_step(0.0)


def test_optimal_step_minimises_the_error_model_up_to_its_constant():
    # E(h) = h^2/6 + eps/h with |f| = |f'''| = 1, minimised by brute force on a fine grid
    eps = float(np.finfo(np.float64).eps)
    h = np.logspace(-8, -3, 50_001)
    best = h[np.argmin(h ** 2 / 6 + eps / h)]
    assert best == pytest.approx((3 * eps) ** (1 / 3), rel=1e-3)
    assert 1 <= best / optimal_step() <= 3 ** (1 / 3) * 1.001


def test_error_vs_step_falls_like_h_squared_then_rises_like_one_over_h():
    theta = np.array([0.3, -0.7])
    scan = error_vs_step(lambda: float(np.sum(np.exp(theta))), theta, np.exp(theta),
                         [1e-2, 1e-3, 1e-10, 1e-12])
    e2, e3, e10, e12 = scan.errors
    assert e2 / e3 == pytest.approx(100.0, rel=0.02)          # truncation: slope 2
    assert e12 > 10 * e10 > 0                                   # rounding: grows as h shrinks
    assert isinstance(scan, StepScan) and scan.best_step == 1e-3


def test_error_vs_step_agrees_with_numerical_gradient_and_relative_error():
    theta = np.array([0.2, 0.5, -1.0])

    def f():
        return float(np.sum(np.sin(theta)))

    scan = error_vs_step(f, theta, np.cos(theta), [1e-4, 1e-6])
    for h, e in zip(scan.steps, scan.errors):
        assert e == relative_error(numerical_gradient(f, theta, h=h), np.cos(theta))


def test_the_bottom_of_the_measured_v_lies_within_a_decade_of_the_optimal_step():
    theta = np.array([1.0])
    scan = error_vs_step(lambda: math.exp(theta[0]), theta, np.exp(theta),
                         np.logspace(-1, -12, 45))
    assert abs(math.log10(scan.best_step / optimal_step())) <= 1.0
    assert scan.verdicts()[0] == "wrong"            # h = 0.1: truncation alone exceeds 1e-4


def test_error_vs_step_table_names_the_best_step_and_the_verdicts():
    theta = np.array([0.5])
    text = str(error_vs_step(lambda: float(np.exp(theta[0])), theta, np.exp(theta), [1e-1, 1e-5]))
    assert "smallest error at h = 1e-05" in text and "wrong" in text and "fine" in text


def test_error_vs_step_rejects_bad_steps_and_a_mismatched_gradient():
    theta = np.array([0.5, 1.0])

    def f():
        return float(np.sum(theta ** 2))

    with pytest.raises(ValueError, match=r"steps must all lie in \[1e-12, 1\]"):
        error_vs_step(f, theta, 2 * theta, [1e-3, 1e-14])
    with pytest.raises(ValueError, match="steps"):
        error_vs_step(f, theta, 2 * theta, [])
    with pytest.raises(ValueError, match="exact must have the shape of theta"):
        error_vs_step(f, theta, np.ones(3), [1e-3])
    with pytest.raises(TypeError, match="theta"):
        error_vs_step(f, [0.5, 1.0], 2 * theta, [1e-3])


def test_nearest_kink_is_the_smallest_absolute_preactivation_over_all_layers():
    rng = np.random.default_rng(0)
    layers = [rng.normal(size=(5, 4)), rng.normal(size=(5, 3)), rng.normal(size=(5, 1))]
    brute = min(abs(v) for z in layers for v in z.ravel())
    assert nearest_kink(layers) == brute
    assert nearest_kink(layers[1]) == np.min(np.abs(layers[1]))
    assert nearest_kink(-3.0) == 3.0


def test_nearest_kink_needs_numbers():
    with pytest.raises(ValueError, match="at least one number"):
        nearest_kink([np.zeros((0, 3))])
    with pytest.raises(ValueError, match="preactivations"):
        nearest_kink([np.array([1.0, math.nan])])
    with pytest.raises(TypeError, match="preactivations"):
        nearest_kink("relu")


def _relu_chain(bias_2):
    """A 3-layer ReLU chain with z_2 = 1.2 * a_1 + bias_2 (a_1 = 0.5), and its exact gradient."""
    weights, biases = np.array([0.5, 1.2, 0.8]), np.array([0.0, bias_2, 0.1])
    trace = trace_chain(3, weights, biases, x=1.0, activation="relu")
    return weights, biases, trace


def _numeric(weights, biases, h):
    return numerical_gradient(lambda: chain_output(weights, biases, x=1.0, activation="relu"),
                              weights, h=h)


def test_a_kink_within_h_makes_a_correct_relu_gradient_look_wrong_and_moving_off_fixes_it():
    h = 1e-5
    for offset, verdict in ((1e-9, "wrong"), (0.1, "fine")):
        weights, biases, trace = _relu_chain(-0.6 + offset)
        assert (nearest_kink(trace.z) < h) == (verdict == "wrong")
        error = relative_error(_numeric(weights, biases, h), trace.grad_w)
        assert classify_error(error) == verdict


def test_at_a_kink_the_central_difference_averages_the_two_slopes():
    weights, biases, trace = _relu_chain(-0.6 + 1e-9)
    numeric = _numeric(weights, biases, 1e-5)
    assert numeric[1] == pytest.approx(trace.grad_w[1] / 2, rel=1e-3)   # (1 + 0) / 2 of relu'
