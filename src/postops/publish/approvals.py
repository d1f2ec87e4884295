"""The publish-time approval check: the pull request that brought a post had the approvals its account needs.

CODEOWNERS (`postops.repo.codeowners`) makes GitHub ask the right people; this check makes sure, at publish
time, that they did, even when someone got around branch protection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from postops.errors import PostopsError
from postops.publish.desired import Desired
from postops.publish.plan import ActionName, Plan
from postops.repo.config import Account, Config

if TYPE_CHECKING:
    from postops.publish.github import GitHubClient

PairKey = tuple[str, str]   # post id, account


@dataclass(frozen=True)
class Approvals:
    blocked: dict[PairKey, str] = field(default_factory=dict)              # -> why not approved
    approved: dict[PairKey, dict[str, Any]] = field(default_factory=dict)  # -> {pull, approved_by}


def approval_blocks(config: Config, desired: Desired, plan: Plan, env: Mapping[str, str],
                    client: GitHubClient | None = None) -> Approvals:
    """Which of the posts `plan` would start publishing are approved (and by whom), which are not (and why).

    With `approval: github`, the pull request that brought each post's current content to main must have
    the approvals its account needs (check_approval). Whatever GitHub cannot answer is not an approval:
    the post waits, blocked, for a run that can tell.
    """
    if config.approval != "github":
        return Approvals()
    # Every post about to go out is checked, whatever part comes next: a ledger line saying part 0 went out
    # is no approval of the rest (anyone who can push to the state branch can write one).
    starting = [a for a in plan.of(ActionName.PUBLISH) if a.parts]
    if not starting:
        return Approvals()
    # GitHub's client (and requests) only when a post is about to go out: plan and status never load it
    from postops.publish.github import client_from_env, repository_from_env  # noqa: PLC0415

    try:
        client = client or client_from_env(env)
        repo = repository_from_env(env)
    except PostopsError as exc:
        return Approvals(blocked={a.key: exc.message for a in starting})
    targets = {(t.post, t.account): t for t in desired.targets}
    result = Approvals()
    blocks = result.blocked
    for action in starting:
        target = targets[action.key]
        if target.arrived_in is None:
            blocks[action.key] = "not committed on main"
            continue
        try:
            verdict = check_approval(client, repo, merge_commit=target.arrived_in, post_path=target.path,
                                     account=config.accounts[action.account], media_paths=target.media)
        except PostopsError as exc:
            blocks[action.key] = f"GitHub could not say who approved it ({exc.message})"
            continue
        if verdict.approved:
            result.approved[action.key] = {"pull": verdict.pull, "approved_by": list(verdict.approved_by)}
        else:
            blocks[action.key] = verdict.reason
    return result

# ------------------------------------------------------------------------------------------ approval check

# GitHub's own committer for commits made in its web interface (edits, squash and merge commits)
_PLATFORM_COMMITTERS = frozenset({"web-flow"})


@dataclass(frozen=True)
class ApprovalVerdict:
    approved: bool
    reason: str
    approved_by: tuple[str, ...] = ()
    pull: int | None = None


def check_approval(client: GitHubClient, repo_full_name: str, *, merge_commit: str, post_path: str,
                   account: Account, media_paths: Sequence[str] = ()) -> ApprovalVerdict:
    """Whether the pull request that brought `merge_commit` to the default branch approves the post.

    `merge_commit` is the commit on the default branch that brought the post's current content (a merge or
    squash commit, or one of a pull request's commits). `media_paths` are the post's media files: changing
    one of them is a change to the post too. Raises GitHubError when GitHub cannot answer; the caller must
    then treat the post as not approved.
    """
    repo = repo_full_name
    if account.approvals > 0 and not account.approvers:
        return ApprovalVerdict(False, f"account {account.key} has no approvers in postops.yaml, so no "
                                      f"approval can count (it needs {account.approvals})")
    pull = _merged_pull(list(client.paginate(f"/repos/{repo}/commits/{merge_commit}/pulls")), merge_commit)
    if pull is None:
        return ApprovalVerdict(False, f"commit {merge_commit[:12]} was pushed straight to main without a "
                                      f"pull request")
    number = int(pull["number"])
    commits = list(client.paginate(f"/repos/{repo}/pulls/{number}/commits"))
    order = {c["sha"]: index for index, c in enumerate(commits)}
    author = _login(pull.get("user"))
    contributors = {author.lower()} if author else set()
    for commit in commits:
        for role in ("author", "committer"):
            login = _login(commit.get(role))
            if login and login.lower() not in _PLATFORM_COMMITTERS:
                contributors.add(login.lower())
    last_change = _last_change(client, repo, pull["head"]["sha"], order, post_path, media_paths)

    latest: dict[str, dict[str, Any]] = {}
    reviews = [r for r in client.paginate(f"/repos/{repo}/pulls/{number}/reviews")
               if r.get("state") not in ("COMMENTED", "PENDING") and _login(r.get("user"))]
    for review in sorted(reviews, key=lambda r: (r.get("submitted_at") or "", r.get("id") or 0)):
        latest[_login(review["user"]).lower()] = review

    approver = _Approvers(client, account.approvers)
    counted: list[str] = []
    notes: list[str] = []
    for review in latest.values():
        login = _login(review["user"])
        state = review["state"]
        if state == "CHANGES_REQUESTED":
            notes.append(f"{login} requested changes")
        elif state == "DISMISSED":
            notes.append(f"{login}'s approval was dismissed")
        elif state != "APPROVED":
            continue
        elif login.lower() == (author or "").lower():
            notes.append(f"{login} opened the pull request and cannot approve it")
        elif login.lower() in contributors:
            notes.append(f"{login} committed to the pull request and cannot approve it")
        elif not approver(login):
            notes.append(f"{login} approved but is not among {', '.join(account.approvers)}")
        elif review.get("commit_id") not in order:
            notes.append(f"{login}'s approval was for a commit no longer in the pull request")
        elif order[review["commit_id"]] < last_change:
            notes.append(f"{login}'s approval came before the last change")
        else:
            counted.append(login)

    need = account.approvals
    summary = f"pull request #{number}: {len(counted)} of {need} approval{'s' if need != 1 else ''}"
    if account.approvers:
        summary += f" from {', '.join(account.approvers)}"
    if counted:
        summary += f" ({', '.join(counted)})"
    return ApprovalVerdict(len(counted) >= need, "; ".join([summary, *notes]), tuple(counted), number)


def _login(user: Any) -> str:
    return (user.get("login") or "") if isinstance(user, dict) else ""


def _merged_pull(pulls: list[dict[str, Any]], sha: str) -> dict[str, Any] | None:
    merged = [p for p in pulls if p.get("merged_at")]
    into_default = [p for p in merged
                    if p.get("base", {}).get("ref") == (p.get("base", {}).get("repo") or {}).get("default_branch")]
    candidates = into_default or merged
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.get("merge_commit_sha") == sha, p["merged_at"]))


def _last_change(client: GitHubClient, repo: str, head: str, order: dict[str, int], post_path: str,
                 media_paths: Sequence[str]) -> int:
    """Position in the pull request's commits of the last one that changed the post or its media."""
    last = -1
    for path in (post_path, *media_paths):
        found = client.get(f"/repos/{repo}/commits", {"sha": head, "path": path, "per_page": 1})
        index = order.get(found[0]["sha"]) if found else None
        if index is None and path == post_path:
            # the post's last change is not one of the pull request's commits (history rewritten, or a
            # change that came from elsewhere): only approvals of the final commit can be trusted
            index = len(order) - 1
        if index is not None:
            last = max(last, index)
    return last


class _Approvers:
    """Whether a login is one of an account's approvers; teams are asked about only when needed."""

    def __init__(self, client: GitHubClient, approvers: Sequence[str]) -> None:
        self._client = client
        self._users = {a.lstrip("@").lower() for a in approvers if "/" not in a}
        self._teams = [tuple(a.lstrip("@").split("/", 1)) for a in approvers if "/" in a]

    def __call__(self, login: str) -> bool:
        login = login.lower()
        if login in self._users:
            return True
        return any(login in self._client.team_members(org, slug) for org, slug in self._teams)

