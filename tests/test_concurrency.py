"""Several publishers started at the same moment on clones of one remote, with a slow outbox so their
claims are open while the others plan, some of them dying at failpoints: every part goes out once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from gitfixtures import clone, content_repo, post_yaml
from test_publish_crash import T, child, publish_here

POSTS = 66          # more than three rounds' batches (20 claims each): every publisher gets work
SCENARIOS = {
    2: [None, "after-act:3"],
    4: [None, "after-claim:2", "after-act:5", "after-record:1"],
}


@pytest.mark.parametrize("publishers", [2, 4])
def test_concurrent_publishers_publish_every_part_exactly_once(tmp_path: Path, publishers: int) -> None:
    origin = content_repo(tmp_path, when=T - timedelta(days=1))
    for i in range(POSTS):
        origin.write(f"posts/drill/p{i:02d}.yaml", post_yaml("drill", f"post {i}", "2026-03-01T09:30:00Z"))
    origin.write("posts/drill/thread.yaml", post_yaml("drill", "one", "2026-03-01T09:30:00Z", ["two", "three"]))
    origin.commit("Add posts", T - timedelta(hours=1))
    expected = {f"p{i:02d}.0.json" for i in range(POSTS)} | {"thread.0.json", "thread.1.json", "thread.2.json"}
    outbox = tmp_path / "outbox"
    clones = [clone(tmp_path / "remote.git", tmp_path / f"publisher{n}") for n in range(publishers)]

    procs = [child(c.root, outbox, failpoint, delay="0.2") for c, failpoint in zip(clones, SCENARIOS[publishers], strict=True)]
    outputs = [p.communicate(timeout=50)[0] for p in procs]
    for proc, failpoint, output in zip(procs, SCENARIOS[publishers], outputs, strict=True):
        assert proc.returncode in ((0,) if failpoint is None else (0, 86)), output
    died = [f for p, f in zip(procs, SCENARIOS[publishers], strict=True) if p.returncode == 86]
    assert died, "no publisher reached its failpoint"

    # whatever the dead left in doubt, the next run settles
    code, lines = publish_here(clones[0].root, outbox)
    assert code == 0, lines
    assert {p.name for p in (outbox / "drill").glob("*.json")} == expected
    events = clones[0].ledger_events()
    published = Counter((e["post"], e["part"]) for e in events if e["event"] == "published")
    assert len(published) == len(expected) and set(published.values()) == {1}, published
    assert [e for e in events if e["event"] == "failed"] == []
    claimers = {e["run"] for e in events if e["event"] == "claimed"}
    assert len(claimers) >= 2, "the publishers never raced for the work"
    if any(f.startswith("after-act") for f in died):
        resolved = [e for e in events if e.get("resolved")]
        assert resolved, "a part published by a publisher that died before recording it was not found and recorded"
    thread = [json.loads((outbox / "drill" / f"thread.{i}.json").read_text())["reply_to"] for i in range(3)]
    assert thread == [None, "thread.0", "thread.1"]
