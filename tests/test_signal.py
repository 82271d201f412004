"""vanishing.signal: mean-field signal propagation, checked against closed forms, Monte Carlo and numpy."""

import math

import numpy as np
import pytest

from vanishing import signal as S
from vanishing.activations import sigmoid, sigmoid_prime, tanh_prime
from vanishing.init import normal
from vanishing.mlp import gradient_profile
from vanishing.products import random_matrices


def monte_carlo(g, q, n=2_000_000, seed=0):
    z = math.sqrt(q) * np.random.default_rng(seed).standard_normal(n)
    values = g(z)
    return float(values.mean()), float(values.std() / math.sqrt(n))


# --- quadrature ------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [0.01, 0.7, 3.0, 40.0, 2500.0])
@pytest.mark.parametrize("name, g", [("tanh'^2", lambda z: tanh_prime(z) ** 2),
                                     ("sigmoid'^2", lambda z: sigmoid_prime(z) ** 2),
                                     ("sigmoid^2", lambda z: sigmoid(z) ** 2),
                                     ("tanh^2", lambda z: np.tanh(z) ** 2)])
def test_moments_agree_with_monte_carlo_within_five_standard_errors(name, g, q):
    activation = "tanh" if name.startswith("tanh") else "sigmoid"
    exact = (S.derivative_moment(q, activation) if "'" in name else S.second_moment(q, activation))
    mean, err = monte_carlo(g, q)
    assert abs(exact - mean) < 5 * err + 1e-12


def test_narrow_integrands_at_large_q_match_a_fine_riemann_sum():
    # E[tanh'(z)^2], z ~ N(0, 900): tanh' is about 1 wide, the Gaussian 30: a plain rule misses it
    z = np.linspace(-300, 300, 600_001)
    density = np.exp(-z * z / 1800) / math.sqrt(2 * math.pi * 900)
    riemann = float(np.sum(tanh_prime(z) ** 2 * density) * (z[1] - z[0]))
    assert math.isclose(S.derivative_moment(900.0, "tanh"), riemann, rel_tol=1e-9, abs_tol=0)
    plain = S.gauss_expectation(lambda u: tanh_prime(u) ** 2, 900.0)
    assert abs(plain - riemann) > 1e-3 * riemann          # why the reweighted rule exists


@pytest.mark.parametrize("q", [0.3, 1.0, 17.0])
def test_relu_moments_have_their_closed_forms(q):
    assert math.isclose(S.second_moment(q, "relu"), q / 2, rel_tol=1e-13, abs_tol=0)
    assert math.isclose(S.derivative_moment(q, "relu"), 0.5, rel_tol=1e-13, abs_tol=0)
    assert math.isclose(S.second_moment(q, "linear"), q, rel_tol=1e-13, abs_tol=0)
    assert math.isclose(S.second_moment(q, "leaky_relu"), q * (1 + 0.01**2) / 2, rel_tol=1e-13,
                        abs_tol=0)


def test_gauss_expectation_is_exact_for_gaussian_moments():
    for k, value in [(2, 1.5), (4, 3 * 1.5**2), (6, 15 * 1.5**3)]:
        assert math.isclose(S.gauss_expectation(lambda z, k=k: z**k, 1.5), value, rel_tol=1e-12, abs_tol=0)


# --- the recursion and its fixed point -----------------------------------------------------------

@pytest.mark.parametrize("activation, sigma_w2, sigma_b2", [
    ("tanh", 1.5, 0.05), ("tanh", 3.0, 1.0), ("tanh", 30.0, 1.0), ("tanh", 2.0, 0.0),
    ("sigmoid", 2.0, 0.0), ("sigmoid", 104.0, 0.5), ("relu", 1.0, 0.5), ("linear", 0.5, 0.2)])
def test_the_fixed_point_satisfies_the_recursion_and_the_recursion_reaches_it(activation, sigma_w2,
                                                                              sigma_b2):
    q = S.fixed_point(sigma_w2, sigma_b2, activation)
    assert math.isclose(S.variance_map(q, sigma_w2, sigma_b2, activation), q, rel_tol=1e-12, abs_tol=0)
    path = S.variance_recursion(1.0, 400, sigma_w2, sigma_b2, activation)
    assert math.isclose(path[-1], q, rel_tol=1e-9, abs_tol=0)


def test_closed_forms_of_the_fixed_point_for_relu_and_tanh_without_bias():
    assert math.isclose(S.fixed_point(1.0, 0.5, "relu"), 1.0, rel_tol=1e-12, abs_tol=0)
    assert S.fixed_point(3.0, 0.5, "relu") == math.inf
    assert S.fixed_point(2.0, 0.0, "relu", q0=7.0) == 7.0      # He keeps any variance
    assert S.fixed_point(0.9, 0.0, "tanh") == 0.0              # the signal dies out
    assert S.fixed_point(1.2, 0.0, "tanh") > 0.0


def test_the_variance_recursion_matches_a_wide_random_network():
    width, depth = 2000, 6
    rng = np.random.default_rng(5)
    sigma_w2, sigma_b2 = 2.5, 0.3
    a = rng.standard_normal(width)                              # q_0 input with E a^2 = 1
    measured = []
    for W in random_matrices(depth, width, math.sqrt(sigma_w2 / width), seed=4):
        z = W @ a + math.sqrt(sigma_b2) * rng.standard_normal(width)
        measured.append(float(np.mean(z * z)))
        a = np.tanh(z)
    q1 = sigma_w2 * 1.0 + sigma_b2
    predicted = np.concatenate([[q1], S.variance_recursion(q1, depth - 1, sigma_w2, sigma_b2, "tanh")])
    assert np.all(np.abs(np.array(measured) / predicted - 1) < 0.1)


# --- chi_1, the critical line, the depth scale ------------------------------------------------------

def test_he_initialisation_is_exactly_critical_for_relu_at_any_bias():
    for sigma_b2 in (0.0, 0.3):
        assert math.isclose(S.chi_1(2.0, sigma_b2, "relu"), 1.0, rel_tol=1e-13, abs_tol=0)
    assert math.isclose(S.chi_1(3.0, 0.0, "relu"), 1.5, rel_tol=1e-13, abs_tol=0)
    assert S.critical_sigma_w2(0.7, "relu") == pytest.approx(2.0, rel=1e-13)


def test_chi_1_agrees_with_monte_carlo_at_the_fixed_point():
    q = S.fixed_point(2.5, 0.2, "tanh")
    mean, err = monte_carlo(lambda z: tanh_prime(z) ** 2, q, seed=3)
    assert abs(S.chi_1(2.5, 0.2, "tanh") - 2.5 * mean) < 5 * 2.5 * err


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("sigma_b2", [0.0, 0.05, 0.5, 2.0])
def test_the_critical_line_gives_chi_1_equal_to_one(activation, sigma_b2):
    sigma_w2 = S.critical_sigma_w2(sigma_b2, activation)
    assert abs(S.chi_1(sigma_w2, sigma_b2, activation) - 1.0) < 1e-10
    assert S.chi_1(0.9 * sigma_w2, sigma_b2, activation) < 1 < S.chi_1(1.1 * sigma_w2, sigma_b2,
                                                                          activation)


def test_the_tanh_critical_line_matches_the_published_points():
    # Schoenholz et al. 2017, Fig. 1: sigma_b^2 = 0.05 is critical near sigma_w^2 = 1.76
    assert S.critical_sigma_w2(0.05, "tanh") == pytest.approx(1.76, abs=0.01)
    assert S.critical_sigma_w2(0.0, "tanh") == pytest.approx(1.0, abs=1e-6)


def test_depth_scale_is_the_reciprocal_of_the_log_factor():
    assert math.isclose(S.depth_scale(math.exp(-0.25)), 4.0, rel_tol=1e-14, abs_tol=0)
    assert math.isclose(S.depth_scale(math.exp(0.5)), 2.0, rel_tol=1e-14, abs_tol=0)
    assert S.depth_scale(1.0) == math.inf


def test_phase_point_names_the_phase():
    assert S.phase_point(0.5, 0.0, "relu").phase == "ordered"
    assert S.phase_point(2.0, 0.0, "relu").phase == "critical"
    assert S.phase_point(2.0, 0.0, "tanh").phase == "chaotic"
    assert "chi_1" in str(S.phase_point(2.0, 0.0, "tanh"))


def test_the_phase_diagram_splits_at_the_critical_line():
    d = S.phase_diagram("tanh", sigma_w2=np.linspace(0.5, 4, 8), sigma_b2=np.array([0.0, 1.0]))
    for i, line in enumerate(d.critical_sigma_w2):
        assert np.all((d.chi[i] > 1) == (d.sigma_w2 > line))
    assert "critical sigma_w^2" in str(d)


# --- saturation ----------------------------------------------------------------------------------

def test_saturation_fraction_matches_sampling_and_the_threshold_definition():
    z_sat = S.saturation_threshold("sigmoid", 0.1)
    assert math.isclose(float(sigmoid_prime(z_sat)), 0.025, rel_tol=1e-12, abs_tol=0)
    q = 45.0
    z = math.sqrt(q) * np.random.default_rng(1).standard_normal(1_000_000)
    sampled = float(np.mean(sigmoid_prime(z) < 0.025))
    assert abs(S.saturation_fraction(q, "sigmoid") - sampled) < 0.003


# --- theory against a finite network ----------------------------------------------------------------

def test_measured_profile_without_bias_is_gradient_profile():
    mine = S.measured_profile(1.5, 0.0, "tanh", depth=6, width=16, batch=8, seed=2)
    theirs = gradient_profile(6, 16, 8, "tanh", normal(math.sqrt(1.5 / 16)), seed=2)
    np.testing.assert_array_equal(mine.grad_norm, theirs.grad_norm)


def test_per_example_norms_factorise_the_gradient_of_a_single_example():
    norms = S.per_example_grad_norms(2.0, 0.3, "tanh", depth=5, width=12, batch=1, seed=0)
    stats = S.measured_profile(2.0, 0.3, "tanh", depth=5, width=12, batch=1, seed=0)
    np.testing.assert_allclose(norms, stats.grad_norm, rtol=1e-12)


def test_per_example_gradient_slopes_follow_chi_1_in_a_wide_network():
    for sigma_w2 in (1.5, 4.0):                                     # ordered and chaotic, sigma_b2 = 0.5
        norms = S.per_example_grad_norms(sigma_w2, 0.5, "tanh", depth=30, width=256, batch=16)
        measured = S.log_slope(norms, 8, 27)
        assert abs(measured - S.predicted_log_slope(sigma_w2, 0.5, "tanh")) < 0.04


def test_log_slope_recovers_an_exact_exponential():
    assert math.isclose(S.log_slope(3.0 * np.exp(-0.2 * np.arange(1, 11)), 2, 9), -0.2,
                        rel_tol=1e-12, abs_tol=0)


def test_predicted_slope_is_level_for_chaotic_relu():
    assert S.predicted_log_slope(3.0, 0.1, "relu") == pytest.approx(0.0, abs=1e-12)


# --- dynamical isometry ------------------------------------------------------------------------

def jacobian_by_finite_differences(depth, width, sigma_w2, sigma_b2, activation, weights, seed, h=1e-6):
    """Rebuild the same network and differentiate its output numerically, column by column."""
    from vanishing import activations
    f = activations.get(activation)
    q = S.fixed_point(sigma_w2, sigma_b2, activation)
    q = 1.0 if math.isinf(q) else q
    rng = np.random.default_rng([seed, 3])
    a0 = math.sqrt(max(q - sigma_b2, 0.0) / sigma_w2) * rng.standard_normal(width)
    gaussian = list(random_matrices(depth, width, math.sqrt(sigma_w2 / width), seed))
    mats, biases = [], []
    for l in range(depth):                        # the package draws W_l (if orthogonal), then b_l
        mats.append(gaussian[l] if weights == "gaussian"
                    else math.sqrt(sigma_w2) * S.orthogonal_matrix(width, rng))
        biases.append(math.sqrt(sigma_b2) * rng.standard_normal(width))

    def net(x):
        for W, b in zip(mats, biases):
            x = f.f(W @ x + b)
        return x
    J = np.empty((width, width))
    for j in range(width):
        e = np.zeros(width)
        e[j] = h
        J[:, j] = (net(a0 + e) - net(a0 - e)) / (2 * h)
    return J


@pytest.mark.parametrize("weights", ["gaussian", "orthogonal"])
def test_jacobian_singular_values_match_numpy_on_a_finite_difference_jacobian(weights):
    spec = S.jacobian_spectrum(4, 6, 1.3, 0.2, "tanh", weights, seed=1)
    J = jacobian_by_finite_differences(4, 6, 1.3, 0.2, "tanh", weights, seed=1)
    np.testing.assert_allclose(spec.singular_values, np.linalg.svd(J, compute_uv=False), rtol=1e-7,
                               atol=1e-8)


def test_orthogonal_linear_networks_are_exact_isometries():
    spec = S.jacobian_spectrum(20, 32, 1.0, 0.0, "linear", "orthogonal")
    np.testing.assert_allclose(spec.singular_values, 1.0, rtol=1e-12)
    assert spec.fraction_within(1.0 + 1e-9) == 1.0
    Q = S.orthogonal_matrix(8, np.random.default_rng(0))
    np.testing.assert_allclose(Q @ Q.T, np.eye(8), atol=1e-14)


def test_gaussian_linear_jacobian_spreads_like_the_free_probability_prediction():
    # products of L Ginibre matrices: E s^2 = 1, Var s^2 = L for infinite width
    spectra = [S.jacobian_spectrum(5, 300, 1.0, 0.0, "linear", "gaussian", seed=s) for s in range(3)]
    assert np.mean([s.mean_squared for s in spectra]) == pytest.approx(1.0, abs=0.1)
    assert np.mean([s.variance_squared for s in spectra]) == pytest.approx(5.0, rel=0.25)
    assert S.predicted_spectrum_variance(5, 1.0, 0.0, "linear", "gaussian") == 5.0
    assert S.predicted_spectrum_variance(5, 1.0, 0.0, "linear", "orthogonal") == 0.0


def test_the_spread_prediction_needs_the_critical_line():
    with pytest.raises(ValueError, match="critical line"):
        S.predicted_spectrum_variance(5, 1.5, 0.0, "tanh", "gaussian")


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: S.chi_1(-1.0, 0.0), "sigma_w2"),
    (lambda: S.chi_1(1.0, -0.1), "sigma_b2"),
    (lambda: S.chi_1(float("nan"), 0.0), "sigma_w2"),
    (lambda: S.fixed_point(1.0, 0.0, "elu"), "activation"),
    (lambda: S.second_moment(-1.0, "tanh"), "q"),
    (lambda: S.gauss_expectation(np.tanh, 1.0, nodes=7), "nodes"),
    (lambda: S.variance_recursion(1.0, 0, 1.0, 0.0), "depth"),
    (lambda: S.saturation_threshold("relu"), "activation"),
    (lambda: S.saturation_fraction(1.0, "tanh", level=1.5), "level"),
    (lambda: S.jacobian_spectrum(2, 4, 1.0, weights="uniform"), "weights"),
    (lambda: S.log_slope([1.0, 2.0], 2, 2), "first"),
    (lambda: S.depth_scale(0.0), "chi"),
])
def test_bad_input_raises_a_value_error_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: S.chi_1("1", 0.0), "sigma_w2"),
    (lambda: S.gauss_expectation(3.0, 1.0), "g must be a function"),
    (lambda: S.orthogonal_matrix(3, 0), "rng"),
    (lambda: S.chi_1(1.0, 0.0, 3), "activation"),
])
def test_wrong_types_raise_a_type_error_naming_the_parameter(call, match):
    with pytest.raises(TypeError, match=match):
        call()
