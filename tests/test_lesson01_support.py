"""vanishing.conventions: dOut/da_l, dOut/dz_l and dOut/dw_l side by side (lesson 01's support)."""

import math

import numpy as np
import pytest

from vanishing.chain import chain_output, trace_chain
from vanishing.conventions import QUANTITIES, compare_conventions
from vanishing.gradcheck import numerical_gradient, relative_error

OUTS = [("activation", None), ("bce", 1.0), ("bce", 0.0), ("mse", 1.0), ("mse", -0.3)]


def anchor(**kwargs):
    return trace_chain(4, 0.1, **kwargs)


def test_grad_a_of_the_last_layer_is_one_when_out_is_the_last_activation():
    c = compare_conventions(anchor())
    assert c.grad_a[-1] == 1.0
    assert c.sign("a")[-1] == 1.0


@pytest.mark.parametrize("out,y", OUTS)
def test_grad_a_matches_finite_differences_of_the_rest_of_the_chain(out, y):
    weights = [0.7, -1.3, 0.4, 2.1, 0.9]
    biases = [0.1, 0.2, -0.3, 0.05, -0.1]
    t = trace_chain(5, weights, biases, x=0.8, activation="sigmoid", out=out, y=y)
    c = compare_conventions(t)
    for i in range(t.depth - 1):                 # dOut/da_l = d(rest of the chain)/d(its input)
        a_l = np.array([t.a[i]])

        def rest_of_chain(a_l=a_l, i=i):
            return chain_output(weights[i + 1:], biases[i + 1:], x=float(a_l[0]), out=out, y=y)

        numeric = numerical_gradient(rest_of_chain, a_l)
        assert relative_error(numeric, [c.grad_a[i]]) < 1e-6, f"layer {i + 1}"


@pytest.mark.parametrize("out,y", OUTS[1:])
def test_grad_a_of_the_last_layer_matches_finite_differences_of_the_loss(out, y):
    t = anchor(out=out, y=y)

    def loss(a):
        if out == "mse":
            return (a - y) ** 2
        return -y * math.log(a) - (1 - y) * math.log(1 - a)

    a_L = np.array([t.a[-1]])
    numeric = numerical_gradient(lambda: loss(float(a_L[0])), a_L)
    assert relative_error(numeric, [compare_conventions(t).grad_a[-1]]) < 1e-6


@pytest.mark.parametrize("out,y", OUTS)
def test_delta_is_grad_a_times_the_activation_derivative(out, y):
    t = trace_chain(6, 0.5, bias=0.2, x=-1.5, activation="tanh" if out != "bce" else "sigmoid",
                    out=out, y=y)
    c = compare_conventions(t)
    np.testing.assert_allclose(c.value("a") * t.fprime, t.delta, rtol=1e-12)


def test_weight_gradient_ratio_is_the_delta_ratio_times_a_prev_over_x():
    t = trace_chain(4, 0.1, x=1.0)
    c = compare_conventions(t)
    assert c.ratio("w") == pytest.approx(c.ratio("z") * t.a[-2] / t.x, rel=1e-12)
    assert c.ratio("w") < 0.6 * c.ratio("z")     # a_3 is about 0.51: the two ratios differ


def test_the_ratio_does_not_depend_on_out_but_the_values_and_signs_do():
    plain, bce = compare_conventions(anchor()), compare_conventions(anchor(out="bce", y=1.0))
    for q in QUANTITIES:
        assert plain.log10_ratio(q) == pytest.approx(bce.log10_ratio(q), abs=1e-12)
        assert np.all(plain.sign(q) == 1.0) and np.all(bce.sign(q) == -1.0)


def test_log10_magnitudes_stay_finite_where_float64_reads_zero():
    c = compare_conventions(trace_chain(1000, 0.1))
    for q in QUANTITIES:
        assert c.value(q)[0] == 0.0
        assert np.isfinite(c.log10(q)[0]) and c.log10(q)[0] < -1500


def test_ratio_beyond_float64_raises_and_names_log10_ratio():
    c = compare_conventions(trace_chain(1000, 0.1))
    with pytest.raises(ValueError, match="log10_ratio"):
        c.ratio("z")
    assert c.log10_ratio("z") > 1500


def test_a_zero_weight_gives_exact_zeros_without_warnings():
    c = compare_conventions(trace_chain(4, [0.1, 0.0, 0.1, 0.1]))
    assert c.value("a")[0] == 0.0 and c.sign("a")[0] == 0.0
    assert c.log10("a")[0] == -math.inf


def test_unknown_quantity_is_rejected_with_the_allowed_names():
    c = compare_conventions(anchor())
    with pytest.raises(ValueError, match=r"\['a', 'z', 'w'\]"):
        c.log10("delta")


def test_anything_but_a_chain_trace_is_rejected_with_a_type_error():
    with pytest.raises(TypeError, match="ChainTrace"):
        compare_conventions([0.1, 0.2])


def test_table_states_out_and_names_all_three_gradients():
    text = str(compare_conventions(anchor(out="bce", y=1.0)))
    assert "binary cross-entropy with label y = 1" in text
    for name in QUANTITIES.values():
        assert name in text
    assert "|layer 4| / |layer 1|" in text
    assert "<table>" in compare_conventions(anchor())._repr_html_()


def test_bce_grad_a_of_a_saturated_output_is_minus_one_over_a_not_nan():
    t = trace_chain(2, 60.0, x=1.0, out="bce", y=1.0)     # a_2 rounds to 1.0 in float64
    assert t.a[-1] == 1.0
    g = compare_conventions(t).grad_a[-1]                  # -y / a_L = -1 exactly in the limit
    assert np.isfinite(g) and g == pytest.approx(-1.0, rel=1e-12)
