r"""Symbolic derivations with sympy, step by step.

Each function returns a :class:`Derivation`: a title, a list of steps
(a sentence and a sympy expression each) and the ``result``, a sympy object
that the tests check by simplification. In a notebook the derivation renders
as LaTeX; as text it prints one step per line.

>>> from vanishing import derive
>>> derive.sigmoid_prime_maximum().result
1/4
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import _check

__all__ = ["Derivation", "sigmoid_prime", "sigmoid_prime_maximum", "tanh_prime_maximum",
           "chain_product", "variance_propagation", "xavier_variance", "he_variance",
           "z", "s", "t"]

z = sp.Symbol("z", real=True)
s = sp.Symbol("sigma", positive=True)        # sigma(z), a number in (0, 1)
t = sp.Symbol("t", real=True)                # tanh(z), a number in (-1, 1)


@dataclass(frozen=True)
class Derivation:
    """A derivation: ``steps`` is a list of (sentence, sympy expression); ``result`` the conclusion."""

    title: str
    steps: tuple[tuple[str, object], ...]
    result: object

    def __str__(self) -> str:
        lines = [self.title]
        lines += [f"  {i}. {text}: {sp.sstr(expr)}" for i, (text, expr) in enumerate(self.steps, 1)]
        lines.append(f"  result: {sp.sstr(self.result)}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.title}**", ""]
        lines += [f"{i}. {text}: $\\displaystyle {sp.latex(expr)}$"
                  for i, (text, expr) in enumerate(self.steps, 1)]
        lines += ["", f"Result: $\\displaystyle {sp.latex(self.result)}$"]
        return "\n".join(lines)


def sigmoid_prime() -> Derivation:
    r"""Differentiate :math:`\sigma(z) = 1/(1+e^{-z})` and recognise :math:`\sigma(1-\sigma)`."""
    sigma = 1 / (1 + sp.exp(-z))
    d = sp.diff(sigma, z)
    rewritten = sigma * (1 - sigma)
    return Derivation(
        "The derivative of the sigmoid",
        (("sigma(z)", sigma),
         ("differentiate (quotient rule)", d),
         ("minus sigma(1 - sigma), simplified (zero means equal)", sp.simplify(d - rewritten)),
         ("so sigma'(z) as a polynomial in sigma", s * (1 - s))),
        sp.Eq(sp.Symbol("sigma'"), s * (1 - s)))


def sigmoid_prime_maximum() -> Derivation:
    r"""The 1/4 bound by completing the square.

    .. math:: \sigma(1-\sigma) = \tfrac14 - (\sigma - \tfrac12)^2 \le \tfrac14
    """
    square = sp.Rational(1, 4) - (s - sp.Rational(1, 2)) ** 2
    return Derivation(
        "The maximum of sigma' by completing the square (no calculus)",
        (("sigma'(z) in terms of sigma", s * (1 - s)),
         ("complete the square", square),
         ("check: the two agree (difference expands to 0)", sp.expand(s * (1 - s) - square)),
         ("a square is >= 0, so sigma' <= 1/4, with equality exactly when sigma = 1/2", sp.Rational(1, 2)),
         ("sigma(z) = 1/2 at z", sp.solve(sp.Eq(1 / (1 + sp.exp(-z)), sp.Rational(1, 2)), z)[0])),
        sp.Rational(1, 4))


def tanh_prime_maximum() -> Derivation:
    r""":math:`\tanh' = 1 - \tanh^2 \le 1`, with equality at z = 0; and :math:`\tanh z = 2\sigma(2z) - 1`."""
    sigma2z = 1 / (1 + sp.exp(-2 * z))
    return Derivation(
        "The maximum of tanh'",
        (("derivative of tanh", sp.simplify(sp.diff(sp.tanh(z), z) - (1 - sp.tanh(z) ** 2))),
         ("tanh'(z) in terms of t = tanh(z) (the line above is 0: they agree)", 1 - t ** 2),
         ("t^2 >= 0, so tanh' <= 1, with equality at t = 0, that is z", sp.Integer(0)),
         ("tanh z - (2 sigma(2z) - 1), simplified", sp.simplify((sp.tanh(z) - (2 * sigma2z - 1))
                                                                 .rewrite(sp.exp)))),
        sp.Integer(1))


def chain_product(depth: int | None = None) -> Derivation:
    r"""The L-layer chain product.

    .. math:: \delta_1 = \frac{\partial\mathrm{Out}}{\partial a_L} f'(z_L)\prod_{l=1}^{L-1} w_{l+1} f'(z_l)

    With ``depth`` an integer the product is written out; with every weight
    equal to w and every f'(z_l) equal to d it collapses to :math:`g\,d\,(w d)^{L-1}`.
    """
    if depth is not None:
        depth = _check.positive_int(depth, "depth")
        # sympy expands the product term by term: about depth^2 symbolic steps
        _check.budget(f"chain_product(depth={depth}) written out", work=10 * _check.LOOP_COST * depth ** 2)
    L = sp.Symbol("L", integer=True, positive=True) if depth is None else sp.Integer(depth)
    l = sp.Symbol("l", integer=True, positive=True)
    w, fp = sp.IndexedBase("w"), sp.IndexedBase("f'(z)")
    g = sp.Symbol("dOut/da_L")
    general = g * fp[L] * sp.Product(w[l + 1] * fp[l], (l, 1, L - 1))
    if depth is not None:
        general = general.doit()
    wc, d = sp.symbols("w d", positive=True)
    equal = g * d * (wc * d) ** (L - 1)
    return Derivation(
        f"delta_1 = dOut/dz_1 through {'L' if depth is None else depth} layers",
        (("the chain rule, layer by layer", general),
         ("with w_l = w and f'(z_l) = d for every layer", equal)),
        general)


def variance_propagation() -> Derivation:
    r"""Var(z) for a sum of n independent products with zero-mean w and x.

    .. math:: z = \sum_{i=1}^{n} w_i x_i \implies \mathrm{Var}(z) = n\,\mathrm{Var}(w)\,\mathrm{Var}(x)
    """
    n = sp.Symbol("n_in", positive=True, integer=True)
    vw, vx, mw, mx = sp.symbols("Var_w Var_x E_w E_x", real=True)
    one_term = (vw + mw ** 2) * (vx + mx ** 2) - mw ** 2 * mx ** 2   # E[w^2]E[x^2] - (E[w]E[x])^2
    zero_mean = sp.expand(one_term.subs({mw: 0, mx: 0}))
    return Derivation(
        "How a layer scales the variance of its input",
        (("Var(w x) = E[w^2]E[x^2] - E[w]^2 E[x]^2 for independent w, x", sp.expand(one_term)),
         ("with E[w] = E[x] = 0", zero_mean),
         ("z sums n_in independent terms, so the variances add", n * zero_mean)),
        n * zero_mean)


def xavier_variance() -> Derivation:
    r"""Xavier/Glorot: keep the variance forward and backward, then compromise.

    Forward needs :math:`n_{in}\mathrm{Var}(w) = 1`, backward :math:`n_{out}\mathrm{Var}(w) = 1`;
    the average fan gives :math:`\mathrm{Var}(w) = 2/(n_{in}+n_{out})`.
    """
    n_in, n_out, v = sp.symbols("n_in n_out Var_w", positive=True)
    forward = sp.solve(sp.Eq(n_in * v, 1), v)[0]
    backward = sp.solve(sp.Eq(n_out * v, 1), v)[0]
    both = sp.solve(sp.Eq((n_in + n_out) / 2 * v, 1), v)[0]
    return Derivation(
        "Xavier/Glorot variance (linear regime of tanh or sigmoid)",
        (("forward pass keeps Var(z) when", forward),
         ("backward pass keeps Var(delta) when", backward),
         ("both cannot hold unless n_in = n_out; use the average fan", both)),
        both)


def he_variance() -> Derivation:
    r"""He/Kaiming: ReLU keeps half of the second moment, so the weights must double it.

    .. math:: E[\mathrm{relu}(z)^2] = \mathrm{Var}(z)/2 \implies \mathrm{Var}(w) = 2/n_{in}
    """
    sd = sp.Symbol("sigma_z", positive=True)
    u = sp.Symbol("u", real=True)
    n_in, v = sp.symbols("n_in Var_w", positive=True)
    density = sp.exp(-u ** 2 / (2 * sd ** 2)) / (sd * sp.sqrt(2 * sp.pi))
    second_moment = sp.simplify(sp.integrate(u ** 2 * density, (u, 0, sp.oo)))
    solution = sp.solve(sp.Eq(n_in * v * sp.Rational(1, 2), 1), v)[0]
    return Derivation(
        "He/Kaiming variance for ReLU",
        (("E[relu(z)^2] for z ~ N(0, sigma_z^2): only z > 0 counts", second_moment),
         ("so a ReLU layer passes on Var(z_next) = n_in Var(w) E[relu(z)^2] = n_in Var(w) sigma_z^2 / 2;"
          " keep it equal to sigma_z^2 when Var(w) is", solution)),
        solution)
