"""Adam and gradient_angle (appended to vanishing.optim for the recurrent lessons)."""

import math

import numpy as np
import pytest

from vanishing import optim


def test_adam_updates_the_parameters_in_place_so_a_network_sees_them():
    W = np.ones((2, 2))
    view = W[0]                                   # a view, like the LSTM's per-gate parameters
    opt = optim.Adam([view], lr=0.5)
    opt.step([np.array([1.0, -1.0])])
    np.testing.assert_allclose(W, [[0.5, 1.5], [1.0, 1.0]], rtol=1e-7)


def test_adam_step_size_does_not_depend_on_the_gradient_scale():
    steps = []
    for scale in (1e-12, 1.0, 1e12):
        theta = np.zeros(3)
        opt = optim.Adam([theta], lr=0.01)
        for _ in range(5):
            opt.step([scale * np.array([1.0, -2.0, 0.5])])
        steps.append(theta.copy())
    np.testing.assert_allclose(steps[1], steps[2], rtol=1e-7)       # eps = 1e-8 aside
    # only eps = 1e-8 matters, once the gradient is far below it
    assert np.all(np.abs(steps[0]) < 1e-3 * np.abs(steps[1]))


def test_adam_minimises_a_badly_scaled_quadratic():
    theta = np.array([3.0, -2.0])
    curvature = np.array([1e-3, 1e3])
    opt = optim.Adam([theta], lr=0.05)
    for _ in range(400):
        opt.step([curvature * theta])
    assert np.all(np.abs(theta) < 0.05), f"Adam should reach the minimum, got {theta}"


def test_adam_rejects_a_gradient_of_the_wrong_shape():
    opt = optim.Adam([np.zeros((2, 3))], lr=0.1)
    with pytest.raises(ValueError, match=r"grads\[0\] must have the shape"):
        opt.step([np.zeros(3)])
    with pytest.raises(ValueError, match="grads must hold 1 arrays"):
        opt.step([])


def test_value_clipping_changes_the_direction_and_norm_clipping_does_not():
    g = [np.array([10.0, 0.5]), np.array([[0.2]])]
    by_norm, _ = optim.clip_by_global_norm(g, max_norm=1.0)
    by_value = optim.clip_by_value(g, clip_value=1.0)
    assert optim.gradient_angle(g, by_norm) == pytest.approx(0.0, abs=1e-6)
    expected = math.degrees(math.acos((10 * 1 + 0.5 * 0.5 + 0.2 * 0.2)
                                      / (math.sqrt(100.29) * math.sqrt(1.29))))
    assert optim.gradient_angle(g, by_value) == pytest.approx(expected, rel=1e-10)


def test_gradient_angle_is_accurate_near_zero_where_arccos_is_not():
    a = np.array([1.0, 0.0])
    b = np.array([1.0, 1e-10])
    naive = math.degrees(math.acos(min(1.0, float(a @ b / np.linalg.norm(b)))))
    assert naive == 0.0                           # arccos of a number rounded to 1
    assert optim.gradient_angle([a], [b]) == pytest.approx(math.degrees(1e-10), rel=1e-6)


def test_gradient_angle_rejects_non_finite_gradients():
    with pytest.raises(ValueError, match="finite"):
        optim.gradient_angle([np.array([np.inf, 1.0])], [np.ones(2)])
