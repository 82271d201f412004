"""Tests for vanishing.mystery: every mystery really shows its symptom, and its fix works."""


import numpy as np
import pytest

from vanishing import diagnose
from vanishing.mystery import LABELS, Mystery, mystery_networks
from vanishing.recurrent import RecurrentNetwork

MYSTERIES = mystery_networks()
NAMES = sorted(MYSTERIES)
FINDING = {"vanishing": "vanishing", "exploding": "exploding", "saturated": "saturation",
           "dead": "dead units"}
HISTORIES = {name: MYSTERIES[name].run() for name in NAMES}


def test_mystery_networks_builds_five_labelled_set_ups():
    ms = mystery_networks()
    assert sorted(ms) == ["A", "B", "C", "D", "E"]
    assert all(isinstance(m, Mystery) and m.answer in LABELS for m in ms.values())
    assert {m.answer for m in ms.values()} == set(LABELS), "each label should occur once"


@pytest.mark.parametrize("name", NAMES)
def test_each_mystery_shows_its_symptom_first_under_the_verdict(name):
    m = MYSTERIES[name]
    d = m.diagnose(HISTORIES[name])
    if m.answer == "healthy":
        assert d.healthy, d.findings
    else:
        assert str(d.findings[0]).startswith(FINDING[m.answer]), (name, d.findings)


@pytest.mark.parametrize("name", [n for n in NAMES
                                  if MYSTERIES[n].answer not in ("healthy", "exploding")])
def test_a_broken_mystery_that_stays_finite_is_also_reported_as_not_training(name):
    m, h = MYSTERIES[name], HISTORIES[name]
    kinds = m.diagnose(h).kinds
    assert "barely moving" in kinds or "stuck" in kinds, kinds


def test_no_saturating_mystery_has_dead_units():
    for name, m in MYSTERIES.items():
        if not m.recurrent and m.model.activation.saturates:
            assert np.all(m.gradient_stats().dead == 0.0), name


@pytest.mark.parametrize("name", NAMES)
def test_broken_mysteries_do_not_learn_and_their_fixes_do(name):
    m = MYSTERIES[name]
    h = HISTORIES[name]
    if m.answer == "exploding":
        assert h.diverged_at is not None and h.diverged_at < 5
    elif m.answer == "healthy":
        assert m.fixed() is m
        assert h.loss[-1] < 0.1 * diagnose.baseline_loss(m.Y)
        return
    else:
        # the output ignores the input: the loss ends at the best constant guess
        assert abs(h.loss[-1] - diagnose.baseline_loss(m.Y)) < 1e-3, h.loss[-1]
    fixed = m.fixed()
    assert fixed is not m and fixed.answer == m.answer
    hf = fixed.run()
    assert hf.diverged_at is None
    assert hf.loss[-1] < 0.5 * diagnose.baseline_loss(fixed.Y), hf.loss[-1]


@pytest.mark.parametrize("name", NAMES)
def test_mysteries_are_deterministic_and_run_starts_from_a_fresh_network(name):
    m, again = MYSTERIES[name], mystery_networks()[name]
    np.testing.assert_array_equal(m.X, again.X)
    before = [p.copy() for p in m.model.parameters()]
    h1, h2 = m.run(steps=5), again.run(steps=5)
    np.testing.assert_array_equal(h1.loss, h2.loss)
    for p, q in zip(before, m.model.parameters()):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(m.gradient_stats().grad_norm, again.gradient_stats().grad_norm)


@pytest.mark.parametrize("name", NAMES)
def test_printing_a_mystery_shows_the_story_but_not_the_answer(name):
    m = MYSTERIES[name]
    for text in (str(m), repr(m)):
        assert m.story in text
        assert m.answer not in text.lower()
        assert m.explanation not in text
    assert m.reveal().startswith(f"{name}: {m.answer}.")


def test_the_recurrent_mystery_is_diagnosed_one_row_per_time_step():
    (m,) = [m for m in MYSTERIES.values() if isinstance(m.model, RecurrentNetwork)]
    stats = m.gradient_stats()
    assert len(stats) == m.X.shape[1]
    assert "time step" in stats.title


def test_run_rejects_a_bad_number_of_steps():
    with pytest.raises(ValueError, match="steps"):
        MYSTERIES["A"].run(steps=0)
