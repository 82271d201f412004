"""Products of random matrices: exact where a direct product is exact, and far beyond it."""

import math

import mpmath
import numpy as np
import pytest

from vanishing.products import (
    FLOAT64_LOG10_MAX,
    ProductSpectrum,
    _digamma_half,
    lyapunov_exponents,
    product_spectrum,
    random_matrices,
)


def direct_product(depth, width, std, seed):
    P = np.eye(width)
    for W in random_matrices(depth, width, std, seed):
        P = W @ P
    return P


def test_matches_svd_of_the_direct_product_for_small_depth():
    spec = product_spectrum(depth=6, width=5, std=0.7, seed=3)
    for depth in range(1, 7):
        sv = np.linalg.svd(direct_product(depth, 5, 0.7, 3), compute_uv=False)
        assert spec.log10_sigma_max[depth - 1] == pytest.approx(np.log10(sv[0]), abs=1e-12)
        assert spec.log10_sigma_min[depth - 1] == pytest.approx(np.log10(sv[-1]), abs=1e-10)


def test_one_layer_gives_the_extreme_singular_values_of_w1():
    W1 = next(random_matrices(1, 8, 0.3, seed=5))
    sv = np.linalg.svd(W1, compute_uv=False)
    spec = product_spectrum(depth=1, width=8, std=0.3, seed=5)
    assert 10 ** spec.log10_sigma_max[0] == pytest.approx(sv[0], rel=1e-12)
    assert 10 ** spec.log10_sigma_min[0] == pytest.approx(sv[-1], rel=1e-10)


def test_smallest_singular_value_stays_exact_far_beyond_a_float64_svd():
    """Condition number near 1e45: a float64 SVD of the product would return noise for sigma_min."""
    depth, width, std, seed = 80, 5, 0.5, 1
    spec = product_spectrum(depth, width, std, seed)
    assert spec.log10_condition[-1] > 40
    mpmath.mp.dps = 120
    P = mpmath.eye(width)
    for W in random_matrices(depth, width, std, seed):
        P = mpmath.matrix(W.tolist()) * P
    exact = sorted(float(mpmath.log10(v)) for v in mpmath.svd_r(P, compute_uv=False))
    assert spec.log10_sigma_max[-1] == pytest.approx(exact[-1], abs=1e-9)
    assert spec.log10_sigma_min[-1] == pytest.approx(exact[0], abs=1e-9)


def test_direct_svd_loses_the_smallest_singular_value_that_product_spectrum_keeps():
    spec = product_spectrum(depth=30, width=16, std=0.25, seed=0)
    sv = np.linalg.svd(direct_product(30, 16, 0.25, 0), compute_uv=False)
    assert spec.log10_condition[-1] > 20
    # the direct SVD's smallest value is rounding noise, many orders of magnitude too large
    assert np.log10(sv[-1]) - spec.log10_sigma_min[-1] > 3


def test_no_overflow_where_the_direct_product_overflows():
    spec = product_spectrum(depth=400, width=16, std=2.0, seed=0)
    assert np.all(np.isfinite(spec.log10_sigma_max)) and np.all(np.isfinite(spec.log10_sigma_min))
    depth = spec.overflow_depth()
    assert depth is not None and spec.log10_sigma_max[depth - 1] > FLOAT64_LOG10_MAX
    with np.errstate(over="ignore", invalid="ignore"):
        P = direct_product(min(depth + 5, 400), 16, 2.0, 0)
    assert not np.all(np.isfinite(P))


def test_growth_rate_is_log10_std_sqrt_width_for_large_width():
    spec = product_spectrum(depth=300, width=64, std=0.15, seed=0)
    assert spec.predicted_rate == pytest.approx(math.log10(0.15 * 8))
    assert spec.rate_max == pytest.approx(spec.predicted_rate, abs=0.01)
    assert spec.rate(spec.log10_vector_norm) == pytest.approx(spec.predicted_rate, abs=0.01)


@pytest.mark.parametrize("width, std", [(1, 1.0), (4, 0.5), (16, 0.3)])
def test_measured_rates_match_the_exact_lyapunov_exponents(width, std):
    top, bottom = lyapunov_exponents(width, std)[[0, -1]]
    rates = [product_spectrum(depth=400, width=width, std=std, seed=seed) for seed in range(4)]
    assert np.mean([r.rate_max for r in rates]) == pytest.approx(top, abs=0.02)
    assert np.mean([r.rate_min for r in rates]) == pytest.approx(bottom, abs=0.06)


def test_critical_scale_keeps_sigma_max_but_condition_number_still_explodes():
    spec = product_spectrum(depth=100, width=64, std=1 / 8, seed=0)
    assert spec.gain == pytest.approx(1.0)
    assert abs(spec.log10_sigma_max[-1]) < 2                    # no exponential growth or decay
    assert spec.log10_condition[-1] > 100                       # yet sigma_min has collapsed


def test_lyapunov_exponents_are_sorted_and_sum_to_mean_log_determinant():
    rates = lyapunov_exponents(6, 0.4)
    assert np.all(np.diff(rates) < 0)
    # E ln|det W| for an n x n Gaussian matrix, known independently: sum over chi-square degrees
    n, s = 6, 0.4
    expected = sum(math.log(s) + 0.5 * (math.log(2) + float(mpmath.digamma(k / 2))) for k in range(1, n + 1))
    assert rates.sum() == pytest.approx(expected * math.log10(math.e), rel=1e-12)


def test_width_one_rate_is_mean_log10_of_a_gaussian():
    gamma = float(mpmath.euler)
    assert lyapunov_exponents(1, 1.0)[0] == pytest.approx(-(gamma + math.log(2)) / 2 / math.log(10))


def test_digamma_at_half_integers_matches_mpmath():
    m = np.arange(1, 41)
    expected = [float(mpmath.digamma(k / 2)) for k in m]
    assert _digamma_half(m) == pytest.approx(expected, rel=1e-13, abs=1e-14)


def test_same_seed_gives_the_same_spectrum_and_another_seed_does_not():
    a = product_spectrum(10, 4, 0.5, seed=7)
    b = product_spectrum(10, 4, 0.5, seed=7)
    c = product_spectrum(10, 4, 0.5, seed=8)
    assert np.array_equal(a.log10_sigma_max, b.log10_sigma_max)
    assert not np.array_equal(a.log10_sigma_max, c.log10_sigma_max)


def test_condition_number_is_at_least_one_and_grows_from_layer_one():
    spec = product_spectrum(50, 8, 0.3, seed=2)
    assert np.all(spec.log10_condition >= 0)
    assert spec.log10_condition[-1] > spec.log10_condition[0]


def test_table_shows_depths_1_2_5_10_and_the_last_with_powers_of_ten():
    spec = product_spectrum(120, 4, 2.0, seed=0)
    assert spec.table_depths() == [1, 2, 5, 10, 20, 50, 100, 120]
    text = str(spec)
    assert "sigma_max" in text and "condition" in text and "(s sqrt n)^L" in text
    assert text.splitlines()[-1].split()[0] == "120"
    assert "<table>" in spec._repr_html_()
    assert spec.to_markdown().count("\n|") == len(spec.table_depths()) + 2    # head, rule, rows


def test_rows_reject_a_depth_beyond_the_spectrum():
    spec = product_spectrum(5, 3, 1.0)
    with pytest.raises(ValueError, match="depths must be <= 5"):
        spec.rows([6])


def test_rate_rejects_a_sequence_of_the_wrong_length():
    spec = product_spectrum(5, 3, 1.0)
    with pytest.raises(ValueError, match="one entry per depth"):
        spec.rate([1.0, 2.0])


@pytest.mark.parametrize("kwargs, error, words", [
    ({"depth": 0}, ValueError, "depth"),
    ({"depth": 2.5}, TypeError, "depth"),
    ({"width": -1}, ValueError, "width"),
    ({"width": True}, TypeError, "width"),
    ({"std": 0.0}, ValueError, "std must be in"),
    ({"std": -1.0}, ValueError, "std must be in"),
    ({"std": float("nan")}, ValueError, "std"),
    ({"std": "big"}, TypeError, "std"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
])
def test_bad_inputs_raise_clear_errors_naming_the_parameter(kwargs, error, words):
    args = {"depth": 3, "width": 2, "std": 1.0, "seed": 0, **kwargs}
    with pytest.raises(error, match=words):
        product_spectrum(**args)


def test_lyapunov_exponents_validates_inputs():
    with pytest.raises(ValueError, match="width"):
        lyapunov_exponents(0, 1.0)
    with pytest.raises(ValueError, match="std"):
        lyapunov_exponents(3, 0.0)


def test_result_is_a_frozen_dataclass():
    spec = product_spectrum(2, 2, 1.0)
    assert isinstance(spec, ProductSpectrum)
    with pytest.raises(AttributeError):
        spec.depth = 3
