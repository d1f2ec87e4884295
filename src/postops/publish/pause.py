"""The kill switch: write or clear `paused:` in postops.yaml, keeping the rest of the file as written.

A careful text edit rather than a YAML round trip: postops.yaml is the team's file, with their comments
and layout, and pausing in a crisis must not reformat it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from postops.errors import ConfigError
from postops.repo.config import CONFIG_FILE, load_config

_KEY = re.compile(r"^paused\s*:")
_EMPTY = re.compile(r"^paused\s*:\s*(?:null|~)?\s*(#.*)?$")


def paused_text(text: str, value: dict[str, Any] | None) -> str:
    """`text` (postops.yaml) with its top-level `paused:` entry replaced by `value` (None: not paused)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _KEY.match(line)), None)
    comment = ""
    if start is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        start = end = len(lines)
    else:
        end = start + 1
        # the entry's own block: following lines that are indented (or blank between indented ones)
        while end < len(lines) and (lines[end][:1] in (" ", "\t") or
                                    (not lines[end].strip() and end + 1 < len(lines)
                                     and lines[end + 1][:1] in (" ", "\t"))):
            end += 1
        match = _EMPTY.match(lines[start].rstrip("\n"))
        if match and match.group(1):
            comment = match.group(1)
    if value is None:
        block = ["paused: null" + (f"  {comment}" if comment else "") + "\n"]
    else:
        # JSON strings are valid YAML double-quoted scalars: any reason text stays exactly as typed
        block = ["paused:" + (f"  {comment}" if comment else "") + "\n"]
        block += [f"  {key}: {json.dumps(str(item), ensure_ascii=False)}\n" for key, item in value.items()]
    return "".join(lines[:start] + block + lines[end:])


def set_paused(root: Path, value: dict[str, Any] | None) -> None:
    path = root / CONFIG_FILE
    original = path.read_text()
    path.write_text(paused_text(original, value))
    try:
        config = load_config(root)
    except ConfigError:
        path.write_text(original)
        raise
    if bool(config.paused) != (value is not None):
        path.write_text(original)
        raise ConfigError("could not change `paused:` in postops.yaml; edit it by hand", CONFIG_FILE)
