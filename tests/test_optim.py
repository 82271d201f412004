"""Optimisers and clipping: the update formulas, in-place updates, direction, and clear errors."""

import math

import numpy as np
import pytest

from vanishing import optim


def grads_345():
    return [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]        # global norm 5


def test_global_norm_is_the_norm_of_all_entries_concatenated():
    rng = np.random.default_rng(0)
    gs = [rng.normal(size=(3, 4)), rng.normal(size=5), rng.normal(size=(2, 2, 2))]
    flat = np.concatenate([g.ravel() for g in gs])
    assert optim.global_norm(gs) == pytest.approx(math.sqrt(float(flat @ flat)), rel=1e-14, abs=0)
    assert optim.global_norm(grads_345()) == 5.0


def test_clip_by_global_norm_rescales_to_the_threshold_and_keeps_the_direction():
    clipped, norm = optim.clip_by_global_norm(grads_345(), max_norm=1.0)
    assert norm == 5.0                                              # reported before clipping
    assert optim.global_norm(clipped) == pytest.approx(1.0, rel=1e-15, abs=0)
    for c, g in zip(clipped, grads_345()):
        np.testing.assert_allclose(c, g / 5.0, rtol=1e-15)
    assert optim.gradient_angle(clipped, grads_345()) == pytest.approx(0.0, abs=1e-6)


def test_clip_by_global_norm_leaves_small_gradients_alone():
    clipped, norm = optim.clip_by_global_norm(grads_345(), max_norm=10.0)
    assert norm == 5.0
    assert all(np.array_equal(c, g) for c, g in zip(clipped, grads_345()))


def test_clip_by_global_norm_keeps_zero_gradients_zero_without_warnings():
    clipped, norm = optim.clip_by_global_norm([np.zeros(3)], max_norm=1.0)
    assert norm == 0.0 and np.array_equal(clipped[0], np.zeros(3))


def test_clip_by_value_clamps_each_entry_and_can_turn_the_direction():
    g = [np.array([0.5, -3.0]), np.array([10.0])]
    clipped = optim.clip_by_value(g, clip_value=1.0)
    assert [c.tolist() for c in clipped] == [[0.5, -1.0], [1.0]]
    assert optim.gradient_angle(clipped, g) > 10.0
    assert g[0].tolist() == [0.5, -3.0]                             # the input is not modified


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_clip_thresholds_must_be_positive(bad):
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        optim.clip_by_global_norm(grads_345(), bad)
    with pytest.raises(ValueError, match="clip_value must be > 0"):
        optim.clip_by_value(grads_345(), bad)


def test_clip_thresholds_must_be_finite_numbers():
    with pytest.raises(ValueError, match="max_norm must be finite"):
        optim.clip_by_global_norm(grads_345(), math.nan)
    with pytest.raises(TypeError, match="clip_value"):
        optim.clip_by_value(grads_345(), "1")


def test_sgd_step_is_theta_minus_lr_times_gradient_in_place():
    theta = np.array([1.0, -2.0])
    same = theta
    opt = optim.SGD([theta], lr=0.1)
    opt.step([np.array([0.5, -1.0])])
    assert same is theta
    np.testing.assert_allclose(theta, [0.95, -1.9], rtol=1e-15)


def test_sgd_momentum_accumulates_the_velocity():
    theta = np.array([0.0])
    opt = optim.SGD([theta], lr=0.1, momentum=0.9)
    opt.step([np.array([1.0])])                                     # v = 1
    opt.step([np.array([2.0])])                                     # v = 0.9 * 1 + 2 = 2.9
    assert theta[0] == pytest.approx(-0.1 * 1.0 - 0.1 * 2.9, rel=1e-14, abs=0)


def test_sgd_descends_a_quadratic_to_its_minimum():
    theta = np.array([3.0, -4.0])
    opt = optim.SGD([theta], lr=0.1, momentum=0.5)
    for _ in range(200):
        opt.step([2.0 * (theta - np.array([1.0, 2.0]))])            # gradient of |theta - c|^2
    np.testing.assert_allclose(theta, [1.0, 2.0], atol=1e-10)


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": 0.0}, "lr must be > 0"), ({"lr": -0.1}, "lr must be > 0"), ({"lr": math.inf}, "lr must be finite"),
    ({"lr": 0.1, "momentum": 1.0}, r"momentum must be in \[0, 1\)"),
    ({"lr": 0.1, "momentum": -0.1}, r"momentum must be in \[0, 1\)"),
])
def test_sgd_rejects_bad_hyperparameters_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.SGD([np.zeros(2)], **kwargs)


def test_sgd_needs_one_gradient_per_parameter():
    opt = optim.SGD([np.zeros(2), np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="grads must hold 2 arrays"):
        opt.step([np.zeros(2)])


def test_sgd_rejects_a_gradient_of_the_wrong_shape_instead_of_broadcasting_it():
    W = np.zeros((4, 3))
    opt = optim.SGD([W], lr=0.1)
    with pytest.raises(ValueError, match=r"grads\[0\] must have the shape of params\[0\], \(4, 3\)"):
        opt.step([np.ones(3)])
    assert not W.any()


def test_adam_first_step_moves_each_entry_by_lr_whatever_the_scale():
    theta = np.array([1.0, -2.0, 0.5])
    opt = optim.Adam([theta], lr=0.1)
    opt.step([np.array([0.01, -40.0, 3.0])])
    np.testing.assert_allclose(theta, [0.9, -1.9, 0.4], rtol=1e-6)


def test_adam_matches_the_bias_corrected_moment_formulas():
    theta = np.array([0.0])
    opt = optim.Adam([theta], lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    m = v = 0.0
    expected = 0.0
    for k, g in enumerate([1.0, -0.5, 2.0], start=1):
        opt.step([np.array([g])])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected -= 0.01 * (m / (1 - 0.9 ** k)) / (math.sqrt(v / (1 - 0.999 ** k)) + 1e-8)
    assert theta[0] == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("kwargs,message", [({"lr": 0.0}, "lr must be > 0"),
                                            ({"beta1": 1.0}, r"beta1 must be in \[0, 1\)"),
                                            ({"beta2": -0.1}, r"beta2 must be in \[0, 1\)"),
                                            ({"eps": 0.0}, "eps must be > 0")])
def test_adam_rejects_bad_hyperparameters_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adam([np.zeros(2)], **kwargs)


def test_gradient_angle_of_parallel_orthogonal_and_opposite_gradients():
    a = [np.array([1.0, 0.0])]
    assert optim.gradient_angle(a, [np.array([2.0, 0.0])]) == pytest.approx(0.0, abs=1e-12)
    assert optim.gradient_angle(a, [np.array([0.0, 3.0])]) == pytest.approx(90.0, rel=1e-14, abs=0)
    assert optim.gradient_angle(a, [np.array([-1.0, 0.0])]) == pytest.approx(180.0, rel=1e-14, abs=0)
    assert optim.gradient_angle(a, [np.array([1.0, 1e-9])]) == pytest.approx(math.degrees(1e-9), rel=1e-6, abs=0)


def test_gradient_angle_needs_nonzero_gradients_of_equal_size():
    with pytest.raises(ValueError, match="nonzero"):
        optim.gradient_angle([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="same number of entries"):
        optim.gradient_angle([np.ones(2)], [np.ones(3)])


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
