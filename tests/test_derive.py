"""Symbolic derivations: each result checked by sympy against an expression built here."""

import pytest
import sympy as sp

from vanishing import derive, init

z = sp.Symbol("z", real=True)


def symbols_of(expr):
    """The free symbols of a result by name, so the test uses exactly the package's symbols."""
    return {s.name: s for s in expr.free_symbols}


def is_zero(expr):
    return sp.simplify(expr) == 0


def test_sigmoid_prime_is_sigma_times_one_minus_sigma_by_differentiating():
    d = derive.sigmoid_prime()
    sigma = 1 / (1 + sp.exp(-z))
    s = symbols_of(d.result.rhs)["sigma"]
    assert d.result.lhs == sp.Symbol("sigma'")
    assert is_zero(sp.diff(sigma, z) - d.result.rhs.subs(s, sigma))
    assert not is_zero(sp.diff(sigma, z) - (s * (1 + s)).subs(s, sigma))   # the check can fail


def test_sigmoid_prime_steps_show_the_derivative_and_a_zero_difference():
    steps = dict(derive.sigmoid_prime().steps)
    assert is_zero(steps["differentiate (quotient rule)"] - sp.exp(-z) / (1 + sp.exp(-z)) ** 2)
    assert steps["minus sigma(1 - sigma), simplified (zero means equal)"] == 0


def test_sigmoid_prime_maximum_is_one_quarter_at_z_zero():
    d = derive.sigmoid_prime_maximum()
    assert d.result == sp.Rational(1, 4)
    sigma_prime = sp.diff(1 / (1 + sp.exp(-z)), z)
    critical = sp.solve(sp.diff(sigma_prime, z), z)
    assert critical == [0]
    assert sp.simplify(sigma_prime.subs(z, 0)) == d.result
    assert sp.diff(sigma_prime, z, 2).subs(z, 0) < 0                 # a maximum, not a minimum


def test_sigmoid_prime_maximum_completes_the_square():
    d = derive.sigmoid_prime_maximum()
    s = sp.Symbol("sigma", positive=True)
    # 1/4 - sigma(1 - sigma) is a perfect square, so it is never negative
    assert sp.factor(d.result - s * (1 - s)) == (2 * s - 1) ** 2 / 4
    assert d.steps[-1][1] == 0                                         # sigma(z) = 1/2 at z = 0


def test_tanh_prime_maximum_is_one():
    d = derive.tanh_prime_maximum()
    assert d.result == 1
    tanh_prime = sp.diff(sp.tanh(z), z)
    assert tanh_prime.subs(z, 0) == d.result
    assert is_zero(d.result - tanh_prime - sp.tanh(z) ** 2)           # 1 - tanh' = tanh^2 >= 0
    assert all(expr == 0 for text, expr in d.steps if "simplified" in text or text == "derivative of tanh")


def test_chain_product_of_four_layers_is_the_explicit_product():
    d = derive.chain_product(4)
    w, fp = sp.IndexedBase("w"), sp.IndexedBase("f'(z)")
    g = sp.Symbol("dOut/da_L")
    explicit = g * fp[4] * (w[2] * fp[1]) * (w[3] * fp[2]) * (w[4] * fp[3])
    assert is_zero(d.result - explicit)
    assert not is_zero(d.result - explicit * w[1])                     # one layer too many is caught
    wc, dd = sp.symbols("w d", positive=True)
    assert is_zero(d.steps[1][1] - g * dd ** 4 * wc ** 3)


def test_the_general_chain_product_becomes_the_four_layer_one():
    general = derive.chain_product().result
    L = symbols_of(general)["L"]
    assert isinstance(general.atoms(sp.Product).pop(), sp.Product)
    assert is_zero(general.subs(L, 4).doit() - derive.chain_product(4).result)


def test_variance_propagation_gives_n_var_w_var_x():
    d = derive.variance_propagation()
    sym = symbols_of(d.result)
    assert is_zero(d.result - sym["n_in"] * sym["Var_w"] * sym["Var_x"])


def test_variance_of_a_product_of_independent_zero_mean_normals_agrees():
    from sympy.stats import Normal, variance
    sw, sx = sp.symbols("s_w s_x", positive=True)
    one_term = variance(Normal("W", 0, sw) * Normal("X", 0, sx))
    d = derive.variance_propagation()
    sym = symbols_of(d.result)
    per_term = d.result / sym["n_in"]
    assert is_zero(one_term - per_term.subs({sym["Var_w"]: sw ** 2, sym["Var_x"]: sx ** 2}))


def test_xavier_variance_is_two_over_the_sum_of_the_fans():
    d = derive.xavier_variance()
    sym = symbols_of(d.result)
    assert is_zero(d.result - 2 / (sym["n_in"] + sym["n_out"]))
    assert float(d.result.subs({sym["n_in"]: 300, sym["n_out"]: 100})) == init.variance("xavier_normal", 300, 100)


def test_he_variance_is_two_over_fan_in():
    d = derive.he_variance()
    n_in = symbols_of(d.result)["n_in"]
    assert is_zero(d.result - 2 / n_in)
    assert float(d.result.subs(n_in, 64)) == init.variance("he_normal", 64, 10)


def test_he_derivation_uses_half_the_second_moment_of_a_gaussian():
    """relu(u)^2 is u^2 on the negative half-line's mirror image: half of E[u^2] = sigma_z^2."""
    sd = sp.Symbol("sigma_z", positive=True)
    u = sp.Symbol("u", real=True)
    density = sp.exp(-u ** 2 / (2 * sd ** 2)) / (sd * sp.sqrt(2 * sp.pi))
    full = sp.integrate(u ** 2 * density, (u, -sp.oo, sp.oo))
    assert is_zero(full - sd ** 2)
    assert is_zero(derive.he_variance().steps[0][1] - full / 2)


@pytest.mark.parametrize("make", [derive.sigmoid_prime, derive.sigmoid_prime_maximum, derive.tanh_prime_maximum,
                                  derive.chain_product, derive.variance_propagation, derive.xavier_variance,
                                  derive.he_variance])
def test_every_derivation_prints_its_steps_and_renders_latex(make):
    d = make()
    text = str(d)
    assert text.startswith(d.title) and "result:" in text
    assert text.count("\n") == len(d.steps) + 1
    md = d._repr_markdown_()
    assert md.startswith(f"**{d.title}**") and md.count("$\\displaystyle") == len(d.steps) + 1
