"""The one-unit recurrent net of the latching dilemma (vanishing.latching)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from vanishing.latching import fixed_points, hold_bit, jacobian, log10_jacobian, multiplier, step, trajectory

WEIGHTS = [-3.0, -0.7, 0.0, 0.5, 1.0, 1.0001, 1.5, 3.0, 5.0, 20.0]
BIASES = [0.0, 0.3, -1.0]


def brute_force_roots(w: float, b: float, n: int = 2_000_001) -> list[float]:
    """Roots of tanh(w h + b) - h on a fine grid of [-1, 1]: sign changes, linearly interpolated."""
    h = np.linspace(-1.0, 1.0, n)
    g = np.tanh(w * h + b) - h
    roots = list(h[g == 0.0])
    i = np.flatnonzero(g[:-1] * g[1:] < 0)
    roots += list(h[i] - g[i] * (h[i + 1] - h[i]) / (g[i + 1] - g[i]))
    return sorted(roots)


@pytest.mark.parametrize("w", WEIGHTS)
@pytest.mark.parametrize("b", BIASES)
def test_fixed_points_match_a_brute_force_root_search(w, b):
    found = fixed_points(w, b)
    expected = brute_force_roots(w, b)
    assert len(found) == len(expected), (found, expected)
    np.testing.assert_allclose(found, expected, atol=1e-6)
    np.testing.assert_allclose(np.tanh(w * found + b), found, rtol=0, atol=4e-16)


def test_fixed_points_count_one_up_to_w_1_and_three_beyond_without_bias():
    for w in (0.2, 0.9, 1.0):
        assert fixed_points(w).tolist() == [0.0]
    for w in (1.01, 2.0, 8.0):
        low, zero, high = fixed_points(w)
        assert zero == 0.0 and low == -high and 0 < high < 1


def test_the_bias_can_remove_the_second_attractor():
    # w = 1.5 keeps two attractors at b = 0, but a bias of 1 leaves only the positive one
    assert len(fixed_points(1.5, 0.0)) == 3 and len(fixed_points(1.5, 1.0)) == 1


def mp_trajectory(h0, w, x, b=0.0):
    """h_0..h_T in 50-digit arithmetic (mpmath): finite differences there lose no digits."""
    h = [mpmath.mpf(h0)]
    for x_t in x:
        h.append(mpmath.tanh(mpmath.mpf(w) * h[-1] + mpmath.mpf(b) + mpmath.mpf(x_t)))
    return h


EPS_50_DIGITS = mpmath.mpf("1e-25")


def mp_central_difference(h0, w, x, b=0.0, eps=EPS_50_DIGITS):
    """d h_t / d h_0 for t = 1..T by central differences of the 50-digit trajectory."""
    with mpmath.workdps(50):
        up, down = mp_trajectory(mpmath.mpf(h0) + eps, w, x, b), mp_trajectory(mpmath.mpf(h0) - eps, w, x, b)
        return [float((u - d) / (2 * eps)) for u, d in zip(up[1:], down[1:])]


@pytest.mark.parametrize("w", [0.5, 1.5, 3.0, 5.0, -2.0])
def test_multiplier_matches_finite_differences_of_one_step(w):
    for h_star in fixed_points(w, 0.2):
        (central,) = mp_central_difference(h_star, w, [0.0], 0.2)
        assert multiplier(h_star, w, 0.2) == pytest.approx(central, rel=1e-12)


def test_multiplier_at_a_fixed_point_is_w_times_one_minus_h_squared():
    for w in (1.5, 3.0, 5.0):
        h = fixed_points(w)[-1]
        assert multiplier(h, w) == pytest.approx(w * (1 - h * h), rel=1e-9)
        assert abs(multiplier(h, w)) < 1 < abs(multiplier(0.0, w))      # attracting, repelling


@pytest.mark.parametrize("w, b", [(0.5, 0.0), (1.5, 0.1), (3.0, -0.2), (-1.2, 0.0)])
def test_jacobian_matches_central_finite_differences(w, b):
    rng = np.random.default_rng(1)
    x = 0.4 * rng.standard_normal(12)
    central = mp_central_difference(0.3, w, x, b)
    np.testing.assert_allclose(jacobian(0.3, w, x, b), central, rtol=1e-11)
    # and in float64, where the differences of a contracting map keep fewer digits
    eps = 1e-6
    float_central = (trajectory(0.3 + eps, w, x, b)[1:] - trajectory(0.3 - eps, w, x, b)[1:]) / (2 * eps)
    np.testing.assert_allclose(jacobian(0.3, w, x, b), float_central, rtol=1e-6, atol=1e-9)


def test_jacobian_of_many_runs_is_the_jacobian_of_each_run():
    rng = np.random.default_rng(2)
    x = 0.5 * rng.standard_normal((7, 3))
    h0 = np.array([1.0, -1.0, 0.2])
    together = jacobian(h0, 2.0, x)
    for r in range(3):
        np.testing.assert_array_equal(together[:, r], jacobian(h0[r], 2.0, x[:, r]))


def test_log10_jacobian_is_the_log_of_the_jacobian_and_never_underflows():
    rng = np.random.default_rng(3)
    x = 0.3 * rng.standard_normal(20)
    np.testing.assert_allclose(log10_jacobian(1.0, 1.5, x), np.log10(np.abs(jacobian(1.0, 1.5, x))),
                               rtol=1e-12)
    # at the attracting fixed point of w = 5 the product is m^T, about 10^-3.04 per step
    h = fixed_points(5.0)[-1]
    deep = log10_jacobian(h, 5.0, np.zeros(400))
    assert deep[-1] == pytest.approx(400 * math.log10(multiplier(h, 5.0)), rel=1e-9)
    assert deep[-1] < -1000 and jacobian(h, 5.0, np.zeros(400))[-1] == 0.0


def test_without_input_the_state_settles_where_the_gradient_contracts_by_the_multiplier():
    for w in (0.5, 1.5, 3.0):
        J = jacobian(1.0, w, np.zeros(200))
        assert J[-1] / J[-2] == pytest.approx(multiplier(fixed_points(w)[-1], w), rel=1e-9)


def test_a_contracting_latch_keeps_the_bit_and_loses_the_gradient():
    strong = hold_bit(5.0, noise=0.5, T=100, runs=200)
    weak = hold_bit(0.5, noise=0.5, T=100, runs=200)
    assert strong.survival(0) == weak.survival(0) == 1.0                 # the bit as written
    assert strong.survival(100) == 1.0 and 0.35 < weak.survival(100) < 0.65
    assert strong.median_log10_gradient(100) < -250 < weak.median_log10_gradient(100)


def test_latch_gradients_are_the_log10_jacobians_of_its_runs():
    latch = hold_bit(3.0, noise=0.4, T=30, runs=5, seed=4)
    rng = np.random.default_rng(4)                       # the same draws, in the same order
    bits = rng.choice(np.array([-1.0, 1.0]), size=5)
    x = 0.4 * rng.standard_normal((30, 5))
    np.testing.assert_array_equal(latch.bits, bits)
    np.testing.assert_allclose(latch.log10_gradient, log10_jacobian(bits, 3.0, x), rtol=1e-13)
    np.testing.assert_allclose(latch.h, trajectory(bits, 3.0, x), rtol=0, atol=0)


@pytest.mark.parametrize("call, parameter", [
    (lambda: fixed_points(math.nan), "w"),
    (lambda: fixed_points(2.0, "1"), "b"),
    (lambda: multiplier(np.array([np.inf]), 2.0), "h_star"),
    (lambda: step(np.ones(3), 2.0, x=np.ones(2)), "x"),
    (lambda: trajectory(np.ones(2), 2.0, np.zeros((4, 3))), "h0"),
    (lambda: trajectory(0.0, 2.0, np.zeros((2, 2, 2))), "x"),
    (lambda: jacobian(0.0, 2.0, np.zeros(0)), "x"),
    (lambda: hold_bit(2.0, noise=-0.1, T=5), "noise"),
    (lambda: hold_bit(2.0, noise=0.1, T=0), "T"),
    (lambda: hold_bit(2.0, noise=0.1, T=10 ** 9, runs=10 ** 9), "T"),
    (lambda: hold_bit(2.0, noise=0.1, T=5).survival(6), "t"),
    (lambda: hold_bit(2.0, noise=0.1, T=5).median_log10_gradient(0), "t"),
])
def test_bad_input_is_a_named_error(call, parameter):
    with pytest.raises((ValueError, TypeError), match=rf"\b{parameter}\b"):
        call()
