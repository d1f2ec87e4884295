"""What a one-file lint (pre-commit's) imports: the slow parts of libraries stay out unless needed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ContentRepo
from gitfixtures import content_repo, post_yaml
from mediafixtures import image

TWITTER_TEXT_PROBE = """
import json, sys
from postops.lint.facts import measure
ascii_urls = measure("Read it at https://www.example.org/a/1 #energy").urls
loaded_early = sorted(m for m in ("twitter_text.parse_tweet", "twitter_text.extract_emojis", "pkg_resources")
                      if m in sys.modules)
from twitter_text import extract_urls_with_indices, parse_tweet   # what the platforms and tests import
text = "Café ☕ at https://example.org/menu, 日本語 too"
print(json.dumps([ascii_urls, loaded_early, measure(text).x, parse_tweet(text).weightedLength,
                  [u["url"] for u in extract_urls_with_indices(text)]]))
"""


def test_ascii_text_loads_only_twitter_texts_url_extractor() -> None:
    done = subprocess.run([sys.executable, "-W", "error", "-c", TWITTER_TEXT_PROBE], capture_output=True,
                          text=True, check=True)
    ascii_urls, loaded_early, ours, theirs, urls = json.loads(done.stdout)
    assert ascii_urls == [["https://www.example.org/a/1", 11, 38]]
    assert loaded_early == []
    assert ours == theirs
    assert urls == ["https://example.org/menu"]


def test_one_file_lint_with_tone_rules_does_not_import_scikit_learn(repo: ContentRepo) -> None:
    pytest.importorskip("profanity_check")
    repo.write("policies/tone.yaml", """\
        rules:
          - id: offensive-tone
            schema: {properties: {facts: {properties: {offensive: {exclusiveMaximum: 0.5}}}}}
        """)
    repo.write("posts/csis/a.yaml", "account: csis\ntext: Eat dirt, losers\n")
    repo.write("posts/csis/b.yaml", "account: csis\ntext: Our report is out\n")
    probe = ("import sys; from postops.cli import main; sys.argv = ['postops', 'lint', '-q', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit as exit:\n"
             "    print('sklearn' in sys.modules, exit.code)")
    first = subprocess.run([sys.executable, "-c", probe, "posts/csis/a.yaml"], cwd=repo.root,
                           capture_output=True, text=True, check=True)
    assert "[offensive-tone]" in first.stdout          # the first run extracts the weights, with scikit-learn
    second = subprocess.run([sys.executable, "-c", probe, str(Path("posts/csis/b.yaml"))], cwd=repo.root,
                            capture_output=True, text=True, check=True)
    assert second.stdout.split() == ["False", "0"]


def test_one_file_lint_imports_pillow_only_for_a_post_with_media(repo: ContentRepo) -> None:
    repo.write("posts/csis/a.yaml", "account: csis\ntext: Our report is out\n")
    repo.write("posts/csis/b.yaml", "account: csis\ntext: The chart\nmedia:\n  - {path: media/chart.png, alt: A chart}\n")
    repo.write_bytes("media/chart.png", image("PNG"))
    probe = ("import sys; from postops.cli import main; sys.argv = ['postops', 'lint', '-q', '--no-cache', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit as exit:\n"
             "    print('PIL' in sys.modules, exit.code)")
    without = subprocess.run([sys.executable, "-c", probe, "posts/csis/a.yaml"], cwd=repo.root,
                             capture_output=True, text=True, check=True)
    assert without.stdout.split()[-2:] == ["False", "0"], without.stdout
    with_media = subprocess.run([sys.executable, "-c", probe, "posts/csis/b.yaml"], cwd=repo.root,
                                capture_output=True, text=True, check=True)
    assert with_media.stdout.split()[-2] == "True", with_media.stdout


def test_one_file_lint_of_a_valid_post_loads_no_validator_interpreter_planner_or_sdk(repo: ContentRepo) -> None:
    """jsonschema only describes what fails, the report modules of other commands and the planner load when
    their command runs, and HTTP clients when something is sent: pre-commit pays for none of them."""
    repo.write("posts/csis/a.yaml", "account: csis\ntext: Our report is out at https://example.org/r\n")
    probe = ("import sys; from postops.cli import main; sys.argv = ['postops', 'lint', '-q', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit as exit:\n"
             "    heavy = ('jsonschema', 'icalendar', 'requests', 'tweepy', 'postops.publish.plan',\n"
             "             'postops.report.calendar', 'postops.report.plan', 'multiprocessing',\n"
             "             'concurrent.futures')\n"
             "    print(exit.code, sorted(m for m in heavy if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, "posts/csis/a.yaml"], cwd=repo.root,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr
    repo.write("posts/csis/b.yaml", "account: csis\ntxt: a typo\n")
    done = subprocess.run([sys.executable, "-c", probe, "posts/csis/b.yaml"], cwd=repo.root,
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "1 ['jsonschema']", done.stdout + done.stderr   # an invalid post is described


def test_one_file_lint_at_a_given_time_imports_no_publishing_code(repo: ContentRepo) -> None:
    # `lint --now` reads its time with the command line's time reader, which lived among the publishing
    # commands: every such lint imported them, and requests with them (a tenth of a second)
    repo.write("posts/csis/a.yaml", "account: csis\npublish_at: 2026-03-02T09:00:00Z\ntext: Our report is out\n")
    probe = ("import sys; from postops.cli import main\n"
             "sys.argv = ['postops', 'lint', '-q', '--now', '2026-03-01T10:00', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit as exit:\n"
             "    print(sorted(m for m in ('postops.publish.commands', 'postops.publish.engine', 'requests')\n"
             "                 if m in sys.modules), exit.code)")
    done = subprocess.run([sys.executable, "-c", probe, "posts/csis/a.yaml"], cwd=repo.root, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["[]", "0"], done.stdout + done.stderr


def test_plan_imports_no_http_client(tmp_path: Path) -> None:
    """plan reads the repository and the ledger: GitHub's client (approvals) and requests load only when a
    run is about to publish (about 40 ms of imports on every plan, status and calendar otherwise)."""
    repo = content_repo(tmp_path, watched=False)
    repo.write("posts/drill/a.yaml", post_yaml("drill", "Our report is out", "2026-03-02T09:00:00Z"))
    repo.commit("A post", datetime.fromisoformat("2026-02-01T09:00:00+00:00"))
    probe = ("import sys; from postops.cli import main\n"
             "sys.argv = ['postops', 'plan', '--now', '2026-03-01T10:00Z']\n"
             "try:\n    main()\nexcept SystemExit as exit:\n"
             "    print(sorted(m for m in ('requests', 'postops.publish.github', 'tweepy') if m in sys.modules),\n"
             "          exit.code)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=repo.root, capture_output=True, text=True, check=True)
    assert "drill" in done.stdout and done.stdout.split()[-2:] == ["[]", "0"], done.stdout + done.stderr
