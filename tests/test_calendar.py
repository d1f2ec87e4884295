"""`postops calendar`: the iCalendar feed read back with icalendar, Markdown, filters and errors."""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

import icalendar
import pytest
from calendarfixtures import EXPECTED, HOSTILE, CalendarRepo, M, T, calendar_repo, png, rude_lint
from click.testing import CliRunner
from gitfixtures import content_repo, post_yaml

from postops.cli import main
from postops.publish.calendar import MEDIA_CAP, calendar_command


def run(root: Path, fmt: str, now: datetime = T + 3 * M, **options: object) -> str:
    lines: list[str] = []
    errors: list[str] = []
    code = calendar_command(root, fmt=fmt, now=now, echo=lines.append, err=errors.append, lint=rude_lint,
                            **options)  # type: ignore[arg-type]
    assert code == 0, errors
    return "\n".join(lines)


def events(feed: str) -> dict[str, icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(feed)
    found = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert len(found) == len(parsed.walk("VEVENT")), "UIDs are unique"
    return found


def by_post(feed: str) -> dict[tuple[str, str], icalendar.Event]:
    return {tuple(uid.split("@")[0].split(".")[:2]): e for uid, e in events(feed).items()}  # type: ignore[misc]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> CalendarRepo:
    """One repository for the tests that only read it (building it publishes three times)."""
    return calendar_repo(tmp_path_factory.mktemp("calendar"))


def test_ics_has_one_event_per_post_and_account_with_its_state(shared: CalendarRepo) -> None:
    cal = shared
    found = by_post(run(cal.root, "ics"))
    assert set(found) == set(EXPECTED)
    status = {key: str(e["STATUS"]) for key, e in found.items()}
    assert status[("launch", "drill")] == "CONFIRMED"
    assert status[("oops", "drill")] == "CANCELLED"
    assert status[("late", "news")] == "CANCELLED"
    assert status[("thread", "news")] == "TENTATIVE"
    thread = found[("thread", "news")]
    assert thread.decoded("DTSTART") == datetime.fromisoformat("2026-03-06T09:00:00+00:00")
    assert HOSTILE in str(thread["DESCRIPTION"])
    assert "Part 3 of 3" in str(thread["DESCRIPTION"])
    assert str(thread["SUMMARY"]).startswith("@ExampleOrg: Findings with")
    assert str(found[("on-x", "news")]["URL"]) == "https://x.com/ExampleOrg/status/1897"
    assert str(found[("rude", "news")]["SUMMARY"]).startswith("[Blocked] ")
    assert "[no-insults]" in str(found[("rude", "news")]["DESCRIPTION"])
    # the retracted post's text is read from the commit it was published from
    assert "Suck it." in str(found[("oops", "drill")]["DESCRIPTION"])
    assert "Retracted at 2026-03-04T15:02:00+00:00" in str(found[("oops", "drill")]["DESCRIPTION"])


def test_ics_uids_are_stable_and_changes_raise_the_sequence(tmp_path: Path) -> None:
    cal = calendar_repo(tmp_path)
    first = run(cal.root, "ics")
    assert run(cal.root, "ics", now=T + 30 * M) == first     # nothing changed: the same feed, byte for byte
    before = by_post(first)

    cal.repo.write("posts/news/thread.yaml", (cal.root / "posts/news/thread.yaml").read_text()
                   .replace("Third part, no link.", "Third part, corrected."))
    cal.repo.commit("Correct the thread", T + 40 * M)
    cal.repo.remove("posts/drill/launch.yaml")
    cal.repo.commit("Take the launch post down", T + 41 * M)
    assert cal.publish(T + 60 * M) == 1     # news/late stays missed: every run says so
    after = by_post(run(cal.root, "ics", now=T + 61 * M))

    assert {str(e["UID"]) for e in after.values()} == {str(e["UID"]) for e in before.values()}
    assert after[("thread", "news")]["SEQUENCE"] > before[("thread", "news")]["SEQUENCE"]
    assert "Third part, corrected." in str(after[("thread", "news")]["DESCRIPTION"])
    assert str(before[("launch", "drill")]["STATUS"]) == "CONFIRMED"
    assert str(after[("launch", "drill")]["STATUS"]) == "CANCELLED"
    assert after[("launch", "drill")]["SEQUENCE"] > before[("launch", "drill")]["SEQUENCE"]
    assert after[("cross", "sky")]["SEQUENCE"] == before[("cross", "sky")]["SEQUENCE"]


def test_ics_uids_are_the_same_in_another_clone(tmp_path: Path) -> None:
    from gitfixtures import clone

    cal = calendar_repo(tmp_path)
    other = clone(tmp_path / "remote.git", tmp_path / "other")
    other.git("fetch", "--quiet", "origin", "+refs/heads/postops/state:refs/remotes/origin/postops/state")
    assert set(events(run(other.root, "ics"))) == set(events(run(cal.root, "ics")))


def test_filters_by_time_and_account(shared: CalendarRepo, tmp_path: Path) -> None:
    cal = shared
    only_news = by_post(run(cal.root, "ics", accounts=["news"]))
    assert {a for _, a in only_news} == {"news"}
    # dates are read in postops.yaml's timezone (New York); --until includes that whole day
    window = by_post(run(cal.root, "ics", start="2026-03-05", end="2026-03-05"))
    assert set(window) == {("rude", "news"), ("cross", "news"), ("cross", "sky")}
    exact = by_post(run(cal.root, "ics", start="2026-03-05T12:00:00Z", end="2026-03-06T09:00:01Z"))
    assert set(exact) == {("cross", "news"), ("cross", "sky"), ("thread", "news")}


def test_markdown_escapes_post_text(shared: CalendarRepo, tmp_path: Path) -> None:
    cal = shared
    text = run(cal.root, "markdown")
    assert "<script>" not in text and "\\<script\\>" in text
    assert "@CSIS_Energy" not in text and "&#64;CSIS\\_Energy" in text
    assert "## &#64;ExampleOrg on X (Europe/Berlin)" in text
    assert "### Friday 6 March 2026" in text
    assert "[Published](<https://x.com/ExampleOrg/status/1897>)" in text
    assert "Blocked: lint: \\[no-insults\\]" in text
    assert "603/500 characters" in text


def test_changed_since_marks_what_a_pull_request_changes(tmp_path: Path) -> None:
    cal = calendar_repo(tmp_path)
    cal.repo.git("checkout", "--quiet", "-b", "edit")
    cal.repo.write("posts/news/rude.yaml", (cal.root / "posts/news/rude.yaml").read_text().replace("You suck.",
                                                                                                  "Thank you."))
    cal.repo.commit("Be nice", T + 5 * M, push=False)
    text = run(cal.root, "markdown", changed_since="main")
    changed = [line for line in text.splitlines() if "changed in this pull request" in line]
    assert len(changed) == 1 and "`rude`" in changed[0]


def test_command_line_writes_the_file_and_reports_bad_input(shared: CalendarRepo, tmp_path: Path) -> None:
    cal = shared
    runner = CliRunner()
    out = tmp_path / "site" / "calendar.ics"
    result = runner.invoke(main, ["calendar", "-C", str(cal.root), "--format", "ics", "--now", "2026-03-04T15:03:00Z",
                                  "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert len(events(out.read_text())) == len(EXPECTED)
    result = runner.invoke(main, ["calendar", "-C", str(cal.root), "--account", "nope"])
    assert result.exit_code == 2
    assert "--account nope: no such account in postops.yaml" in result.output
    result = runner.invoke(main, ["calendar", "-C", str(cal.root), "--from", "tomorrow"])
    assert result.exit_code == 2 and "not a time: 'tomorrow'" in result.output
    result = runner.invoke(main, ["calendar", "-C", str(cal.root), "--from", "2026-03-05", "--until", "2026-03-01"])
    assert result.exit_code == 2 and "is not after --from" in result.output


@pytest.mark.parametrize("fmt", ["ics", "markdown", "html"])
def test_an_empty_repository_renders(tmp_path: Path, fmt: str) -> None:
    repo = content_repo(tmp_path, remote=False)
    assert run(repo.root, fmt) is not None


def test_text_is_one_line_per_post_and_account_and_cannot_rewrite_the_terminal(tmp_path: Path) -> None:
    cal = calendar_repo(tmp_path)
    cal.repo.write("posts/news/escape.yaml", post_yaml("news", "Red \x1b[31malert\x1b[0m\nsecond line",
                                                       "2026-03-07T09:00:00Z"))
    cal.repo.commit("A post with control characters", T + 2 * M)
    lines = run(cal.root, "text").splitlines()
    assert len(lines) == len(EXPECTED) + 1
    assert not any("\x1b" in line for line in lines)
    escape = next(line for line in lines if " escape " in line)
    assert escape.startswith("2026-03-07 10:00 CET ")
    assert "Red \ufffd[31malert\ufffd[0m second line" in escape
    assert next(line for line in lines if " rude " in line).split()[4:7] == ["@news", "Blocked:", "lint:"]


def test_the_page_embeds_images_up_to_the_cap_and_only_from_inside_the_repository(tmp_path: Path) -> None:
    repo = content_repo(tmp_path, remote=False)
    small = png()
    (repo.root / "media").mkdir()
    (repo.root / "media" / "small.png").write_bytes(small)
    (repo.root / "media" / "big.png").write_bytes(png() + b"\0" * MEDIA_CAP)
    (tmp_path / "outside.png").write_bytes(png())
    repo.write("posts/drill/pics.yaml", (
        "account: drill\npublish_at: 2026-03-05T09:00:00Z\ntext: Pictures\nmedia:\n"
        "  - {path: media/small.png, alt: A small chart}\n  - {path: media/big.png, alt: A big chart}\n"
        "  - {path: ../outside.png, alt: Not ours}\n"))
    repo.commit("Pictures", T - 60 * M)
    page = run(repo.root, "html")
    assert page.count('src="data:') == 1
    assert f'src="data:image/png;base64,{base64.b64encode(small).decode()}" alt="A small chart"' in page
    assert f"media/big.png ({(len(small) + MEDIA_CAP + 1023) // 1024} KiB, too large to embed). Alt text: A big chart" \
        in page
    assert "../outside.png (file not found). Alt text: Not ours" in page


def test_a_time_without_an_offset_is_read_in_the_configured_timezone(shared: CalendarRepo) -> None:
    # New York is UTC-5 in March: 07:00 there is 12:00 UTC, when `cross` is due
    assert set(by_post(run(shared.root, "ics", start="2026-03-05T07:00", end="2026-03-05T07:01"))) == {
        ("cross", "news"), ("cross", "sky")}
