"""A small client for GitHub's REST API: authenticated GETs, pagination, rate limits and retries.

postops only reads from GitHub (pull requests, reviews, commits, team members), so this is all it needs.
The token goes into one header and nowhere else: not into messages, not into `repr`, never to another host.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from postops import __version__
from postops.errors import PostopsError
from postops.http import Attempts, Retry

API_URL = "https://api.github.com"
PER_PAGE = 100
TIMEOUT = 30.0


class GitHubError(PostopsError):
    """GitHub's API refused or failed; `status` is the HTTP status, or None when GitHub was unreachable."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubRateLimited(GitHubError):
    """The rate limit is used up for longer than postops is willing to wait."""

    def __init__(self, message: str, *, resets_at: datetime | None) -> None:
        super().__init__(message, status=429)
        self.resets_at = resets_at


class GitHubClient:
    def __init__(self, token: str, api_url: str = API_URL, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 *, max_wait: float = 60.0, retries: int = 3) -> None:
        if not token:
            raise GitHubError("no GitHub token given")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self._session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self.max_wait = max_wait
        self.retries = retries
        self._teams: dict[tuple[str, str], frozenset[str]] = {}
        api = urlsplit(self.api_url)
        self._origin = (api.scheme, api.netloc)

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.api_url!r})"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request(self._url(path), params).json()

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, page after page, following `Link: rel="next"`."""
        url: str | None = self._url(path)
        query: Mapping[str, Any] | None = {"per_page": PER_PAGE, **(params or {})}
        while url:
            response = self._request(url, query)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GitHub answered {path} with {type(page).__name__}, not a list")
            yield from page
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query already

    def team_members(self, org: str, slug: str) -> frozenset[str]:
        """Logins (lower case) of a team's members, including those of its child teams; cached."""
        key = (org.lower(), slug.lower())
        if key not in self._teams:
            try:
                members = self.paginate(f"/orgs/{org}/teams/{slug}/members")
                self._teams[key] = frozenset(m["login"].lower() for m in members)
            except GitHubError as exc:
                if exc.status in (403, 404):
                    raise GitHubError(
                        f"cannot list the members of team @{org}/{slug} (GitHub answered {exc.status}): the "
                        f"team does not exist or the token may not read the organisation's teams. The "
                        f"workflow's own GITHUB_TOKEN never can: give postops a token with the organisation "
                        f"permission Members: read in POSTOPS_GITHUB_TOKEN (see docs/review.md)",
                        status=exc.status) from None
                raise
        return self._teams[key]

    def _url(self, path: str) -> str:
        return f"{self.api_url}/{path.lstrip('/')}"

    def _request(self, url: str, params: Mapping[str, Any] | None) -> requests.Response:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            # a Link header pointing elsewhere must not receive the token
            raise GitHubError(f"GitHub sent postops to {parts.scheme}://{parts.netloc}, not {self.api_url}")
        what = parts.path
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"postops/{__version__}",
        }
        # `retries` repeats after the first attempt, pausing 1 s, 2 s, 4 s...; rate-limit waits count too.
        tries = Attempts(Retry(attempts=self.retries + 1, backoff=1.0), self._sleep)
        while True:
            try:
                response = self._session.get(url, params=params, headers=headers, timeout=TIMEOUT)
            except requests.RequestException as exc:
                failures = tries.failed()
                if failures is not None:
                    raise GitHubError(f"cannot reach GitHub at {self.api_url} ({type(exc).__name__}) "
                                      f"after {failures} attempts") from None
                continue
            status = response.status_code
            if status < 400:
                return response
            if status in (403, 429):
                wait = self._rate_limit_wait(response)
                if wait is not None:
                    failures = tries.failed(pause=wait)
                    if failures is not None:
                        raise GitHubRateLimited(f"GitHub's rate limit still refuses {what} after "
                                                f"{failures} attempts", resets_at=None)
                    continue
            if status >= 500:
                failures = tries.failed()
                if failures is not None:
                    raise GitHubError(f"GitHub failed {what} with {status} {response.reason} "
                                      f"{failures} times; try again later", status=status)
                continue
            raise self._refusal(response, what)

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait before retrying a rate-limited request; None when it was not rate-limited.

        Raises GitHubRateLimited when the wait would be longer than `max_wait`.
        """
        headers = response.headers
        now = self._clock()
        wait: float | None = None
        resets_at: float | None = None
        if "retry-after" in headers:
            try:
                wait = max(0.0, float(headers["retry-after"]))
            except ValueError:
                wait = 60.0
            resets_at = now + wait
        elif headers.get("x-ratelimit-remaining") == "0":
            try:
                resets_at = float(headers["x-ratelimit-reset"])
            except (KeyError, ValueError):
                resets_at = now + 60.0
            wait = max(0.0, resets_at - now) + 1.0  # the reset second itself may still be refused
        elif response.status_code == 429 or "rate limit" in _message(response).lower():
            # a secondary rate limit without headers: GitHub asks for at least a minute's pause
            wait = 60.0
            resets_at = now + wait
        if wait is None:
            return None
        if wait > self.max_wait:
            when = datetime.fromtimestamp(resets_at or now + wait, tz=UTC)
            raise GitHubRateLimited(
                f"GitHub's API rate limit is used up until {when:%Y-%m-%d %H:%M:%S} UTC "
                f"(in {_minutes(wait)}); postops waits at most {_minutes(self.max_wait)}, try again after that",
                resets_at=when)
        return wait

    def _refusal(self, response: requests.Response, what: str) -> GitHubError:
        status = response.status_code
        detail = _message(response)
        if status == 401:
            return GitHubError("GitHub refused the token (401 Bad credentials): it is wrong, expired or "
                               "revoked; check GITHUB_TOKEN or POSTOPS_GITHUB_TOKEN", status=status)
        if status == 403:
            return GitHubError(f"GitHub refused {what} (403 {detail}): the token lacks a permission "
                               f"(reading pull requests needs `pull-requests: read`)", status=status)
        if status == 404:
            return GitHubError(f"GitHub has no {what} (404), or the token may not see it", status=status)
        return GitHubError(f"GitHub refused {what} ({status} {detail})", status=status)


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


TOKEN_VARIABLES = ("POSTOPS_GITHUB_TOKEN", "GITHUB_TOKEN")


def client_from_env(env: Mapping[str, str] | None = None, **kwargs: Any) -> GitHubClient:
    """A client with the token from POSTOPS_GITHUB_TOKEN (preferred: it can read teams) or GITHUB_TOKEN.

    GITHUB_API_URL (set by GitHub Actions, also on GitHub Enterprise Server) chooses the API.
    """
    env = os.environ if env is None else env
    token = next((env[name] for name in TOKEN_VARIABLES if env.get(name)), None)
    if not token:
        raise GitHubError("`approval: github` needs a GitHub token in GITHUB_TOKEN or POSTOPS_GITHUB_TOKEN "
                          "to check who approved each post; none is set")
    return GitHubClient(token, env.get("GITHUB_API_URL") or API_URL, **kwargs)


def repository_from_env(env: Mapping[str, str] | None = None) -> str:
    """`owner/name` of the repository GitHub Actions runs in (GITHUB_REPOSITORY)."""
    env = os.environ if env is None else env
    name = env.get("GITHUB_REPOSITORY", "")
    if name.count("/") != 1:
        raise GitHubError("`approval: github` needs GITHUB_REPOSITORY (owner/name) to know where to look; "
                          "GitHub Actions sets it, elsewhere set it yourself")
    return name
