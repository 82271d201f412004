"""The visible tests catch the classic mistakes, each with the message written for it.

For every graded exercise with code, a catalogue of classic wrong answers (mutants): sigma' of the
wrong layer, delta started at 1, fan_in and fan_out swapped, a variance where a standard deviation
was meant, clipping by value instead of by norm, batch statistics in evaluation mode, and the other
mistakes the lessons' "Common mistake" boxes warn about. Each mutant replaces the code between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` of one answer cell, as a student would, and must
make a *visible* test (what the student sees before handing in) fail with an AssertionError whose
text names the mistake: a mutant that passes, or fails only by crashing, or with an unrelated
message, fails this test.

``tools/run_mutants.py`` runs one notebook per subprocess: the notebook once, in-process, forking
before each mutated answer (about a second per notebook).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from textwrap import dedent
from typing import NamedTuple

import pytest
from _torch import require_torch

from conftest import TORCH_NOTEBOOKS, torch_missing

ROOT = Path(__file__).resolve().parent.parent


class Mutant(NamedTuple):
    name: str          # what the student got wrong
    cell: str          # grade_id of the answer cell it replaces
    test: str          # grade_id of the visible test cell that must catch it
    message: str       # a phrase of the AssertionError written for this mistake
    answer: str        # the wrong answer, as a student would write it


def m(name, cell, test, message, answer):
    return Mutant(name, cell, test, message, dedent(answer).strip("\n"))


CHAIN_DELTAS = """
    weights = np.asarray(weights, dtype=np.float64)
    fprime = sigmoid_prime(np.asarray(z, dtype=np.float64))
    delta = np.empty(len(fprime))
    delta[-1] = {start}
    for l in range(len(delta) - 2, -1, -1):
        delta[l] = delta[l + 1] * {weight} * {slope}
    return delta
"""


def chain_deltas(start="fprime[-1]", weight="weights[l + 1]", slope="fprime[l]"):
    return CHAIN_DELTAS.format(start=start, weight=weight, slope=slope)


LATCH_NUMBERS = """
    W = 2.0
    h_star = {h_star}
    factor = {factor}
    latch_08 = hold_bit(0.8, noise=0.3, T=100, runs=1000, seed=0)
    latch_2 = hold_bit(W, noise=0.3, T=100, runs=1000, seed=0)
    kept_08, kept_2 = latch_08.survival({read}), latch_2.survival({read})
    log10_grad_08 = latch_08.median_log10_gradient(100)
    log10_grad_2 = latch_2.median_log10_gradient(100)
"""


def latch_numbers(h_star="float(fixed_points(W)[-1])", factor="abs(W * (1.0 - h_star ** 2))", read="100"):
    return LATCH_NUMBERS.format(h_star=h_star, factor=factor, read=read)


LANDING = """
    loss_5, grads_5 = net5.loss_and_gradients(X5, y5)
    d5, norm_5 = {direction}, grads_5.global_norm()
    ends = loss_slice(net5, X5, y5, d5, [-1e-8, 1e-8], loss="bce_with_logits").losses
    slope = float((ends[1] - ends[0]) / 2e-8)
    alpha_plain, alpha_clipped = {alphas}
    loss_plain, loss_clipped = (float(v) for v in loss_slice(
        net5, X5, y5, d5, [alpha_plain, alpha_clipped], loss="bce_with_logits").losses)
"""


def landing(direction="unit_direction(grads_5.as_list())",
            alphas="-LR5 * norm_5, -LR5 * min(norm_5, C5)"):
    """Lesson 09, exercise 5 (where a step lands on a loss slice), with one part wrong."""
    return LANDING.format(direction=direction, alphas=alphas)

GRADIENT_SCAN = """
    check_weights = np.full(3, 2.0)
    exact = trace_chain(3, check_weights, out="mse", y=0.0).{target}
    errors = {{h: relative_error(numerical_gradient(
        lambda: chain_output(check_weights, 0.0, x=1.0, out="mse", y=0.0), check_weights, h=h), exact)
        for h in STEPS}}
    best_h = {best}
"""


def gradient_scan(target="grad_w", best="min(errors, key=errors.get)"):
    return GRADIENT_SCAN.format(target=target, best=best)


TOP_LAYER_MEANS = """
    X, Y, _, _ = data.digits(classes=(0, 1), seed=0)
    top_means = []
    for chunk in range(11):
        if chunk == 0 or {fresh}:
            net = MLP([64, 64, 64, 64, 64, 1], activation="sigmoid", init=init.uniform(1 / 8), seed=0)
        if chunk:
            fit(net, X, Y, steps=10, lr=0.1)
        loss, grads = net.loss_and_gradients(X, Y, "mse")
        stats = net.stats(grads)
        top_means.append(float(stats.act_mean[{layer}]))
    lower_means = [float(m) for m in stats.act_mean[:3]]
    top_saturated = float(stats.saturated[{layer}])
"""


def top_layer_means(layer="3", fresh="False"):
    return TOP_LAYER_MEANS.format(layer=layer, fresh=fresh)


CATALOGUE = {
    "01_chain_rule_decay": [
        m("x fed to every layer", "ex1_forward", "ex1_forward_tests", "feed the previous activation", """
            z = np.array([w * x for w in weights], dtype=np.float64)
            return z, sigmoid(z)
        """),
        m("z fed forward instead of a", "ex1_forward", "ex1_forward_tests", "not z_1", """
            z, a, previous = [], [], float(x)
            for w in weights:
                z.append(w * previous)
                a.append(sigmoid(z[-1]))
                previous = z[-1]
            return np.array(z), np.array(a)
        """),
        m("no activation", "ex1_forward", "ex1_forward_tests", "a_1 = sigmoid(z_1)", """
            z, previous = [], float(x)
            for w in weights:
                z.append(w * previous)
                previous = z[-1]
            return np.array(z), np.array(z)
        """),
        m("sigma' of the layer above", "ex1_deltas", "ex1_deltas_tests", "belongs to the layer whose delta",
          chain_deltas(slope="fprime[l + 1]")),
        m("delta started at 1", "ex1_deltas", "ex1_deltas_tests", "not 1", chain_deltas(start="1.0")),
        m("the layer's own weight", "ex1_deltas", "ex1_deltas_tests", "the weight of the layer above",
          chain_deltas(weight="weights[l]")),
        m("one weight for every layer", "ex1_deltas", "ex1_deltas_tests", "the weight of the layer above",
          chain_deltas(weight="weights[0]")),
        m("sigma' of the activation", "ex1_deltas", "ex1_deltas_tests", "sigma'(z_4)", """
            fprime = sigmoid_prime(sigmoid(np.asarray(z, dtype=np.float64)))
            delta = np.empty(len(fprime))
            delta[-1] = fprime[-1]
            for l in range(len(delta) - 2, -1, -1):
                delta[l] = delta[l + 1] * weights[l + 1] * fprime[l]
            return delta
        """),
        m("the blog's delta (dOut/da_1)", "ex2_depth", "ex2_depth_tests", "Out = a_4", """
            def blog(depth):
                t = trace_chain(depth, 0.1)
                return float(np.prod(0.1 * sigmoid_prime(t.z[1:])))
            delta1_L4, delta1_L5, delta1_L6 = blog(4), blog(5), blog(6)
            shrink_per_layer = delta1_L5 / delta1_L6
        """),
        m("ratio upside down", "ex2_depth", "ex2_depth_tests", "shrink_per_layer = delta1_L5 / delta1_L6", """
            delta1_L4 = trace_chain(4, 0.1).delta[0]
            delta1_L5 = trace_chain(5, 0.1).delta[0]
            delta1_L6 = trace_chain(6, 0.1).delta[0]
            shrink_per_layer = delta1_L6 / delta1_L5
        """),
        m("weight gradient = delta", "ex3_ratios", "ex3_ratios_tests", "delta_l * a_{l-1}", """
            anchor = trace_chain(4, 0.1)
            delta_ratio = anchor.delta[3] / anchor.delta[0]
            grad_w_ratio = delta_ratio
            blog_delta1 = float(np.prod(0.1 * sigmoid_prime(anchor.z[1:])))
        """),
        m("ratios upside down", "ex3_ratios", "ex3_ratios_tests", "both are > 1", """
            anchor = trace_chain(4, 0.1)
            delta_ratio = anchor.delta[0] / anchor.delta[3]
            grad_w_ratio = anchor.grad_w[0] / anchor.grad_w[3]
            blog_delta1 = float(np.prod(0.1 * sigmoid_prime(anchor.z[1:])))
        """),
        m("the article's 0.25^19", "ex4_numbers", "ex4_numbers_tests", "quarter_pow_19 = 0.25 ** 19", """
            quarter_pow_19 = 0.0000000036
            log10_delta1_L20 = trace_chain(20, 0.1).log10_delta[0]
            log10_delta1_L1000 = trace_chain(1000, 0.1).log10_delta[0]
            delta1_L1000_float64 = trace_chain(1000, 0.1).delta[0]
        """),
        m("log10 of an underflowed float", "ex4_numbers", "ex4_numbers_tests", "log10_delta", """
            quarter_pow_19 = 0.25 ** 19
            log10_delta1_L20 = float(np.log10(trace_chain(20, 0.1).delta[0]))
            with np.errstate(divide="ignore"):
                log10_delta1_L1000 = float(np.log10(trace_chain(1000, 0.1).delta[0]))
            delta1_L1000_float64 = trace_chain(1000, 0.1).delta[0]
        """),
        m("stops at tiny instead of below it", "ex4_underflow", "ex4_underflow_tests", "not below it", """
            if not 0.0 < factor < 1.0:
                raise ValueError(f"factor must be between 0 and 1, got {factor}")
            kind = np.dtype(dtype).type
            product, layers = kind(1.0), 0
            while product > np.finfo(kind).tiny:
                product, layers = product * kind(factor), layers + 1
            return layers
        """),
        m("logarithms instead of products", "ex4_underflow", "ex4_underflow_tests", "not below it", """
            import math
            if not 0.0 < factor < 1.0:
                raise ValueError(f"factor must be between 0 and 1, got {factor}")
            tiny = float(np.finfo(dtype).tiny)
            return math.ceil(math.log(tiny) / math.log(factor))
        """),
        m("dtype ignored", "ex4_underflow", "ex4_underflow_tests", "float32", """
            if not 0.0 < factor < 1.0:
                raise ValueError(f"factor must be between 0 and 1, got {factor}")
            product, layers = 1.0, 0
            while product >= np.finfo(np.float64).tiny:
                product, layers = product * factor, layers + 1
            return layers
        """),
        m("forward difference", "ex5_scan", "ex5_scan_tests", "a forward difference", """
            check_weights = np.full(3, 2.0)
            exact = trace_chain(3, check_weights, out="mse", y=0.0).grad_w
            errors = {}
            for h in STEPS:
                base = chain_output(check_weights, 0.0, x=1.0, out="mse", y=0.0)
                numeric = np.empty(3)
                for i in range(3):
                    old = check_weights[i]
                    check_weights[i] = old + h
                    numeric[i] = (chain_output(check_weights, 0.0, x=1.0, out="mse", y=0.0) - base) / h
                    check_weights[i] = old
                errors[h] = relative_error(numeric, exact)
            best_h = min(errors, key=errors.get)
        """),
        m("checked against the deltas", "ex5_scan", "ex5_scan_tests", "not with the deltas",
          gradient_scan(target="delta")),
        m("the smallest step taken as the best", "ex5_scan", "ex5_scan_tests", "not the smallest step",
          gradient_scan(best="min(STEPS)")),
        m("1e-4 taken as the limit of fine", "ex5_classify", "ex5_classify_tests", "suspicious, not fine", """
            if not float(error) >= 0.0:
                raise ValueError(f"error must be >= 0, got {error}")
            return "fine" if error < 1e-4 else "wrong"
        """),
        m("thresholds reversed", "ex5_classify", "ex5_classify_tests", "1e-9 is fine", """
            if not float(error) >= 0.0:
                raise ValueError(f"error must be >= 0, got {error}")
            if error > 1e-4:
                return "fine"
            return "suspicious" if error >= 1e-7 else "wrong"
        """),
        m("negative error accepted", "ex5_classify", "ex5_classify_tests", "never negative", """
            if error < 1e-7:
                return "fine"
            return "suspicious" if error <= 1e-4 else "wrong"
        """),
    ],
    "02_sigmoid_saturation": [
        m("square completed wrongly", "ex1_sympy", "ex1_sympy_tests", "should be 0 for every s", """
            c = sp.Rational(1, 2)
            m = sp.Rational(1, 2)
            z_at_max = sp.solve(sp.Eq(1 / (1 + sp.exp(-z)), m), z)[0]
            tanh_prime_peak = 4 * c
        """),
        m("tanh' peak taken as sigma's", "ex1_sympy", "ex1_sympy_tests", "tanh'(z) = 4 sigma'(2z)", """
            c = sp.Rational(1, 4)
            m = sp.Rational(1, 2)
            z_at_max = sp.solve(sp.Eq(1 / (1 + sp.exp(-z)), m), z)[0]
            tanh_prime_peak = c
        """),
        m("textbook s * (1 - s)", "ex2_sigmoid_prime", "ex2_sigmoid_prime_tests", "avoid computing 1 - sigma(40)",
          """
            s = 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64)))
            return s * (1 - s)
        """),
        m("exponent of the wrong sign", "ex2_sigmoid_prime", "ex2_sigmoid_prime_tests", "warned or overflowed", """
            e = np.exp(-np.asarray(z, dtype=np.float64))
            return e / (1.0 + e) ** 2
        """),
        m("1 - s by subtraction", "ex3_threshold", "ex3_threshold_tests", "compute 1 - s as level / s", """
            if not 0.0 < level < 0.25:
                raise ValueError(f"level must be between 0 and 1/4, got {level}")
            s = (1.0 + np.sqrt(1.0 - 4.0 * level)) / 2.0
            return float(np.log(s / (1.0 - s)))
        """),
        m("the root below 1/2", "ex3_threshold", "ex3_threshold_tests", "the root s > 1/2", """
            if not 0.0 < level < 0.25:
                raise ValueError(f"level must be between 0 and 1/4, got {level}")
            s = (1.0 - np.sqrt(1.0 - 4.0 * level)) / 2.0
            return float(np.log(s * s / level))
        """),
        m("no check of the level", "ex3_threshold", "ex3_threshold_tests", "raise ValueError", """
            if level <= 0.0:
                raise ValueError(f"level must be positive, got {level}")
            s = (1.0 + np.sqrt(complex(1.0 - 4.0 * level)).real) / 2.0
            return float(np.log(s * s / level))
        """),
        m("rules of thumb taken on trust", "ex3_claims", "ex3_claims_tests", "holds exactly when", """
            sp_at_2 = float(sigmoid_prime(2.0))
            sp_at_4 = float(sigmoid_prime(4.0))
            z_for_0p1 = saturation_threshold(0.1)
            z_for_0p018 = saturation_threshold(0.018)
            z_for_0p01 = saturation_threshold(0.01)
            claim_2_true = True
            claim_4_true = True
        """),
        m("three factors sigma' (the blog's convention)", "ex4_weights", "ex4_weights_tests", "four factors", """
            delta1_assumed = {w: (w * 0.20) ** 3 for w in (0.5, 2.0)}
            delta1_actual = {w: float(trace_chain(4, w).delta[0]) for w in (0.1, 0.5, 2.0, 10.0)}
        """),
        m("ratio upside down", "ex4_saturation", "ex4_saturation_tests", "sigma'(0.5) / sigma'(5)", """
            sp_at_5 = float(sigmoid_prime(5.0))
            sp_at_0p5 = float(sigmoid_prime(0.5))
            saturation_ratio = sp_at_5 / sp_at_0p5
            u = np.linspace(0.0, 20.0, 200_001)
            products = u * sigmoid_prime(u)
            u_at_max, max_u_sp = float(u[np.argmax(products)]), float(products.max())
        """),
        m("maximum of sigma' alone", "ex4_saturation", "ex4_saturation_tests", "not of sigma'(u) alone", """
            sp_at_5 = float(sigmoid_prime(5.0))
            sp_at_0p5 = float(sigmoid_prime(0.5))
            saturation_ratio = sp_at_0p5 / sp_at_5
            u = np.linspace(0.0, 20.0, 200_001)
            products = sigmoid_prime(u)
            u_at_max, max_u_sp = float(u[np.argmax(products)]), float(products.max())
        """),
        m("the output layer read as the top hidden layer", "ex5_top_layer", "ex5_top_layer_tests",
          "act_mean[-1] is the linear output layer", top_layer_means(layer="-1")),
        m("layer index one too low", "ex5_top_layer", "ex5_top_layer_tests", "stats.act_mean[3]",
          top_layer_means(layer="2")),
        m("a new network in every chunk", "ex5_top_layer", "ex5_top_layer_tests", "do not build a new MLP",
          top_layer_means(fresh="True")),
    ],
    "03_exploding_gradients": [
        m("deltas instead of weight gradients", "ex1_relu", "ex1_relu_tests", "did you return the deltas", """
            relu_chain = trace_chain(4, 0.1, activation="relu")
            delta1_relu = float(relu_chain.delta[0])
            grad_w_relu = relu_chain.delta
            delta1_relu_sigmoid_out = float(trace_chain(4, 0.1, activation=["relu"] * 3 + ["sigmoid"]).delta[0])
            delta1_relu_w2 = float(trace_chain(4, 2.0, activation="relu").delta[0])
        """),
        m("activation forgotten for w = 2", "ex1_relu", "ex1_relu_tests", "activation=\"relu\"", """
            relu_chain = trace_chain(4, 0.1, activation="relu")
            delta1_relu = float(relu_chain.delta[0])
            grad_w_relu = relu_chain.grad_w
            delta1_relu_sigmoid_out = float(trace_chain(4, 0.1, activation=["relu"] * 3 + ["sigmoid"]).delta[0])
            delta1_relu_w2 = float(trace_chain(4, 2.0).delta[0])
        """),
        m("overflow warning not silenced", "ex2_overflow", "ex2_overflow_tests", "use np.errstate", """
            if not factor > 1.0:
                raise ValueError(f"factor must be greater than 1, got {factor}")
            kind = np.dtype(dtype).type
            product, layers = kind(1.0), 0
            while np.isfinite(product):
                product, layers = product * kind(factor), layers + 1
            return layers
        """),
        m("counts the last finite layer", "ex2_overflow", "ex2_overflow_tests", "expected 1024", """
            if not factor > 1.0:
                raise ValueError(f"factor must be greater than 1, got {factor}")
            kind = np.dtype(dtype).type
            product, layers = kind(1.0), 0
            with np.errstate(over="ignore"):
                while np.isfinite(product * kind(factor)):
                    product, layers = product * kind(factor), layers + 1
            return layers
        """),
        m("one layer too deep", "ex2_numbers", "ex2_numbers_tests", "one layer too deep", """
            deepest_finite_chain = layers_until_overflow(1.5)
            log10_delta1_deepest = float((deepest_finite_chain - 1) * np.log10(1.5))
            overflow_1p5_float32 = layers_until_overflow(1.5, np.float32)
        """),
        m("M_1 applied last", "ex3_norms", "ex3_norms_tests", "M_1 acts first", """
            product, norms = None, []
            for mat in matrices:
                mat = np.asarray(mat, dtype=np.float64)
                product = mat if product is None else product @ mat
                norms.append(np.linalg.norm(product, 2))
            return np.array(norms)
        """),
        m("Frobenius norm", "ex3_norms", "ex3_norms_tests", "Frobenius", """
            product, norms = None, []
            for mat in matrices:
                mat = np.asarray(mat, dtype=np.float64)
                product = mat if product is None else mat @ product
                norms.append(np.linalg.norm(product))
            return np.array(norms)
        """),
        m("largest eigenvalue", "ex3_norms", "ex3_norms_tests", "eigenvalues 0", """
            product, norms = None, []
            for mat in matrices:
                mat = np.asarray(mat, dtype=np.float64)
                product = mat if product is None else mat @ product
                norms.append(np.max(np.abs(np.linalg.eigvals(product))))
            return np.array(norms)
        """),
        m("peak layer counted from 0", "ex3_counterexamples", "ex3_counterexamples_tests", "counts layers from 1",
          """
            eigs_A, eigs_B = np.linalg.eigvals(A), np.linalg.eigvals(B)
            alternating_norms = product_norms([A, B] * 10)
            J_norms = product_norms([J] * 50)
            J_peak = float(J_norms.max())
            J_peak_layer = int(np.argmax(J_norms))
        """),
        m("natural logarithm", "ex4_gains", "ex4_gains_tests", "gains 1, 2, 3 in log10", """
            u = np.asarray(v, dtype=np.float64) / np.linalg.norm(v)
            total, gains = 0.0, []
            for w in weights:
                u = w @ u
                total += np.log(np.linalg.norm(u))
                u = u / np.linalg.norm(u)
                gains.append(total)
            return np.array(gains)
        """),
        m("no rescaling", "ex4_gains", "ex4_gains_tests", "warned", """
            u = np.asarray(v, dtype=np.float64)
            gains = []
            for w in weights:
                u = w @ u
                gains.append(np.log10(np.linalg.norm(u) / np.linalg.norm(v)))
            return np.array(gains)
        """),
        m("v rescaled in place", "ex4_gains", "ex4_gains_tests", "must not modify v", """
            u = v
            u /= np.linalg.norm(u)
            total, gains = 0.0, []
            for w in weights:
                u = w @ u
                norm = np.linalg.norm(u)
                total += np.log10(norm)
                u = u / norm
                gains.append(total)
            return np.array(gains)
        """),
        m("variance used as std", "ex4_experiment", "ex4_experiment_tests", "std_xavier = sqrt(2 / 128)", """
            std_xavier = 2 / (width + width)
            std_misread = np.sqrt(2 / (width + width))
            def draw(std):
                rng = np.random.default_rng(0)
                return [std * rng.standard_normal((width, width)) for _ in range(depth)]
            gains_xavier = log10_gains(draw(std_xavier), v)
            gains_misread = log10_gains(draw(std_misread), v)
        """),
    ],
    "04_relu_and_friends": [
        m("L factors instead of L - 1", "ex1b_relu_chain_numbers", "ex1b_tests", "L - 1 = 5 factors", """
            delta_1 = float(w ** L)
            grad_w_1 = float(w ** L * x)
        """),
        m("input forgotten in the weight gradient", "ex1b_relu_chain_numbers", "ex1b_tests", "a_0 is the input x",
          """
            delta_1 = float(w ** (L - 1))
            grad_w_1 = delta_1
        """),
        m("ten factors for ten layers", "ex2a_no_decay_numbers", "ex2a_tests", "9 backward factors", """
            ratio_w05 = 0.5 ** 10
            weight_for_no_decay = 1.0
        """),
        m("ratio upside down", "ex2a_no_decay_numbers", "ex2a_tests", "between 0 and 1", """
            t = trace_chain(10, 0.5, activation="relu")
            ratio_w05 = float(abs(t.delta[-1] / t.delta[0]))
            weight_for_no_decay = 1.0
        """),
        m("z = 0 counted alive", "ex3_dead_fraction", "ex3_tests", "z = 0 counts as dead", """
            return float(np.mean(np.all(np.asarray(Z) < 0.0, axis=0)))
        """),
        m("examples instead of units", "ex3_dead_fraction", "ex3_tests", "columns are units", """
            return float(np.mean(np.all(np.asarray(Z) <= 0.0, axis=1)))
        """),
        m("entries instead of units", "ex3_dead_fraction", "ex3_tests", "columns are units", """
            return float(np.mean(np.asarray(Z) <= 0.0))
        """),
        m("measured before training", "ex4b_run_experiment", "ex4b_tests", "did you train with steps=3", """
            def layer1_dead(name):
                net = MLP([2, 64, 64, 64, 1], activation=name, init="he_normal", seed=0)
                _, grad = losses.bce_with_logits(net.forward(X), y)
                return float(net.stats(net.backward(grad)).dead[0])
            dead_layer1 = {name: layer1_dead(name) for name in ("relu", "leaky_relu", "elu")}
        """),
        m("positive side included", "ex5a_prelu_slope_gradient", "ex5a_tests", "the positive side adds nothing", """
            return np.sum(np.asarray(G) * np.asarray(Z), axis=0)
        """),
        m("a z instead of z", "ex5a_prelu_slope_gradient", "ex5a_tests", "not a z", """
            return np.asarray(a) * np.sum(np.asarray(G) * np.minimum(Z, 0.0), axis=0)
        """),
        m("mean over the batch", "ex5a_prelu_slope_gradient", "ex5a_tests", "do not average", """
            return np.mean(np.asarray(G) * np.minimum(Z, 0.0), axis=0)
        """),
        m("summed over the units", "ex5a_prelu_slope_gradient", "ex5a_tests", "sum over the batch (axis 0)", """
            return np.sum(np.asarray(G) * np.minimum(Z, 0.0), axis=1)
        """),
    ],
    "05_initialization": [
        m("negative half forgotten", "ex1_leaky_he_derivation", "ex1_tests", "LeCun's 1/n_in", """
            second_moment = sp.simplify(sp.integrate(u**2 * density, (u, 0, sp.oo)))
            var_w_leaky = sp.solve(sp.Eq(n_in * Var_w * second_moment, sigma**2), Var_w)[0]
        """),
        m("alpha not squared", "ex1_leaky_he_derivation", "ex1_tests", "alpha^2", """
            second_moment = sp.simplify(sp.integrate(u**2 * density, (u, 0, sp.oo))
                                        + sp.integrate(alpha * u**2 * density, (u, -sp.oo, 0)))
            var_w_leaky = sp.solve(sp.Eq(n_in * Var_w * second_moment, sigma**2), Var_w)[0]
        """),
        m("fan_in and fan_out swapped", "ex2a_numbers", "ex2a_tests", "fan_in = 256", """
            he_uniform_bound = math.sqrt(3 * variance("he", 64, 256))
            xavier_std = math.sqrt(variance("xavier", 100, 300))
            misread_std = math.sqrt(math.sqrt(2 / (100 + 300)))
        """),
        m("variance used as std", "ex2a_numbers", "ex2a_tests", "is its variance", """
            he_uniform_bound = math.sqrt(3 * variance("he", 256, 64))
            xavier_std = variance("xavier", 100, 300)
            misread_std = math.sqrt(math.sqrt(2 / (100 + 300)))
        """),
        m("uniform bound = std", "ex2a_numbers", "ex2a_tests", "r = sqrt(3) s", """
            he_uniform_bound = math.sqrt(variance("he", 256, 64))
            xavier_std = math.sqrt(variance("xavier", 100, 300))
            misread_std = math.sqrt(math.sqrt(2 / (100 + 300)))
        """),
        m("variance returned", "ex3a_truncated_ratio", "ex3a_tests", "variance instead of its square root", """
            phi = math.exp(-b * b / 2) / math.sqrt(2 * math.pi)
            Phi = 0.5 * (1 + math.erf(b / math.sqrt(2)))
            return 1 - 2 * b * phi / (2 * Phi - 1)
        """),
        m("multiplied instead of divided", "ex3b_corrected_std", "ex3b_tests", "must be larger than the target", """
            corrected_nominal_std = math.sqrt(2 / 64) * truncated_std_ratio(2.0)
        """),
        m("variance ratio predicted", "ex4a_prediction", "ex4b_tests", "ratio of standard deviations", """
            predicted_ratio = 2.0 ** -28
        """),
        m("columns counted", "ex5a_count_distinct_rows", "ex5a_tests", "count distinct rows, not columns", """
            W = np.asarray(W, dtype=np.float64).T
            scale = tol * np.max(np.abs(W))
            kept = []
            for row in W:
                if not any(np.max(np.abs(row - k)) <= scale for k in kept):
                    kept.append(row)
            return len(kept)
        """),
        m("exact comparison", "ex5a_count_distinct_rows", "ex5a_tests", "not exactly", """
            return len(np.unique(np.asarray(W), axis=0))
        """),
        m("absolute tolerance", "ex5a_count_distinct_rows", "ex5a_tests", "relative to the largest |w|", """
            kept = []
            for row in np.asarray(W, dtype=np.float64):
                if not any(np.max(np.abs(row - k)) <= tol for k in kept):
                    kept.append(row)
            return len(kept)
        """),
        m("weights not normalised", "ex6a_gain_of", "ex6a_tests", "divide the weighted sum by sqrt(2 pi)", """
            return 1.0 / math.sqrt(float(np.sum(WEIGHTS * f(NODES) ** 2)))
        """),
        m("no square root", "ex6a_gain_of", "ex6a_tests", "take the square root", """
            return 1.0 / (float(np.sum(WEIGHTS * f(NODES) ** 2)) / math.sqrt(2 * math.pi))
        """),
        m("mean squared instead of second moment", "ex6a_gain_of", "ex6a_tests", "not E[f(z)]^2", """
            mean = float(np.sum(WEIGHTS * f(NODES))) / math.sqrt(2 * math.pi)
            return 1.0 / math.sqrt(mean ** 2) if mean else 1.0
        """),
    ],
    "06_batch_normalization": [
        m("bias gradient in evaluation mode", "ex1_code", "ex1_test", "in training mode", """
            net1.eval()
            def out1():
                return losses.mse(net1.forward(X1), Y1)[0]
            max_bias_grad = float(np.max(np.abs(numerical_gradient(out1, net1.biases[0]))))
            net1.train()
        """),
        m("unbiased variance", "ex2_code", "ex2_test_gradcheck", "biased variance", """
            mu, var = Z.mean(axis=0), Z.var(axis=0, ddof=1)
            inv_std = 1.0 / np.sqrt(var + eps)
            Zhat = (Z - mu) * inv_std
            return gamma * Zhat + beta, (Zhat, inv_std, gamma)
        """),
        m("variance used as std", "ex2_code", "ex2_test_gradcheck", "sqrt(var + eps)", """
            mu, var = Z.mean(axis=0), Z.var(axis=0)
            inv_std = 1.0 / (var + eps)
            Zhat = (Z - mu) * inv_std
            return gamma * Zhat + beta, (Zhat, inv_std, gamma)
        """),
        m("statistics per example", "ex2_code", "ex2_test_gradcheck", "must have mean 0", """
            mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
            inv_std = 1.0 / np.sqrt(var + eps)
            Zhat = (Z - mu) * inv_std
            return gamma * Zhat + beta, (Zhat, inv_std, gamma)
        """),
        m("backward ignores the batch statistics", "ex2_code", "ex2_test_gradcheck", "depend on every entry", """
            mu, var = Z.mean(axis=0), Z.var(axis=0)
            inv_std = 1.0 / np.sqrt(var + eps)
            Zhat = (Z - mu) * inv_std
            return gamma * Zhat + beta, (Zhat, inv_std, gamma)
            ### NEXT SOLUTION
            Zhat, inv_std, gamma = cache
            return dU * gamma * inv_std, np.sum(dU * Zhat, axis=0), dU.sum(axis=0)
        """),
        m("batch statistics in evaluation mode", "ex2_eval_code", "ex2_eval_test", "running statistics", """
            return batchnorm_forward(Z, gamma, beta, eps)[0]
        """),
        m("running variance as a std", "ex2_eval_code", "ex2_eval_test", "sqrt(running_var + eps)", """
            return gamma * (Z - running_mean) / (running_var + eps) + beta
        """),
        m("density forgotten", "ex3_code", "ex3_test", "a bit below the peak", """
            _zhat = np.linspace(-12.0, 12.0, 100_001)
            def expected_sigmoid_prime(gamma, beta=0.0):
                return float(np.mean(sigmoid_prime(gamma * _zhat + beta)))
            e_1, e_3 = expected_sigmoid_prime(1.0), expected_sigmoid_prime(3.0)
            gamma_half = 2.0
        """),
        m("gamma of layer 1 only", "ex4_code", "ex4_test", "every hidden gamma", """
            _, grad = losses.mse(net4.forward(X4), Y4)
            grads = net4.backward(grad)
            mean_prime_gamma1 = float(np.mean([f.mean() for f in grads.fprime[:-1]]))
            net4.gamma[0][:] = 4.0
            _, grad = losses.mse(net4.forward(X4), Y4)
            saturated_gamma4 = float(net4.stats(net4.backward(grad)).saturated[:-1].mean())
        """),
        m("NaN looked for in the loss curve", "ex6_code", "ex6_test", "do not look for NaN", """
            diverged_without, diverged_with = {}, {}
            for lr in LRS6:
                h0 = fit(net6(False), X6, y6, steps=80, lr=lr, loss="bce_with_logits")
                h1 = fit(net6(True), X6, y6, steps=80, lr=lr, loss="bce_with_logits")
                diverged_without[lr] = bool(np.isnan(h0.loss).any())
                diverged_with[lr] = bool(np.isnan(h1.loss).any())
            largest_stable_without = max(LRS6)
        """),
        m("batch norm forgotten", "ex6_code", "ex6_test", "batchnorm=True", """
            diverged_without, diverged_with = {}, {}
            for lr in LRS6:
                diverged_without[lr] = fit(net6(False), X6, y6, steps=80, lr=lr,
                                             loss="bce_with_logits").diverged_at
                diverged_with[lr] = fit(net6(False), X6, y6, steps=80, lr=lr,
                                          loss="bce_with_logits").diverged_at
            largest_stable_without = max(lr for lr in LRS6 if diverged_without[lr] is None)
        """),
        m("passes in evaluation mode", "ex5_measure", "ex5_measure_test", "should be an int", """
            net5.eval()
            measured_passes = None
            for k in range(1, 1000):
                net5.forward(X5)
                mu_batch = net5.preactivations(normalized=False)[0].mean(axis=0)
                if np.all(np.abs(net5.running_mean[0] - mu_batch) <= 0.01 * np.abs(mu_batch)):
                    measured_passes = k
                    break
            net5.train()
        """),
    ],
    "07_residual_connections": [
        m("slope at the updated activation", "ex1_code", "ex1_test", "a_prev the block's input", """
            f = activations.get(activation)
            a, grad = float(x), 1.0
            for w in weights:
                a = a + s * float(f.f(w * a))
                grad *= 1.0 + s * w * float(f.prime(w * a))
            return a, grad
        """),
        m("identity path forgotten", "ex1_code", "ex1_test", "1 + s * w * f'", """
            f = activations.get(activation)
            a, grad = float(x), 1.0
            for w in weights:
                grad *= s * w * float(f.prime(w * a))
                a = a + s * float(f.f(w * a))
            return a, grad
        """),
        m("first-order branch scale", "ex2_code", "ex2_test", "first-order approximation", """
            log10_growth = 1000 * np.log10(2.0)
            s_e = 1 / np.sqrt(1000)
            max_blocks = int(np.finfo(np.float64).maxexp - 1)
        """),
        m("log2 of the largest float", "ex2_code", "ex2_test", "rounds to exactly 1024.0", """
            log10_growth = 1000 * np.log10(2.0)
            s_e = float(np.sqrt(np.expm1(1.0 / 1000)))
            max_blocks = int(np.log2(np.finfo(np.float64).max))
        """),
        m("ratio upside down", "ex4_code", "ex4_test", "layer 29 over layer 1", """
            ratios = {}
            for residual in (False, True):
                p = gradient_profile(depth=30, width=32, batch=64, activation="sigmoid", init="xavier_normal",
                                     residual=residual)
                ratios[residual] = float(np.log10(p[0] / p[28]))
            log10_ratio_plain, log10_ratio_residual = ratios[False], ratios[True]
        """),
    ],
    "08_lstm_gru_gates": [
        m("eigenvalue of W^T W", "ex1b_numbers", "ex1b_tests", "eigenvalue of W^T W", """
            W = net.params["W_hh"]
            sigma_max = float(np.max(np.linalg.eigvalsh(W.T @ W)))
            bound_20 = sigma_max ** 20
            measured_20 = float(gradient_vs_lag(net, T=30).ratio[20])
        """),
        m("bound added up, not multiplied", "ex1b_numbers", "ex1b_tests", "20 * sigma_max", """
            sigma_max = largest_singular_value(net.params["W_hh"])
            bound_20 = 20 * sigma_max
            measured_20 = float(gradient_vs_lag(net, T=30).ratio[20])
        """),
        m("tanh' of the earlier step", "ex2_hidden_gradients", "ex2_tests", "of the LATER step", """
            batch, T, n = H.shape
            dH = np.empty_like(H)
            dH[:, T - 1] = dh_T
            for t in range(T - 1, 0, -1):
                dH[:, t - 1] = (dH[:, t] * (1.0 - H[:, t - 1] ** 2)) @ W_hh
            return dH
        """),
        m("W_hh instead of its transpose", "ex2_hidden_gradients", "ex2_tests", "W_hh^T", """
            batch, T, n = H.shape
            dH = np.empty_like(H)
            dH[:, T - 1] = dh_T
            for t in range(T - 1, 0, -1):
                dH[:, t - 1] = (dH[:, t] * (1.0 - H[:, t] ** 2)) @ W_hh.T
            return dH
        """),
        m("one gate instead of fifty", "ex3a_forget_products", "ex3a_tests", "about 0.986", """
            product_b0 = float(sigmoid(0.0) ** 50)
            product_b1 = float(sigmoid(1.0) ** 50)
            b_needed = math.log(0.5 / (1 - 0.5))
        """),
        m("powers counted from 0", "ex4b_norms", "ex4b_tests", "norms[0] is ||W^1||", """
            norms = np.array([np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(60)])
            k_peak = int(np.argmax(norms))
            rho = spectral_radius(W)
            sigma_max = largest_singular_value(W)
        """),
        m("peak index counted from 0", "ex4b_norms", "ex4b_tests", "counts k from 1", """
            norms = np.array([np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(1, 61)])
            k_peak = int(np.argmax(norms))
            rho = spectral_radius(W)
            sigma_max = largest_singular_value(W)
        """),
        m("the fixed point 0", "ex5b_latch_numbers", "ex5b_tests", "the fixed point 0 stores no bit",
          latch_numbers(h_star="float(fixed_points(W)[1])")),
        m("w left out of the factor", "ex5b_latch_numbers", "ex5b_tests", "left out the factor w",
          latch_numbers(factor="abs(1.0 - h_star ** 2)")),
        m("tanh' at the state", "ex5b_latch_numbers", "ex5b_tests", "belongs at the pre-activation",
          latch_numbers(factor="abs(W * (1.0 - math.tanh(h_star) ** 2))")),
        m("bit read as written", "ex5b_latch_numbers", "ex5b_tests", "not survival(0)",
          latch_numbers(read="0")),
        m("slope of the earlier state", "ex5c_state_gradient", "ex5c_tests", "from the NEW state", """
            H = np.asarray(H, dtype=np.float64)
            return float(np.prod(w * (1.0 - H[:-1] ** 2)))
        """),
        m("w left out of each step", "ex5c_state_gradient", "ex5c_tests", "you left out w", """
            H = np.asarray(H, dtype=np.float64)
            return float(np.prod(1.0 - H[1:] ** 2))
        """),
        m("h_0 counted as a step", "ex5c_state_gradient", "ex5c_tests", "h_0 contributes no factor", """
            H = np.asarray(H, dtype=np.float64)
            return float(np.prod(w * (1.0 - H ** 2)))
        """),
    ],
    "09_gradient_clipping": [
        m("value clipping instead of norm clipping", "ex1_clipping_rules", "ex1_tests", "that is clip_value", """
            return [np.clip(g, -c, c) for g in grads]
        """),
        m("each array clipped by its own norm", "ex1_clipping_rules", "ex1_tests", "by its own norm", """
            return [g * min(1.0, c / np.linalg.norm(g)) if np.linalg.norm(g) > 0 else g.copy() for g in grads]
        """),
        m("always rescaled to c", "ex1_clipping_rules", "ex1_tests", "already below c is unchanged", """
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
            return [g * (c / norm) if norm > 0 else g.copy() for g in grads]
        """),
        m("gradient changed in place", "ex1_clipping_rules", "ex1_tests", "must not change its input", """
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
            for g in grads:
                g *= min(1.0, c / norm) if norm > 0 else 1.0
            return list(grads)
        """),
        m("zero gradient divided by zero", "ex1_clipping_rules", "ex1_tests", "a zero gradient stays zero", """
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
            with np.errstate(divide="ignore", invalid="ignore"):
                return [g / norm * min(norm, c) for g in grads]
        """),
        m("value clipping angle for norm", "ex2a_angles", "ex2a_tests", "the angle is 0", """
            angle_norm = angle(g, clip_value([g], 0.5)[0])
            angle_value = angle(g, clip_value([g], 0.5)[0])
            angle_sign = angle(g, np.sign(g))
        """),
        m("summed loss not scaled", "ex3a_norms", "ex3a_tests", "multiplies every gradient entry", """
            _, grads = net.loss_and_gradients(X, y)
            norm_mean = grads.global_norm()
            norm_sum = norm_mean
            threshold_p90 = float(np.percentile(
                [net.loss_and_gradients(*memory_task(64, lag=20, seed=100 + k))[1].global_norm()
                 for k in range(10)], 90))
        """),
        m("norm and value runs swapped", "ex4b_runs", "ex4b_tests", "norm clipping stops clipping", """
            options = {"none": {}, "norm": {"clip_value": 0.01}, "value": {"clip_norm": 1.0}}
            diverged, final_loss = {}, {}
            for name, kwargs in options.items():
                relu_net = RNN(1, 8, activation="relu", recurrent_scale=1.5, seed=0)
                history = fit(relu_net, X30, y30, steps=100, lr=0.1, **kwargs, loss="bce_with_logits")
                diverged[name] = history.diverged_at is not None
                final_loss[name] = float(history.loss[-1])
        """),
        *[m(name, "ex5_landing", "ex5_tests", message, landing(**wrong)) for name, message, wrong in [
            ("direction not normalised", "not normalised", {"direction": "grads_5.as_list()"}),
            ("step taken uphill", "moves against the gradient",
             {"alphas": "LR5 * norm_5, LR5 * min(norm_5, C5)"}),
            ("clipped step without the learning rate", "forget the learning rate",
             {"alphas": "-LR5 * norm_5, -min(norm_5, C5)"})]],
    ],
    "10_diagnosing_training": [
        m("symptom before cause", "ex1_label", "ex1_label_test", "which one causes the others", """
            d = diagnose.verdict(stats, history)
            if d.diverged:
                return "exploding"
            if d.first_to_last > diagnose.VANISHING_RATIO or d.delta_ratio > diagnose.VANISHING_RATIO:
                return "vanishing"
            if d.max_dead > diagnose.DEAD_FRACTION:
                return "dead"
            if d.max_saturated > diagnose.SATURATED_FRACTION:
                return "saturated"
            if d.first_to_last < diagnose.EXPLODING_RATIO or d.delta_ratio < diagnose.EXPLODING_RATIO:
                return "exploding"
            return "healthy"
        """),
        m("rows standardised", "ex1_fix", "ex1_fix_test", "every column", """
            X = np.asarray(X, dtype=np.float64)
            return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
        """),
        m("relative to the new weights", "ex2_metric", "ex2_metric_test", "lr * |dW| / |W|", """
            return np.array([np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(a)
                             for b, a in zip(before, after)])
        """),
        m("delta ratio upside down", "ex4_run", "ex4_test", "shrink by orders of magnitude", """
            saturated, delta_ratio, final = {}, {}, {}
            for name, scheme in (("P", "xavier_normal"), ("Q", normal(3.0))):
                net = MLP([2, 16, 16, 16, 16, 1], activation="sigmoid", init=scheme, seed=0)
                _, g = losses.bce_with_logits(net.forward(X4), y4)
                stats = net.stats(net.backward(g))
                saturated[name] = float(stats.saturated.max())
                delta_ratio[name] = float(stats.delta_rms[0] / stats.delta_rms[-1])
                final[name] = float(fit(net, X4, y4, steps=300, lr=0.5, loss="bce_with_logits").loss[-1])
        """),
    ],
    "11_gradient_explorer": [
        m("ratio upside down", "ex1-decades-lost", "ex1-tests", "loses about ten powers of ten", """
            p = compare_profiles(depth=depth, activations=(activation,), init=init)[activation]
            return float(np.log10(p[0] / p[-1]))
        """),
        m("L steps instead of L - 1", "ex2-factor", "ex2-tests", "L - 1 = 39 steps", """
            p = compare_profiles(depth=40, activations=("sigmoid",), init="xavier_uniform")["sigmoid"]
            factor_per_layer = float((p[0] / p[-1]) ** (1 / 40))
            below_one_quarter = factor_per_layer < 0.25
        """),
        m("index one layer off", "ex3-layer-gradient", "ex3-tests", "layer 1 is the input side", """
            return profile[l]
        """),
        m("negative layer numbers accepted", "ex3-layer-gradient", "ex3-tests", "is not a layer", """
            return profile[l - 1]
        """),
        m("residual switched off", "ex4-residual", "ex4-tests", "residual=True", """
            residual_layer1 = {}
            for depth in (10, 20, 30, 40):
                p = compare_profiles(depth=depth, activations=("relu",))["relu"]
                residual_layer1[depth] = float(p[0])
            growth_per_layer = (residual_layer1[40] / residual_layer1[10]) ** (1 / 30)
        """),
    ],
    "12_signal_propagation": [
        m("E[relu'(z)^2] taken as 1", "ex1_chi_numbers", "ex1_tests", "relu' is 0 for half", """
            chi_relu = 1.5 * 1.0
            chi_tanh = 0.8 * 1.0
        """),
        m("ordered and chaotic swapped", "ex3_predict_check", "ex3_tests", "in the ordered phase", """
            predicted_phase = {sw2: "chaotic" if S.chi_1(sw2, 0.5, "tanh") < 1 else "ordered"
                               for sw2 in (2.0, 3.5)}
            measured_slope = {sw2: S.log_slope(S.per_example_grad_norms(sw2, 0.5, "tanh", 40, 128, 16), 8, 35)
                              for sw2 in (2.0, 3.5)}
        """),
        m("the tanh critical point used for the sigmoid", "ex4a_sigmoid_critical", "ex4a_tests",
          "the critical sigma_w^2 is above 16", """
            sigmoid_critical = S.critical_sigma_w2(0.0, "tanh")
            q_critical = S.fixed_point(sigmoid_critical, 0.0, "sigmoid")
            saturated_at_critical = S.saturation_fraction(q_critical, "sigmoid")
        """),
    ],
}

PLANTED_LOOP = """
    model = planted()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    with watch(model) as watcher_planted:
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss = bce(model)
            loss.backward()
            {first}
            {second}
    first = watcher_planted.stats(0)
    worst_layer = int(first.saturated.argmax()){plus_one}
    saturated_share = float(first.saturated.max())
    cause = "{cause}"
    final_loss = float(watcher_planted.history().loss[-1])
"""


def planted_loop(first="optimizer.step()", second="watcher_planted.step(loss)", plus_one=" + 1",
                 cause="saturated"):
    return PLANTED_LOOP.format(first=first, second=second, plus_one=plus_one, cause=cause)


XAVIER_FIX = """
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.xavier_normal_(module.weight, gain={gain})
            {bias}
"""


def xavier_fix(gain='torch.nn.init.calculate_gain("tanh")', bias="torch.nn.init.zeros_(module.bias)"):
    return XAVIER_FIX.format(gain=gain, bias=bias)


CATALOGUE["13_diagnose_pytorch"] = [
    m("vanishing blamed for saturation", "ex1_diagnose", "ex1_tests", "read the verdict",
      planted_loop(cause="vanishing")),
    m("layer index from 0", "ex1_diagnose", "ex1_tests", "layers are numbered from 1",
      planted_loop(plus_one="")),
    m("watcher.step before optimizer.step", "ex1_diagnose", "ex1_tests", "after optimizer.step()",
      planted_loop(first="watcher_planted.step(loss)", second="optimizer.step()")),
    m("tanh' taken as 1 - h", "ex2_share", "ex2_tests", "not 1 - h", """
        return float(((1.0 - H) < 0.1).sum()) / H.numel()
    """),
    m("the sigmoid's threshold 0.025", "ex2_share", "ex2_tests", "0.025 is the sigmoid's", """
        return float(((1.0 - H * H) < 0.025).sum()) / H.numel()
    """),
    m("units saturated on every row instead of entries", "ex2_share", "ex2_tests", "count entries", """
        saturated_units = ((1.0 - H * H) < 0.1).all(dim=0)
        return float(saturated_units.sum()) / saturated_units.numel()
    """),
    m("Xavier without tanh's gain", "ex3_fix", "ex3_tests", "without tanh's gain 5/3", xavier_fix(gain="1.0")),
    m("biases left as they were", "ex3_fix", "ex3_tests", "set every bias to zero", xavier_fix(bias="pass")),
    m("only the first layer re-initialised", "ex3_fix", "ex3_tests", "every Linear needs Xavier's std", """
        linears = [module for module in model.modules() if isinstance(module, torch.nn.Linear)]
        torch.nn.init.xavier_normal_(linears[0].weight, gain=torch.nn.init.calculate_gain("tanh"))
        for module in linears:
            torch.nn.init.zeros_(module.bias)
    """),
]


def run_mutants(notebook: str, mutants: list) -> dict:
    payload = json.dumps([{"name": mu.name, "cell": mu.cell, "answer": mu.answer} for mu in mutants])
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "run_mutants.py"),
                           str(ROOT / "solutions" / f"{notebook}.ipynb")],
                          input=payload, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"run_mutants.py failed on {notebook}:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def outcomes():
    """Every notebook's mutants, run by tools/run_mutants.py (one subprocess per notebook, two at a time)."""
    from concurrent.futures import ThreadPoolExecutor

    runnable = {nb: mutants for nb, mutants in CATALOGUE.items() if not needs_missing_torch(nb)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {nb: pool.submit(run_mutants, nb, mutants) for nb, mutants in runnable.items()}
        return {nb: future.result() for nb, future in futures.items()}


def needs_missing_torch(notebook: str) -> bool:
    """A PyTorch exercise on a machine without torch (the test then skips, or fails under CI)."""
    return f"{notebook}.ipynb" in TORCH_NOTEBOOKS and torch_missing()


CASES = [(notebook, mu) for notebook, mutants in CATALOGUE.items() for mu in mutants]


@pytest.mark.parametrize("notebook,mutant", CASES, ids=[f"{nb[:2]}-{mu.cell}-{mu.name}" for nb, mu in CASES])
def test_visible_tests_catch_the_mistake_with_its_message(outcomes, notebook, mutant):
    if needs_missing_torch(notebook):
        require_torch()                     # skips, or fails under CI
    got = outcomes[notebook][mutant.name]
    assert got["outcome"] == "assertion", (
        f"{notebook}: the mistake '{mutant.name}' in {mutant.cell} "
        + ("passes every visible test" if got["outcome"] == "passed"
           else f"ends with an error, not a failed test, in {got['cell']}: {got['message']}"))
    assert got["cell"] == mutant.test, (
        f"'{mutant.name}' is caught by {got['cell']}, expected {mutant.test}: {got['message']}")
    assert mutant.message in got["message"], (
        f"'{mutant.name}' fails {got['cell']} with an unrelated message: {got['message']!r} "
        f"(expected it to mention {mutant.message!r})")


def test_every_notebook_with_code_answers_has_mutants():
    import nbformat
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        answers = [c for c in nbformat.read(path, as_version=4).cells
                   if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
        if answers:
            assert len(CATALOGUE.get(path.stem, [])) >= 3, f"{path.name}: fewer than 3 mutants"


def test_the_reference_answers_pass_their_visible_tests():
    """The runner itself: the unmutated answer must pass (no false alarms)."""
    reference = Mutant("reference", "ex1_deltas", "", "", dedent(chain_deltas()).strip("\n"))
    assert run_mutants("01_chain_rule_decay", [reference])["reference"]["outcome"] == "passed"
