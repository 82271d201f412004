"""``require_torch()``: the one gate in front of every comparison with PyTorch.

PyTorch is an optional extra (``pip install -e ".[crosscheck]"``, which pins the CPU
build the cross-checks were written against). Without it a comparison is skipped on a
learner's machine, but under CI (the variable CI set to ``true`` or ``1``) it fails:
a cross-check that CI silently skips checks nothing. The browser test follows the same
policy for a missing Chromium.
"""

from __future__ import annotations

import pytest

from conftest import running_in_ci  # the one reading of the CI variable (repository root)

INSTALL = 'pip install -e ".[crosscheck]"'



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
