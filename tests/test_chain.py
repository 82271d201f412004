"""The scalar chain: the anchor network by hand, finite differences, log-space magnitudes, bad input."""

import math

import numpy as np
import pytest

from vanishing import activations as act
from vanishing.chain import OUTS, chain_output, format_power, trace_chain
from vanishing.gradcheck import numerical_gradient, relative_error


def sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def anchor_forward(depth=4, w=0.1, b=0.0, x=1.0):
    """z_l, a_l and sigma'(z_l) of the all-sigmoid chain, from the formulas with math.exp."""
    zs, as_, ds = [], [], []
    a = x
    for _ in range(depth):
        z = w * a + b
        a = sig(z)
        zs.append(z)
        as_.append(a)
        ds.append(a * (1.0 - a))
    return zs, as_, ds


def six_figures(v):
    return f"{v:.6g}"


# --- the anchor network: depth 4, w = 0.1, b = 0, x = 1, sigmoid ------------------------------

def test_anchor_network_forward_pass_matches_the_formulas_to_six_figures():
    t = trace_chain(4, 0.1)
    zs, as_, ds = anchor_forward()
    for l in range(4):
        assert six_figures(t.z[l]) == six_figures(zs[l])
        assert six_figures(t.a[l]) == six_figures(as_[l])
        assert six_figures(t.fprime[l]) == six_figures(ds[l])
        assert t.z[l] == pytest.approx(zs[l], rel=1e-14, abs=0)
        assert t.a[l] == pytest.approx(as_[l], rel=1e-14, abs=0)
        assert t.fprime[l] == pytest.approx(ds[l], rel=1e-12, abs=0)
        assert t.factor[l] == pytest.approx(0.1 * ds[l], rel=1e-12, abs=0)


def test_anchor_network_deltas_follow_the_backward_recursion():
    """Out = a_4: delta_4 = sigma'(z_4), delta_l = delta_{l+1} w sigma'(z_l), dOut/dw_l = delta_l a_{l-1}."""
    t = trace_chain(4, 0.1)
    _, (a1, a2, a3, a4), (d1, d2, d3, d4) = anchor_forward()
    w = 0.1
    delta4 = 1.0 * d4
    delta3 = delta4 * w * d3
    delta2 = delta3 * w * d2
    delta1 = delta2 * w * d1
    np.testing.assert_allclose(t.delta, [delta1, delta2, delta3, delta4], rtol=1e-12)
    np.testing.assert_allclose(t.grad_w, [delta1 * 1.0, delta2 * a1, delta3 * a2, delta4 * a3], rtol=1e-12)
    np.testing.assert_allclose(t.grad_b, t.delta, rtol=0)
    assert t.output == pytest.approx(a4, rel=1e-15, abs=0)
    assert t.out == "activation"


def test_anchor_layer_one_delta_is_the_product_of_the_factors():
    t = trace_chain(4, 0.1)
    _, _, ds = anchor_forward()
    assert t.delta[0] == pytest.approx(ds[3] * (0.1 * ds[2]) * (0.1 * ds[1]) * (0.1 * ds[0]), rel=1e-12, abs=0)
    assert t.delta_ratio == pytest.approx(t.delta[-1] / t.delta[0], rel=1e-12, abs=0)
    assert t.grad_w_ratio == pytest.approx(t.grad_w[-1] / t.grad_w[0], rel=1e-12, abs=0)
    assert t.log10_delta_ratio == pytest.approx(math.log10(t.delta[-1] / t.delta[0]), rel=1e-12, abs=0)


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_anchor_network_with_cross_entropy_starts_the_chain_at_a_minus_y(y):
    t = trace_chain(4, 0.1, out="bce", y=y)
    _, (a1, a2, a3, a4), (d1, d2, d3, _) = anchor_forward()
    delta4 = a4 - y                                  # sigma'(z_4) cancels against dBCE/da_4
    delta3 = delta4 * 0.1 * d3
    delta2 = delta3 * 0.1 * d2
    delta1 = delta2 * 0.1 * d1
    np.testing.assert_allclose(t.delta, [delta1, delta2, delta3, delta4], rtol=1e-12)
    assert np.all(np.sign(t.delta) == np.sign(a4 - y))
    assert t.output == pytest.approx(-y * math.log(a4) - (1 - y) * math.log(1 - a4), rel=1e-13, abs=0)
    assert "binary cross-entropy" in t.out_description and f"y = {y:g}" in t.out_description


def test_anchor_network_with_squared_error_seeds_two_times_a_minus_y():
    y = 0.3
    t = trace_chain(4, 0.1, out="mse", y=y)
    _, (_, _, _, a4), (d1, d2, d3, d4) = anchor_forward()
    delta4 = 2.0 * (a4 - y) * d4
    np.testing.assert_allclose(t.delta, [delta4 * 0.1 * d3 * 0.1 * d2 * 0.1 * d1,
                                         delta4 * 0.1 * d3 * 0.1 * d2, delta4 * 0.1 * d3, delta4],
                               rtol=1e-12)
    assert t.output == pytest.approx((a4 - y) ** 2, rel=1e-14, abs=0)


def test_anchor_table_prints_six_significant_figures_and_names_out():
    t = trace_chain(4, 0.1)
    zs, as_, _ = anchor_forward()
    text = str(t)
    assert "Out = a_4" in text and "delta=dOut/dz" in text
    for l in range(4):
        assert six_figures(zs[l]) in text and six_figures(as_[l]) in text
    assert format_power(math.log10(t.delta[0])) in text
    md = t.to_markdown()
    assert md.count("\n| ") == 1 + 4                # header and four layers
    assert "<table>" in t._repr_html_() and "Out = a_4" in t._repr_html_()


def test_a_long_chain_table_keeps_head_and_tail():
    rows = trace_chain(100, 0.1).rows(max_rows=12)
    assert len(rows) == 13
    assert rows[0][0] == "1" and rows[6] == ["..."] * 7 and rows[-1][0] == "100"


# --- the 1000-layer chain: beyond float64, but not beyond log10 ------------------------------

def test_thousand_layer_delta_underflows_but_its_log10_is_the_sum_of_the_logs():
    depth, w = 1000, 0.1
    t = trace_chain(depth, w)
    _, _, ds = anchor_forward(depth=depth, w=w)
    expected = math.log10(ds[-1]) + sum(math.log10(w) + math.log10(d) for d in ds[:-1])
    assert t.log10_delta[0] == pytest.approx(expected, rel=1e-12, abs=0)
    assert expected < -1500                           # far below float64's smallest subnormal
    assert t.delta[0] == 0.0
    assert np.isfinite(t.log10_delta[0]) and t.sign_delta[0] == 1.0
    exponent = math.floor(expected)
    mantissa = 10 ** (expected - exponent)
    assert format_power(t.log10_delta[0], t.sign_delta[0]) == f"{mantissa:.3f}e{exponent}"
    assert t.log10_delta_ratio == pytest.approx(math.log10(ds[-1]) - expected, rel=1e-12, abs=0)
    with pytest.raises(ValueError, match="log10_delta_ratio"):
        _ = t.delta_ratio


def test_thousand_layer_relu_chain_with_unit_weights_passes_the_gradient_unchanged():
    t = trace_chain(1000, 1.0, activation="relu")
    assert np.all(t.delta == 1.0) and np.all(t.grad_w == 1.0)
    assert t.delta_ratio == 1.0


def test_saturated_sigmoid_keeps_its_tiny_delta_in_log_space():
    """sigma'(1000) underflows to 0.0, but log10 sigma'(1000) = -1000 log10(e) - 2 log10(1 + e^-1000)."""
    t = trace_chain(3, 1000.0)
    log_sp = -1000.0 * math.log10(math.e)
    assert t.fprime[-1] == 0.0
    assert t.log10_delta[-1] == pytest.approx(log_sp, rel=1e-14, abs=0)
    assert t.log10_delta[0] == pytest.approx(3 * log_sp + 2 * 3.0, rel=1e-14, abs=0)
    assert np.all(t.sign_delta == 1.0)
    assert format_power(t.log10_delta[-1], t.sign_delta[-1]).endswith("e-435")


def test_cross_entropy_delta_keeps_precision_when_the_output_rounds_to_one():
    t = trace_chain(2, 50.0, out="bce", y=1.0)
    z2 = 50.0 * sig(50.0)
    assert t.a[-1] == 1.0
    expected = -1.0 / (1.0 + math.exp(z2))            # sigma(z) - 1 = -sigma(-z)
    assert t.delta[-1] == pytest.approx(expected, rel=1e-12, abs=0)
    assert t.output == pytest.approx(math.log1p(math.exp(-z2)), rel=1e-12, abs=0)


def test_a_dead_relu_gives_exact_zeros_that_print_as_zero():
    t = trace_chain(3, -1.0, activation="relu")
    assert np.all(t.delta == 0.0) and np.all(np.isneginf(t.log10_delta))
    assert format_power(t.log10_delta[0], t.sign_delta[0]) == "0"


# --- format_power -------------------------------------------------------------------------

def test_format_power_writes_any_exponent():
    mantissa = 10 ** (-1602.06 + 1603)
    assert format_power(-1602.06) == f"{mantissa:.3f}e-1603" == "8.710e-1603"
    assert format_power(2.0) == "1.000e+02"
    assert format_power(0.0) == "1.000e+00"
    assert format_power(math.log10(3.0), sign=-1.0) == "-3.000e+00"
    assert format_power(math.log10(1234.5), digits=2) == "1.2e+03"


def test_format_power_carries_a_rounded_up_mantissa_into_the_exponent():
    assert format_power(math.log10(9.99996)) == "1.000e+01"
    assert format_power(math.log10(9.99996) - 500) == "1.000e-499"


def test_format_power_prints_zero_for_a_zero_sign_or_minus_infinity():
    assert format_power(-3.0, sign=0.0) == "0"
    assert format_power(-math.inf) == "0"


def test_format_power_agrees_with_python_where_float64_suffices():
    for value in (3.889e-06, 0.25, 7.5e12, 1e-300):
        assert format_power(math.log10(value)) == f"{value:.3e}"


# --- every backward pass against central finite differences ---------------------------------

WEIGHTS = {"mixed": [0.9, -1.2, 0.8, -1.1], "positive": [0.9, 1.2, 0.8, 1.1]}
BIASES = [0.1, -0.2, 0.3, 0.05]
X = 0.8
CASES = [(name, out, y) for name in act.names()
         for out, y in (("activation", None), ("bce", 0.0), ("bce", 1.0), ("mse", 0.4))]


def layers_for(name, out):
    """The activation per layer; BCE needs a sigmoid last layer."""
    return [name] * 3 + ["sigmoid" if out == "bce" else name]


@pytest.mark.parametrize("name,out,y", CASES, ids=[f"{n}-{o}-y{y}" for n, o, y in CASES])
def test_chain_gradients_match_central_differences(name, out, y):
    activation = layers_for(name, out)
    w = np.array(WEIGHTS["positive" if name == "relu" else "mixed"])   # keep every ReLU on
    b = np.array(BIASES)
    t = trace_chain(4, w, b, X, activation, out, y)
    assert np.all(np.abs(t.z) > 1e-3)                # no kink inside the finite difference

    def out_value():
        return chain_output(w, b, X, activation, out, y)

    numeric_w = numerical_gradient(out_value, w)
    numeric_b = numerical_gradient(out_value, b)     # dOut/db_l = delta_l
    assert np.all(numeric_w != 0.0)
    assert relative_error(t.grad_w, numeric_w) < 1e-6
    assert relative_error(t.delta, numeric_b) < 1e-6
    assert relative_error(t.grad_b, numeric_b) < 1e-6
    assert t.output == pytest.approx(out_value(), rel=1e-15, abs=0)


@pytest.mark.parametrize("name", act.names())
def test_each_layers_delta_matches_a_finite_difference_layer_by_layer(name):
    """Layer-by-layer relative errors, so a small layer-1 gradient is checked too, not only the norm."""
    w = np.array(WEIGHTS["positive" if name == "relu" else "mixed"])
    b = np.array(BIASES)
    t = trace_chain(4, w, b, X, name, "mse", 0.4)
    numeric = numerical_gradient(lambda: chain_output(w, b, X, name, "mse", 0.4), b, h=1e-5)
    for l in range(4):
        assert relative_error(t.delta[l], numeric[l]) < 1e-6, l


def test_a_wrong_sign_in_the_weights_is_caught_by_the_finite_difference():
    """The check is able to fail: a gradient with one flipped entry is far from the finite difference."""
    w = np.array(WEIGHTS["mixed"])
    t = trace_chain(4, w, BIASES, X, "tanh")
    numeric = numerical_gradient(lambda: chain_output(w, BIASES, X, "tanh"), w)
    wrong = t.grad_w.copy()
    wrong[-1] = -wrong[-1]
    assert relative_error(wrong, numeric) > 0.1


def test_chain_output_infers_depth_from_the_weights():
    assert chain_output([0.1] * 4) == pytest.approx(trace_chain(4, 0.1).output, rel=0, abs=0)
    assert chain_output(0.1) == pytest.approx(sig(0.1), rel=1e-15, abs=0)
    assert chain_output(0.1, depth=4) == trace_chain(4, 0.1).output


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [0, -3])
def test_depth_below_one_is_rejected(depth):
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        trace_chain(depth, 0.1)


@pytest.mark.parametrize("depth", [True, 4.0, "4", None])
def test_depth_must_be_an_integer_not_a_bool_float_or_string(depth):
    with pytest.raises(TypeError, match="depth"):
        trace_chain(depth, 0.1)


@pytest.mark.parametrize("param", ["weight", "bias"])
def test_a_per_layer_list_of_the_wrong_length_is_rejected(param):
    kwargs = {"weight": 0.1, "bias": 0.0, param: [0.1, 0.2]}
    with pytest.raises(ValueError, match=f"{param} must be one number or a sequence of depth=3"):
        trace_chain(3, **kwargs)


def test_an_activation_list_of_the_wrong_length_is_rejected():
    with pytest.raises(ValueError, match="activation must be one name or a list of depth=3"):
        trace_chain(3, 0.1, activation=["sigmoid", "tanh"])


def test_an_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="activation must be one of") as info:
        trace_chain(3, 0.1, activation="softplus")
    assert all(name in str(info.value) for name in act.names())


@pytest.mark.parametrize("param,value", [("x", math.nan), ("x", math.inf), ("weight", [0.1, math.inf, 0.1]),
                                         ("bias", math.nan), ("weight", -math.inf)])
def test_non_finite_numbers_are_rejected_by_name(param, value):
    kwargs = {"weight": 0.1, param: value}
    with pytest.raises(ValueError, match=f"{param} must be finite"):
        trace_chain(3, **kwargs)


@pytest.mark.parametrize("param,value", [("x", "1"), ("weight", "0.1"), ("bias", True)])
def test_non_numbers_are_type_errors_by_name(param, value):
    kwargs = {"weight": 0.1, param: value}
    with pytest.raises(TypeError, match=param):
        trace_chain(3, **kwargs)


def test_an_unknown_out_lists_the_choices():
    with pytest.raises(ValueError, match="out must be one of") as info:
        trace_chain(3, 0.1, out="cross_entropy")
    assert all(o in str(info.value) for o in OUTS)


def test_a_label_without_a_loss_is_rejected():
    with pytest.raises(ValueError, match="y is only used when out is a loss"):
        trace_chain(3, 0.1, y=1.0)


@pytest.mark.parametrize("out", ["bce", "mse"])
def test_a_loss_without_a_label_is_rejected(out):
    with pytest.raises(ValueError, match="needs a label y"):
        trace_chain(3, 0.1, out=out)


@pytest.mark.parametrize("y", [-0.1, 1.5])
def test_cross_entropy_needs_a_label_in_zero_one(y):
    with pytest.raises(ValueError, match=r"y must be in \[0, 1\]"):
        trace_chain(3, 0.1, out="bce", y=y)


def test_cross_entropy_needs_a_sigmoid_last_layer():
    with pytest.raises(ValueError, match="out='bce' needs a sigmoid last layer"):
        trace_chain(3, 0.1, activation="tanh", out="bce", y=1.0)


def test_a_non_finite_label_is_rejected():
    with pytest.raises(ValueError, match="y must be finite"):
        trace_chain(3, 0.1, out="mse", y=math.nan)


def test_an_overflowing_forward_pass_says_which_layer():
    with pytest.raises(ValueError, match="overflows float64 at layer 3"):
        trace_chain(5, 1e150, activation="linear")
