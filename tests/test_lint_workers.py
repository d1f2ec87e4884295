"""Lint's worker processes die with the process that made them (Linux's parent-death signal), so that a
publisher killed with SIGKILL leaves no idle workers behind. test_publish_leftovers kills a real parent;
these read the signal the kernel holds for a worker, and what a worker does whose parent is already gone."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

import pytest

from postops.lint.engine import _die_with_parent, worker_pool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")

_PR_GET_PDEATHSIG = 2  # <linux/prctl.h>


def parent_death_signal() -> int:
    """The signal this process gets when its parent dies, as the kernel holds it (0: none)."""
    value = ctypes.c_int()
    assert ctypes.CDLL(None).prctl(_PR_GET_PDEATHSIG, ctypes.byref(value)) == 0
    return value.value


def _set_parent_death_signal(sig: int) -> None:
    ctypes.CDLL(None).prctl(1, sig)


def test_a_lint_worker_is_killed_when_its_parent_dies() -> None:
    with worker_pool(1) as pool:
        assert pool.submit(parent_death_signal).result() == signal.SIGKILL


def test_a_worker_marks_itself_to_die_with_its_parent_and_exits_if_that_parent_is_gone() -> None:
    before = parent_death_signal()
    try:
        _die_with_parent(os.getppid())   # the parent is alive: the process goes on, marked to die with it
        assert parent_death_signal() == signal.SIGKILL
    finally:
        _set_parent_death_signal(before)
    child = os.fork()
    if child == 0:   # a worker whose parent (this test's process) is not the one it was started for
        try:
            _die_with_parent(os.getpid())
        finally:
            os._exit(99)   # _die_with_parent went on, or raised: the test sees 99 instead of 1
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 1
