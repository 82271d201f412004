"""vanishing.text: the bundled corpus and the next-character windows cut from it."""

import numpy as np
import pytest

from vanishing.text import CORPUS, alphabet, char_windows, encode


def test_the_corpus_is_a_few_kilobytes_of_lower_case_text_with_single_spaces():
    assert 2_000 < len(CORPUS) < 8_000
    assert CORPUS == CORPUS.lower() and "  " not in CORPUS and "\n" not in CORPUS
    assert set(alphabet()) <= set(" abcdefghijklmnopqrstuvwxyz0123456789.,:;'-")


def test_encode_gives_each_character_its_index_in_the_alphabet():
    symbols = alphabet()
    codes = encode()
    assert codes.dtype == np.int64 and len(codes) == len(CORPUS)
    assert "".join(symbols[c] for c in codes) == CORPUS


def test_targets_are_the_inputs_shifted_by_one_character():
    X, Y = char_windows(10, text="the quick brown fox jumps", stride=3)
    codes = encode("the quick brown fox jumps")
    assert X.shape == Y.shape == (5, 10)                  # starts 0, 3, 6, 9, 12 (12 + 10 < 25)
    for i, start in enumerate(range(0, 15, 3)):
        assert X[i].tolist() == codes[start:start + 10].tolist()
        assert Y[i].tolist() == codes[start + 1:start + 11].tolist()


def test_the_default_windows_lie_side_by_side_over_the_corpus():
    X, _ = char_windows(32)
    assert X.shape == ((len(CORPUS) - 32 + 31) // 32, 32)
    assert encode()[32:64].tolist() == X[1].tolist()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="length must be below"):
        char_windows(10, text="short")
    with pytest.raises(ValueError, match="symbols lacks"):
        encode("abc", "ab")
    with pytest.raises(TypeError, match="text must be a str"):
        alphabet(None)
    with pytest.raises(ValueError, match="text must not be empty"):
        encode("")
    with pytest.raises(ValueError, match="stride"):
        char_windows(3, stride=0)
