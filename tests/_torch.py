"""``require_torch()``: the one gate in front of every comparison with PyTorch.

PyTorch is an optional extra (``pip install -e ".[crosscheck]"``, which pins the CPU
build the cross-checks were written against). Without it a comparison is skipped on a
learner's machine, but under CI (the variable CI set to ``true`` or ``1``) it fails:
a cross-check that CI silently skips checks nothing. The browser test follows the same
policy for a missing Chromium.
"""

from __future__ import annotations

import os

import pytest

INSTALL = 'pip install -e ".[crosscheck]"'


def running_in_ci() -> bool:
    """True when the environment variable CI is ``true`` or ``1`` (any case)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def require_torch():
    """Return the ``torch`` module; skip without it, or fail under CI."""
    try:
        import torch
    except ImportError as error:
        reason = f"the PyTorch cross-checks need torch ({error}); install the crosscheck extra: {INSTALL}"
        if running_in_ci():
            pytest.fail(f"{reason}. CI is set, so a missing torch is a failure, not a skip")
        pytest.skip(reason)
    return torch
