"""Recurrent matrices: each init hits its spectrum (orthogonal, spectral radius, circular law)."""

import numpy as np
import pytest

from vanishing.matrices import largest_singular_value, recurrent_matrix, spectral_radius


def test_scaled_orthogonal_matrix_has_every_singular_value_equal_to_the_scale():
    W = recurrent_matrix(6, "orthogonal", 0.7, np.random.default_rng(0))
    assert np.allclose(np.linalg.svd(W, compute_uv=False), 0.7)
    assert spectral_radius(W) == pytest.approx(0.7)


def test_spectral_radius_init_hits_the_target_and_sigma_max_exceeds_it():
    W = recurrent_matrix(10, "spectral_radius", 1.3, np.random.default_rng(1))
    assert spectral_radius(W) == pytest.approx(1.3)
    assert largest_singular_value(W) > 1.3


def test_normal_init_spectral_radius_is_about_the_scale():
    W = recurrent_matrix(200, "normal", 0.5, np.random.default_rng(2))
    assert 0.4 < spectral_radius(W) < 0.6
