"""Failpoints: die abruptly at a chosen step of the publish protocol, to prove crash safety.

`POSTOPS_FAILPOINT=<name>` kills the process (`os._exit`, no cleanup, nothing flushed) the first time
the named point is reached; `<name>:<n>` the n-th time. Names are listed in POINTS and documented in
docs/publishing.md.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

POINTS = (
    "after-claim",           # a publication claim is committed (and pushed), the platform not yet called
    "after-act",             # a part is on the platform, nothing recorded yet
    "after-record",          # a publication is recorded (committed and pushed)
    "retract-after-claim",
    "retract-after-act",
    "retract-after-record",
    "resolve-after-claim",   # an in-doubt claim is claimed again, the platform not yet asked
    "resolve-after-act",     # the platform was asked, the answer not yet recorded
    "resolve-after-record",
)
EXIT_CODE = 86
_seen: dict[str, int] = {}


def reached(name: str, env: Mapping[str, str]) -> None:
    wanted = env.get("POSTOPS_FAILPOINT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == (int(nth) if nth.isdigit() else 1):
        sys.stderr.write(f"postops: failpoint {wanted} reached, exiting\n")
        sys.stderr.flush()
        os._exit(EXIT_CODE)
