"""Fault injection for the crash-safety tests: a worker killed at a named point, only when ILR_ENV=test.

`ILR_FAULT_FILE=<path>` in a test server's environment arms it: when that file holds a point's name,
`maybe_crash(point)` removes the file (one shot) and ends the process with SIGKILL there (no clean-up, no
rollback: what a power cut or the OOM killer does). Outside ILR_ENV=test it does nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from flask import current_app, has_app_context

#: The named points: before a request's one commit, and between the two halves of a multi-row write.
POINTS = frozenset({"before-commit", "mid-write"})


def maybe_crash(point: str) -> None:
    """Die here if the test armed this point (ILR_ENV=test and the ILR_FAULT_FILE holds its name)."""
    armed = os.environ.get("ILR_FAULT_FILE")
    if not armed or point not in POINTS or not has_app_context() or current_app.config.get("ILR_ENV") != "test":
        return
    try:
        wanted = Path(armed).read_text().strip()
    except FileNotFoundError:
        return
    if wanted == point:
        Path(armed).unlink()
        os.kill(os.getpid(), signal.SIGKILL)
