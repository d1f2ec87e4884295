"""Alerts: tell people what publishing did, through Apprise (Slack, Teams, email, Matrix, webhooks, ...).

postops.yaml names environment variables, never URLs: an Apprise URL carries its service's secret.
```yaml
notify:
  - to: POSTOPS_NOTIFY_COMMS
    on: [unmanaged, failed, missed, blocked, retracted, paused, resumed]
```
A failing alert never stops publishing: it is reported in the run's output and makes the run exit 1.
Apprise is imported only when there is something to send, so lint and quiet runs do not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from postops.repo.config import AlertKind, NotifyTarget


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    account: str | None
    post: str | None
    summary: str                      # what happened, one line
    next_step: str                    # what a person should do now
    url: str | None = None

    @property
    def title(self) -> str:
        where = " ".join(part for part in (self.post, f"on @{self.account}" if self.account else None) if part)
        return f"postops: {self.kind}" + (f" {where}" if where else "")

    @property
    def body(self) -> str:
        lines = [self.summary]
        if self.url:
            lines.append(self.url)
        lines.append(f"Next: {self.next_step}")
        return "\n".join(lines)


# Send one message to one Apprise URL; True when the service accepted it. Replaceable in tests of callers.
Sender = Callable[[str, str, str], bool]


def _apprise_send(url: str, title: str, body: str) -> bool:
    import apprise  # noqa: PLC0415 - costs ~0.3 s to import: only when an alert is due

    # Not through Apprise's shared thread pool (used for parallel sending, and for its per-service wall-clock
    # limit): a fork does not copy the pool's threads, so a process forked after an alert waited for ever on
    # its next one. One URL per client needs no parallel sending; each request is still bounded by the
    # service's connect and read timeouts.
    client = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False, service_timeout=0))
    if not client.add(url):
        raise ValueError("Apprise does not know this URL's scheme or cannot read it")
    return bool(client.notify(title=title, body=body))


def url_problem(url: str) -> str | None:
    """Why Apprise cannot use `url`, or None. The URL itself is never repeated: it holds a secret."""
    import apprise  # noqa: PLC0415 - as above: only when postops.yaml names a target

    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not scheme:
        return "is not an Apprise URL (expected e.g. slack://..., mailto://..., json://...)"
    client = apprise.Apprise()
    if not client.add(url):
        return f"has a scheme Apprise does not know or cannot read ({scheme}://)"
    return None


class Notifier:
    """Sends the alerts each target asked for. Failures are collected, never raised."""

    def __init__(self, targets: Sequence[NotifyTarget], env: Mapping[str, str] | None = None,
                 send: Sender = _apprise_send) -> None:
        self.targets = tuple(targets)
        self.env = os.environ if env is None else env
        self.send_one = send

    def problems(self) -> list[str]:
        """Targets that cannot work as configured: said once per run, before anything is sent."""
        found = []
        for target in self.targets:
            url = self.env.get(target.env, "").strip()
            if not url:
                found.append(f"notify: {target.env} is not set in the environment, so its alerts go nowhere")
                continue
            problem = url_problem(url)
            if problem:
                found.append(f"notify: the URL in {target.env} {problem}")
        return found

    def send(self, alerts: Iterable[Alert]) -> list[str]:
        """Send every alert to every target that wants its kind; return one line per failed delivery."""
        failures: list[str] = []
        alerts = list(alerts)
        for target in self.targets:
            url = self.env.get(target.env, "").strip()
            wanted = [a for a in alerts if a.kind in target.kinds]
            if not url or not wanted:
                continue
            for alert in wanted:
                try:
                    delivered = self.send_one(url, alert.title, alert.body)
                except Exception as exc:  # noqa: BLE001 - an alert must never stop publishing, whatever happens
                    failures.append(f"notify: {target.env}: {alert.title}: not sent ({exc})")
                    continue
                if not delivered:
                    failures.append(f"notify: {target.env}: {alert.title}: the service refused it")
        return failures


_NEXT = {
    "published": "nothing; `git revert` of the post takes it down again",
    "resolved": "nothing; it had gone out before its run was cut short, and is recorded now",
    "retracted": "nothing; it is down",
    "failed": "read the error; `postops status` shows the post, and the next run retries what can be retried",
    "unknown": "check the account by hand: postops cannot tell whether it went out, and will not post it twice",
    "missed": "it was never published: add it again under a new id with a new time if it should still go out",
}
_KINDS = {"published": AlertKind.PUBLISHED, "resolved": AlertKind.PUBLISHED, "retracted": AlertKind.RETRACTED,
          "failed": AlertKind.FAILED, "unknown": AlertKind.FAILED, "missed": AlertKind.MISSED}


def run_alerts(outcomes: Iterable[Any], blocked: Iterable[Any]) -> list[Alert]:
    """Alerts for what a publish run did (its outcomes) and for the due posts it could not publish
    (`blocked` plan actions): those are said again every run until someone acts."""
    alerts = []
    for outcome in outcomes:
        kind = _KINDS.get(outcome.what)
        if kind is None:
            continue
        part = f" (part {outcome.part + 1})" if outcome.part else ""
        url = outcome.detail if outcome.what in ("published", "resolved", "retracted") and "://" in outcome.detail \
            else None
        summary = f"{outcome.what}{part}" + ("" if url or not outcome.detail else f": {outcome.detail}")
        alerts.append(Alert(kind, outcome.account, outcome.post, summary, _NEXT[outcome.what], url))
    for action in blocked:
        alerts.append(Alert(AlertKind.BLOCKED, action.account, action.post, f"due but blocked: {action.reason}",
                            "fix what the reason says; this alert repeats every run until then"))
    return alerts
