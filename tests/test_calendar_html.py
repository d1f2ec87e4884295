"""The calendar page in real headless Chromium: every post is on it, nothing overflows its card on a phone or
a desktop, it passes the axe-core accessibility checks, and untrusted text stays text.

Needs Debian's `chromium` and axe-core from tests/browser (`npm ci --prefix tests/browser`, which `make test`
runs). Without them the test is skipped, saying why, except under CI (CI=true), where it fails.
The screenshots are kept in pytest's temporary folder; their paths are printed (`pytest -s` shows them).
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest
from calendarfixtures import EXPECTED, HOSTILE, M, T, calendar_repo, rude_lint
from chromium import AXE, Chromium, find_chromium

from postops.publish.calendar import calendar_command

WIDTHS = {"phone": 375, "desktop": 1280}

# Every card: each element inside it lies within the card's box, and nothing inside scrolls sideways.
OVERFLOW = """
(() => {
  const problems = [];
  const page = document.scrollingElement;
  if (page.scrollWidth > window.innerWidth + 1)
    problems.push(`the page scrolls sideways: ${page.scrollWidth} > ${window.innerWidth}`);
  for (const card of document.querySelectorAll('article.card')) {
    const box = card.getBoundingClientRect();
    if (box.right > window.innerWidth + 1) problems.push(`${card.id} ends past the window`);
    for (const el of [card, ...card.querySelectorAll('*')]) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1)
        problems.push(`${card.id}: <${el.tagName.toLowerCase()} class="${el.className}"> is outside its card`);
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
        problems.push(`${card.id}: <${el.tagName.toLowerCase()}> scrolls sideways`);
    }
  }
  return problems;
})()
"""

CARDS = """
[...document.querySelectorAll('article.card')].map(c => [c.dataset.post, c.dataset.account, c.dataset.state,
  c.innerText])
"""

AXE_RUN = """
axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>
  ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.html)})))
"""


def _tools() -> tuple[str, str]:
    chromium = find_chromium()
    missing = []
    if chromium is None:
        missing.append("Chromium (apt-get install chromium)")
    if not AXE.is_file():
        missing.append("axe-core (npm ci --prefix tests/browser)")
    if missing:
        reason = "the calendar page test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    assert chromium is not None
    return chromium, AXE.read_text(encoding="utf-8")


def test_calendar_page_in_chromium(tmp_path: Path) -> None:
    chromium, axe = _tools()
    (tmp_path / "repo").mkdir()
    cal = calendar_repo(tmp_path / "repo")
    page_file = tmp_path / "calendar.html"
    errors: list[str] = []
    assert calendar_command(cal.root, fmt="html", now=T + 3 * M, echo=errors.append, err=errors.append,
                            lint=rude_lint, output=page_file) == 0, errors
    source = page_file.read_text(encoding="utf-8")
    assert "<script" not in source.lower() and html.escape(HOSTILE) in source

    with Chromium(chromium, tmp_path / "profile") as browser:
        for name, width in WIDTHS.items():
            page = browser.open(page_file.as_uri(), width)
            cards = page.evaluate(CARDS)
            assert sorted((p, a) for p, a, _, _ in cards) == sorted(EXPECTED), name
            assert {(p, a): s for p, a, s, _ in cards} == EXPECTED
            shown = {(p, a): text for p, a, _, text in cards}
            # the untrusted text is shown as text, never run: the page has no script, and the text is there
            assert HOSTILE in shown[("thread", "news")]
            assert page.evaluate("document.querySelectorAll('script').length") == 0
            assert page.evaluate("document.querySelectorAll('article.card img').length") == 1
            assert page.evaluate("document.querySelector('article.card img').naturalWidth") == 8  # the data: URI loaded
            assert page.evaluate(OVERFLOW) == [], name
            shot = page.screenshot(tmp_path / f"calendar-{name}.png")
            print(f"screenshot ({name}, {width} px): {shot}")
            page.evaluate(axe)
            violations = page.evaluate(AXE_RUN)
            assert violations == [], json.dumps(violations, indent=2)
    assert re.search(r"603/500 characters — 103 over the limit", shown[("long", "toot")])
    assert "view it on X" in shown[("on-x", "news")]
    assert "Retracted at 2026-03-04 10:02 EST" in shown[("oops", "drill")]
