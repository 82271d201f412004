r"""A small text bundled with the package, for character-level recurrent networks (lesson 13).

:data:`CORPUS` is about 4 KB of plain English (lower case, letters, digits, spaces and a few
punctuation marks), written for this course: a short account of the gradient problems the course
is about. Nothing is downloaded. :func:`char_windows` cuts it into training pairs for next-character
prediction: input characters :math:`c_t, \dots, c_{t+T-1}` and targets :math:`c_{t+1}, \dots, c_{t+T}`,
as integer codes into :func:`alphabet`.

>>> X, Y = char_windows(8, text="abcabcabcabc", stride=4)
>>> X.shape, Y.shape
((1, 8), (1, 8))
>>> alphabet("abcabc"), X[0, :4].tolist(), Y[0, :4].tolist()
('abc', [0, 1, 2, 0], [1, 2, 0, 1])
"""

from __future__ import annotations

import numpy as np

from . import _check

__all__ = ["CORPUS", "alphabet", "encode", "char_windows"]

CORPUS = " ".join("""
a deep network learns by passing an error signal backwards, layer by layer, from the loss to the
first weights. at every layer the signal is multiplied by the slope of the activation and by the
weights of the layer above. when those factors are smaller than one the signal shrinks with every
step, and the first layers barely learn: the gradient vanishes. when they are larger than one the
signal grows with every step, and a single update can throw the weights far away: the gradient
explodes. the same story holds for a recurrent network, where the layers are time steps and the
same matrix multiplies the signal again and again, so that a memory of the distant past fades away
or blows up.
the problem was described for recurrent networks in the early nineties, first in a diploma thesis
written in german, then in a paper that showed why learning long term dependencies with gradient
descent is difficult. the long short term memory cell answered it with an additive path for its
cell state, guarded by gates that learn when to keep, write and forget. for deep feedforward
networks the answers came later: initial weights scaled so that the variance of the signal stays
the same from layer to layer, rectified linear units whose slope is one wherever they are active,
normalisation of every batch so that no unit drifts into the flat tails of its activation, and
residual connections that give the signal a path around every layer. for recurrent networks that
still explode, clipping the norm of the gradient before each step keeps one bad batch from undoing
the whole training run.
none of these remedies is magic. a good initialisation only helps at the start, and training can
push the weights back into a bad regime. batch normalisation makes the units of a layer depend on
each other and behaves differently at test time. a rectified unit that is pushed below zero for
every input stops learning for good. clipping hides an explosion without removing its cause. this
is why practitioners watch their networks while they train: the norm of the gradient of every
layer, the share of saturated and dead units, the mean and spread of the activations, and the
size of every update compared with the size of the weights. a layer whose gradient is a thousand
times smaller than the gradient of the last layer learns a thousand times more slowly. a loss
that jumps to infinity after a few hundred quiet steps points at an exploding gradient. a layer
in which most units never switch on has died. each of these signs has a remedy, and each remedy
has a price that can be read from the same numbers.
the tools in this course print those numbers for small networks written out by hand, where every
formula can be checked against a finite difference. the last lesson attaches the same tools to a
network written with a deep learning library, so that the same questions can be asked of any model:
which layer learns, which layer sleeps, and what happens to the signal on its way back. a diagnosis
starts with a measurement, and a measurement starts with knowing what to measure: the gradient of
what, with respect to what, at which layer and at which step of training.
""".split())


def _text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError(f"{name} must not be empty")
    return text


def alphabet(text: str = CORPUS) -> str:
    """The distinct characters of ``text``, sorted: character ``alphabet(text)[i]`` has code i."""
    return "".join(sorted(set(_text(text))))


def encode(text: str = CORPUS, symbols: str | None = None) -> np.ndarray:
    """The codes of ``text``'s characters in ``symbols`` (default ``alphabet(text)``), int64.

    >>> encode("cab", "abc").tolist()
    [2, 0, 1]
    """
    text = _text(text)
    symbols = alphabet(text) if symbols is None else _text(symbols, "symbols")
    index = {c: i for i, c in enumerate(symbols)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise ValueError(f"symbols lacks characters of text: {missing[:10]}")
    return np.array([index[c] for c in text], dtype=np.int64)


def char_windows(length: int, text: str = CORPUS, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Next-character pairs: inputs ``X[i] = codes[s_i : s_i + length]`` and targets
    ``Y[i] = codes[s_i + 1 : s_i + length + 1]`` with :math:`s_i = i \cdot \text{stride}`
    (default stride: ``length``, windows side by side). Both int64 of shape (windows, length).
    """
    text = _text(text)
    length = _check.positive_int(length, "length")
    stride = length if stride is None else _check.positive_int(stride, "stride")
    if length >= len(text):
        raise ValueError(f"length must be below the text's length {len(text)}, got {length}")
    codes = encode(text)
    starts = np.arange(0, len(codes) - length, stride)
    rows = starts[:, None] + np.arange(length)[None, :]
    return codes[rows], codes[rows + 1]
