"""The indented JSON outputs (plan, status, log) are written by orjson, and must read exactly as the
standard library's json.dumps(indent=2, ensure_ascii=False) wrote them, whatever the ledger holds: its
events are anyone's JSON, read with json, and status and log show some of their fields as they are."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitfixtures import content_repo, post_yaml

from postops.cli import main
from postops.publish.ledger import Store
from postops.repo import git
from postops.report._common import to_json

T = datetime.fromisoformat("2026-03-01T10:00:00+00:00")

TRICKY = {
    "non-BMP": "😀 𝄞 \U000e0001",
    "controls": "".join(chr(c) for c in range(0x20)) + "\x7f\x85\u2028\u2029\ufeff\"\\/",
    "small float": 1e-07,
    "float": 0.1,
    "large float": 1e16,
    "not a number": math.nan,
    "infinity": [math.inf, -math.inf],
    "huge int": 2**70,
    "huge negative int": -(2**64),
    "largest 64-bit": [2**64 - 1, -(2**63)],
    "non-string keys": {1: "one", 2.5: "two and a half", False: "no", None: "none"},
    "tuple": (1, "two"),
    "empty": [{}, [], ""],
    "nested": json.loads("[" * 800 + "]" * 800),
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_to_json_writes_what_json_dumps_wrote(name: str) -> None:
    document = {"version": 1, "value": TRICKY[name]}
    assert to_json(document) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("text", ["\ud83d half an emoji", "caf\udce9.yaml", "\udfff\ud800"])
def test_a_lone_surrogate_is_written_as_its_escape(text: str) -> None:
    # json.dumps kept the character, which no UTF-8 output takes: it is the only way it differs from json
    written = to_json({"text": text, "n": 1e-07})
    written.encode()
    assert json.loads(written) == {"text": text, "n": 1e-07}
    assert written == json.dumps({"text": text, "n": 1e-07}, indent=2, ensure_ascii=True) + "\n"


def test_status_json_shows_an_unmanaged_post_as_the_ledger_recorded_it(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False, when=T - timedelta(days=1))
    repo.write("posts/drill/a.yaml", post_yaml("drill", "a", "2026-03-01T09:00:00Z"))
    repo.commit("Add", T - timedelta(hours=2))
    # X's API has cut an emoji in half in a truncated text; the other fields are what a tool may have written
    line = (b'{"event":"unmanaged","account":"drill","platform_id":"1","text":"\\ud83d cut","likes":1e-07,'
            b'"score":NaN,"id":123456789012345678901234567890,"run":"r","by":"b","at":"2026-03-01T09:30:00+00:00"}')
    ledger = Store(repo.root, "postops/state", None).read()
    commit = git.commit_file(repo.root, "ledger.jsonl", line + b"\n", ledger.tip, "by hand")
    assert git.compare_and_swap(repo.root, "refs/heads/postops/state", commit, ledger.tip)

    result = CliRunner().invoke(main, ["status", "--format", "json", "--now", T.isoformat(), "-C", str(repo.root)])

    assert result.exit_code == 0, result.output
    assert '"likes": 1e-07,\n      "score": NaN,\n      "id": 123456789012345678901234567890,' in result.output
    assert '"text": "\\ud83d cut"' in result.output
    assert json.loads(result.output)["unmanaged"][0]["text"] == "\ud83d cut"
