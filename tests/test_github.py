from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from postops.publish.github import (
    GitHubClient,
    GitHubError,
    GitHubRateLimited,
    client_from_env,
    repository_from_env,
)

API = "https://api.github.com"
TOKEN = "ghs_s3cr3tT0k3nValue0123456789"
NOW = 1_800_000_000.0


class Sleeper:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleep() -> Sleeper:
    return Sleeper()


@pytest.fixture
def client(sleep: Sleeper) -> GitHubClient:
    return GitHubClient(TOKEN, session=requests.Session(), sleep=sleep, clock=lambda: NOW)


@responses.activate
def test_get_sends_the_token_only_in_the_authorization_header(client):
    responses.get(f"{API}/repos/acme/comms", json={"full_name": "acme/comms"},
                  match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}",
                                                  "X-GitHub-Api-Version": "2022-11-28"})])
    assert client.get("/repos/acme/comms") == {"full_name": "acme/comms"}
    assert TOKEN not in repr(client)
    assert TOKEN not in responses.calls[0].request.url


@responses.activate
def test_paginate_follows_the_next_link(client):
    first = f"{API}/repos/acme/comms/pulls/7/reviews"
    second = f"{API}/repositories/1/pulls/7/reviews?per_page=100&page=2"
    responses.get(first, json=[{"id": 1}, {"id": 2}],
                  headers={"Link": f'<{second}>; rel="next", <{second}>; rel="last"'},
                  match=[matchers.query_param_matcher({"per_page": "100"})])
    responses.get(second, json=[{"id": 3}], match=[matchers.query_param_matcher({"per_page": "100", "page": "2"})])
    assert [item["id"] for item in client.paginate("/repos/acme/comms/pulls/7/reviews")] == [1, 2, 3]
    assert len(responses.calls) == 2


@responses.activate
def test_paginate_passes_params_on_the_first_page(client):
    responses.get(f"{API}/repos/acme/comms/commits", json=[],
                  match=[matchers.query_param_matcher({"per_page": "100", "path": "posts/a.yaml"})])
    assert list(client.paginate("/repos/acme/comms/commits", {"path": "posts/a.yaml"})) == []


@responses.activate
def test_a_next_link_to_another_host_never_gets_the_token(client):
    responses.get(f"{API}/orgs/acme/teams/leads/members", json=[{"login": "alice"}],
                  headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'})
    with pytest.raises(GitHubError, match=r"evil.example"):
        list(client.paginate("/orgs/acme/teams/leads/members"))
    assert len(responses.calls) == 1


@responses.activate
def test_a_list_endpoint_that_answers_an_object_is_an_error(client):
    responses.get(f"{API}/repos/acme/comms/pulls/7/commits", json={"message": "odd"})
    with pytest.raises(GitHubError, match="not a list"):
        list(client.paginate("/repos/acme/comms/pulls/7/commits"))


@responses.activate
def test_primary_rate_limit_waits_until_the_reset_then_retries(client, sleep):
    url = f"{API}/repos/acme/comms/pulls/7"
    responses.get(url, status=403, json={"message": "API rate limit exceeded"},
                  headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 20)})
    responses.get(url, json={"number": 7})
    assert client.get("/repos/acme/comms/pulls/7") == {"number": 7}
    assert sleep.calls == [21.0]


@responses.activate
def test_retry_after_is_honoured_on_429(client, sleep):
    url = f"{API}/repos/acme/comms/pulls/7"
    responses.get(url, status=429, headers={"retry-after": "5"})
    responses.get(url, json={"number": 7})
    assert client.get("/repos/acme/comms/pulls/7") == {"number": 7}
    assert sleep.calls == [5.0]


@responses.activate
def test_secondary_rate_limit_without_headers_waits_a_minute(client, sleep):
    url = f"{API}/repos/acme/comms/pulls/7"
    responses.get(url, status=403, json={"message": "You have exceeded a secondary rate limit."})
    responses.get(url, json={"number": 7})
    client.get("/repos/acme/comms/pulls/7")
    assert sleep.calls == [60.0]


@responses.activate
def test_rate_limit_beyond_the_bound_gives_up_and_says_when_it_resets(client, sleep):
    responses.get(f"{API}/repos/acme/comms/pulls/7", status=403, json={"message": "API rate limit exceeded"},
                  headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)})
    with pytest.raises(GitHubRateLimited) as caught:
        client.get("/repos/acme/comms/pulls/7")
    assert sleep.calls == []
    assert caught.value.resets_at is not None and caught.value.resets_at.timestamp() == NOW + 3600
    assert "2027-01-15 09:00:00 UTC" in str(caught.value)
    assert "in 60 min" in str(caught.value)


@responses.activate
def test_the_wait_bound_is_configurable(sleep):
    client = GitHubClient(TOKEN, sleep=sleep, clock=lambda: NOW, max_wait=600)
    url = f"{API}/rate"
    responses.get(url, status=403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 300)})
    responses.get(url, json={})
    client.get("/rate")
    assert sleep.calls == [301.0]


@responses.activate
def test_a_plain_403_is_not_a_rate_limit(client, sleep):
    responses.get(f"{API}/repos/acme/comms/pulls/7", status=403,
                  json={"message": "Resource not accessible by integration"},
                  headers={"x-ratelimit-remaining": "4999"})
    with pytest.raises(GitHubError, match="Resource not accessible by integration") as caught:
        client.get("/repos/acme/comms/pulls/7")
    assert caught.value.status == 403
    assert not isinstance(caught.value, GitHubRateLimited)
    assert sleep.calls == []


@responses.activate
def test_server_errors_are_retried_a_bounded_number_of_times(client, sleep):
    url = f"{API}/repos/acme/comms/pulls/7"
    responses.get(url, status=502)
    responses.get(url, status=503)
    responses.get(url, json={"number": 7})
    assert client.get("/repos/acme/comms/pulls/7") == {"number": 7}
    assert sleep.calls == [1.0, 2.0]


@responses.activate
def test_server_errors_give_up_after_the_retries(client, sleep):
    responses.get(f"{API}/repos/acme/comms/pulls/7", status=500)
    with pytest.raises(GitHubError, match="500") as caught:
        client.get("/repos/acme/comms/pulls/7")
    assert caught.value.status == 500
    assert len(responses.calls) == 4
    assert sleep.calls == [1.0, 2.0, 4.0]


@responses.activate
def test_unreachable_github_is_retried_then_reported(client, sleep):
    responses.get(f"{API}/repos/acme/comms", body=requests.ConnectionError("connection refused"))
    with pytest.raises(GitHubError, match="cannot reach GitHub") as caught:
        client.get("/repos/acme/comms")
    assert caught.value.status is None
    assert len(sleep.calls) == 3


@responses.activate
def test_bad_credentials_are_a_clear_error_without_the_token(client):
    responses.get(f"{API}/repos/acme/comms", status=401, json={"message": "Bad credentials"})
    with pytest.raises(GitHubError) as caught:
        client.get("/repos/acme/comms")
    message = str(caught.value)
    assert "refused the token" in message and "GITHUB_TOKEN" in message
    assert TOKEN not in message
    assert len(responses.calls) == 1


@responses.activate
def test_not_found(client):
    responses.get(f"{API}/repos/acme/gone", status=404, json={"message": "Not Found"})
    with pytest.raises(GitHubError, match="404") as caught:
        client.get("/repos/acme/gone")
    assert caught.value.status == 404


@responses.activate
def test_team_members_are_paginated_and_cached(client):
    first = f"{API}/orgs/acme/teams/comms-leads/members"
    second = f"{API}/organizations/9/team/4/members?per_page=100&page=2"
    responses.get(first, json=[{"login": "Alice"}], headers={"Link": f'<{second}>; rel="next"'})
    responses.get(second, json=[{"login": "carol"}])
    assert client.team_members("acme", "comms-leads") == {"alice", "carol"}
    assert client.team_members("ACME", "Comms-Leads") == {"alice", "carol"}
    assert len(responses.calls) == 2


@responses.activate
def test_a_team_the_token_cannot_read_says_what_token_is_needed(client):
    responses.get(f"{API}/orgs/acme/teams/comms-leads/members", status=404, json={"message": "Not Found"})
    with pytest.raises(GitHubError, match=r"@acme/comms-leads.*Members: read"):
        client.team_members("acme", "comms-leads")


def test_an_empty_token_is_refused():
    with pytest.raises(GitHubError):
        GitHubClient("")


@responses.activate
def test_client_from_env_prefers_the_postops_token_and_follows_the_api_url():
    responses.get("https://ghe.example/api/v3/user", json={},
                  match=[matchers.header_matcher({"Authorization": "Bearer pat"})])
    client = client_from_env({"GITHUB_TOKEN": "workflow", "POSTOPS_GITHUB_TOKEN": "pat",
                              "GITHUB_API_URL": "https://ghe.example/api/v3"})
    client.get("/user")
    fallback = client_from_env({"GITHUB_TOKEN": "workflow", "POSTOPS_GITHUB_TOKEN": ""})
    assert fallback.api_url == API
    responses.get(f"{API}/user", json={}, match=[matchers.header_matcher({"Authorization": "Bearer workflow"})])
    fallback.get("/user")


def test_client_from_env_without_a_token():
    with pytest.raises(GitHubError, match="GITHUB_TOKEN"):
        client_from_env({"POSTOPS_GITHUB_TOKEN": ""})


def test_repository_from_env():
    assert repository_from_env({"GITHUB_REPOSITORY": "acme/comms"}) == "acme/comms"
    with pytest.raises(GitHubError, match="GITHUB_REPOSITORY"):
        repository_from_env({})


@responses.activate
def test_a_bare_429_waits_a_minute(client, sleep):
    url = f"{API}/repos/acme/comms/pulls/7"
    responses.get(url, status=429)
    responses.get(url, json={"number": 7})
    client.get("/repos/acme/comms/pulls/7")
    assert sleep.calls == [60.0]
