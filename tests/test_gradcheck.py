"""Finite differences: exact enough to check a gradient, and able to catch a wrong one."""

import math

import numpy as np
import pytest

from vanishing.gradcheck import numerical_gradient, relative_error


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
