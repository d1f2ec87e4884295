"""`postops drill`: a crisis rehearsal on a scratch copy of the repository, with every account on the outbox.

A week of posts goes out at its times; a wrong post is merged, caught by nobody, published, and taken
down by `git revert`; someone posts in the app, and watch finds it; publishing is paused and resumed on the
state branch. The drill prints a timeline and the figures a comms lead wants, each measured on the real
clock around the real commands (the drill's own clock only decides what is due):

    revert to deletion: 1.9 s       from the revert's push to the post gone, with publish run on push
    unmanaged to alert: 0.6 s       from a post made in the app to its alert
    pause to silence: 1.1 s         from `pause` to a publish run that sends nothing due

Nothing here touches the real repository, its remote or a real platform.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from postops.publish import controls
from postops.publish.commands import publish_command, watch_and_notify
from postops.publish.ledger import Store
from postops.repo import git
from postops.repo.config import Config, load_config
from postops.repo.posts import POSTS_DIR

Echo = Callable[[str], None]


@dataclass
class Drill:
    work: Path
    account: str
    zone: ZoneInfo
    env: dict[str, str]
    timeline: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    def note(self, when: datetime, what: str) -> None:
        self.timeline.append(f"{when.astimezone(self.zone):%a %Y-%m-%d %H:%M}  {what}")

    def post(self, name: str, text: str, at: datetime) -> str:
        rel = f"{POSTS_DIR}/{self.account}/drill/{name}.yaml"
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"account: {self.account}\npublish_at: {at.isoformat()}\ntext: {json.dumps(text)}\n")
        return rel

    def publish(self, now: datetime) -> list[str]:
        lines: list[str] = []
        # With the repository's own policies, as the publish job runs: the drill's posts pass them (the
        # wrong one too: it is "caught by nobody", the drill rehearses what happens after review failed).
        publish_command(self.work, now=now, dry_run=False, allow_mass_retract=False, echo=lines.append,
                        env=self.env)
        return lines

    def outbox(self) -> set[str]:
        return {p.name for p in (self.work / ".postops" / "outbox" / self.account).glob("*.json")}


def _scratch_config(config: Config) -> str:
    """postops.yaml of the scratch copy: the same accounts, each on the outbox."""
    lines = ["version: 1", f"timezone: {config.timezone}", "accounts:"]
    for key, account in sorted(config.accounts.items()):
        lines += [f"  {key}:", "    platform: outbox", "    path: .postops/outbox",
                  f"    handle: {json.dumps(account.handle or '@' + key)}"]
    settings = config.publish
    lines += ["publish:", f"  min_lead: {int(settings.min_lead.total_seconds())}s",
              f"  max_delay: {int(settings.max_delay.total_seconds())}s",
              f"  max_retractions: {settings.max_retractions}",
              f"  claim_lease: {int(settings.claim_lease.total_seconds())}s"]
    return "\n".join(lines) + "\n"


def run_drill(root: Path, config: Config, *, echo: Echo, keep: Path | None = None,
              start: datetime | None = None) -> int:
    """Run the drill and print its figures (first line `revert to deletion: N s`) and timeline."""
    with tempfile.TemporaryDirectory(prefix="postops-drill-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        work = git.scratch_copy(root, folder)
        drill = Drill(work, sorted(config.accounts)[0], ZoneInfo(config.timezone),
                      {"POSTOPS_OUTBOX_DIR": str(work / ".postops" / "outbox")})
        _rehearse(drill, config, _first_morning(start or datetime.now(UTC), drill.zone))
    echo(f"revert to deletion: {drill.figures['revert to deletion']:.1f} s")
    echo(f"unmanaged to alert: {drill.figures['unmanaged to alert']:.1f} s")
    echo(f"pause to silence: {drill.figures['pause to silence']:.1f} s")
    echo("")
    for line in drill.timeline:
        echo(line)
    return 0


def _first_morning(now: datetime, zone: ZoneInfo) -> datetime:
    """09:00 tomorrow in the account's timezone: every post of the drill goes out in office hours, where
    the usual schedule policies want it."""
    local = now.astimezone(zone) + timedelta(days=1)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)


def _rehearse(drill: Drill, config: Config, t0: datetime) -> None:
    work, minute = drill.work, timedelta(minutes=1)
    lead = config.publish.min_lead
    # The scratch copy: the same accounts and policies, all on the outbox, none of the real posts.
    (work / "postops.yaml").write_text(_scratch_config(config))
    if (work / POSTS_DIR).exists():
        git.run(work, "rm", "-r", "--quiet", POSTS_DIR)
    # A week of posts, one a day, merged together.
    merged = t0 - lead - minute
    days = [t0 + timedelta(days=i, hours=1) for i in range(7)]
    for i, at in enumerate(days):
        drill.post(f"day-{i + 1}", f"Day {i + 1} of our week on energy security.", at)
    git.commit_all_at(work, "Drill: a week of posts", merged)
    drill.publish(merged)                 # the publish workflow runs on every push to main: min_lead counts from it
    drill.note(merged, f"merged a week of posts for @{drill.account}")
    for i, at in enumerate(days[:6]):
        drill.publish(at + minute)
        drill.note(at + minute, f"published day-{i + 1}" if f"day-{i + 1}.0.json" in drill.outbox()
                   else f"day-{i + 1} did NOT go out")
    # A wrong post, merged and caught by nobody, goes out; a revert takes it down.
    day7 = days[6]
    wrong_at = day7 - timedelta(minutes=90)
    drill.post("wrong", "This was meant for a personal account.", wrong_at)
    wrong = git.commit_all_at(work, "Drill: the wrong post", wrong_at - lead - minute)
    drill.publish(wrong_at - lead - minute)
    drill.publish(wrong_at + minute)
    drill.note(wrong_at + minute, "published the wrong post" if "wrong.0.json" in drill.outbox()
               else "the wrong post did NOT go out")
    reverted_at = wrong_at + 5 * minute
    began = time.monotonic()
    git.revert_at(work, wrong, reverted_at)
    drill.publish(reverted_at)            # the publish workflow runs on every push to main
    drill.figures["revert to deletion"] = time.monotonic() - began
    drill.note(reverted_at, "reverted the wrong post: " + ("deleted" if "wrong.0.json" not in drill.outbox()
                                                              else "NOT deleted"))
    # Someone signed in to the account posts in the app.
    posted_at = reverted_at + 10 * minute
    began = time.monotonic()
    app_post = work / ".postops" / "outbox" / drill.account / "posted-in-the-app.json"
    app_post.write_text(json.dumps({"text": "Posted from the app by someone signed in to the account"}))
    lines: list[str] = []
    watch_and_notify(work, load_config(work), now=datetime.now(UTC), env=drill.env, echo=lines.append)
    drill.figures["unmanaged to alert"] = time.monotonic() - began
    found = any(line.startswith("unmanaged") for line in lines)
    drill.note(posted_at, "a post made in the app: " + ("found, alerted" if found else "NOT found"))
    # Pause on the state branch: day 7 is due and must not go out; resume lets it out.
    paused_at = day7 - 10 * minute
    began = time.monotonic()
    store = Store(work, load_config(work).state_branch, git.remote(work))
    controls.record(store, [controls.control_event(controls.PAUSED, by="drill", at=paused_at,
                                                   reason="drill: crisis response")], "drill: pause")
    drill.publish(day7 + minute)
    drill.figures["pause to silence"] = time.monotonic() - began
    drill.note(paused_at, "paused on the state branch")
    drill.note(day7 + minute, "day-7 held by the pause" if "day-7.0.json" not in drill.outbox()
               else "day-7 went out DESPITE the pause")
    resumed_at = day7 + 30 * minute
    controls.record(store, [controls.control_event(controls.RESUMED, by="drill", at=resumed_at)], "drill: resume")
    drill.publish(resumed_at + minute)
    drill.note(resumed_at, "resumed: day-7 " + ("published" if "day-7.0.json" in drill.outbox() else "NOT published"))
