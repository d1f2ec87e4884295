from __future__ import annotations

from datetime import timedelta

import pytest

from postops.errors import ConfigError
from postops.repo.config import find_root, load_config, parse_duration

GOOD = """\
version: 1
timezone: Europe/Paris
accounts:
  csis:
    platform: x
    handle: "@CSIS"
    approvers: ["@csis-org/comms-leads"]
    approvals: 2
    credentials: POSTOPS_CSIS
  social:
    platform: mastodon
    instance: https://mastodon.example
    timezone: UTC
  drill:
    platform: outbox
    path: .postops/outbox
policy_owners: ["@csis-org/digital-governance"]
publish:
  min_lead: 10m
  max_delay: 6h
  max_retractions: 3
  claim_lease: 90s
state:
  branch: postops/state
paused: null
"""


def test_full_config(repo):
    repo.write("postops.yaml", GOOD)
    config = load_config(repo.root)
    assert config.timezone == "Europe/Paris"
    assert config.accounts["csis"].approvers == ("@csis-org/comms-leads",)
    assert config.accounts["csis"].approvals == 2
    assert config.accounts["csis"].timezone == "Europe/Paris"
    assert config.accounts["social"].timezone == "UTC"
    assert config.publish.claim_lease == timedelta(seconds=90)
    assert config.publish.max_retractions == 3
    assert config.policy_owners == ("@csis-org/digital-governance",)
    assert config.paused is None


@pytest.mark.parametrize(("change", "message", "line", "column"), [
    (("timezone: Europe/Paris", "timezone: Mars/Olympus"), "unknown timezone 'Mars/Olympus'", 2, 11),
    (("timezone: Europe/Paris", "timezone: America"), "unknown timezone 'America'", 2, 11),
    (("platform: x", "platform: twitter"), "platform is 'twitter'; it must be one of", 5, 15),
    (("approvals: 2", "approvals: two"), "approvals must be a whole number, not a string", 8, 16),
    (("max_delay: 6h", "max_delay: 6 hours"), "is not in the expected form", 20, 14),
    (("policy_owners", "policy_owner"), "unknown key 'policy_owner' (did you mean 'policy_owners'?)", 17, 1),
    (("    instance: https://mastodon.example\n", ""), "a mastodon account needs `instance:", 11, 5),
    (("version: 1", "version: 2"), "version must be 1", 1, 10),
    (("  csis:\n", "  csis:\n  csis:\n"), "duplicate key 'csis'", 5, 3),
])
def test_config_errors_are_located(repo, change, message, line, column):
    repo.write("postops.yaml", GOOD.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_config(repo.root)
    assert message in info.value.message
    assert (info.value.path, info.value.line, info.value.column) == ("postops.yaml", line, column)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("change", "message", "line", "column"), [
    (("min_lead: 10m", "min_lead: 10 minutes"),
     "publish.min_lead '10 minutes' is not in the expected form: write it like '10m' or '90s' or '1.5h' or '2d'",
     19, 13),
    (("credentials: POSTOPS_CSIS", "credentials: postops-csis"),
     "credentials 'postops-csis' is not in the expected form: write it like 'POSTOPS_CSIS'", 9, 18),
    (("  csis:\n", "  CSIS:\n"),
     "accounts has a key 'CSIS' that is not a valid name: write it like 'csis' or 'csis_mastodon'", 4, 3),
])
def test_a_value_in_the_wrong_form_is_shown_the_right_form_not_a_regular_expression(repo, change, message, line,
                                                                                      column):
    repo.write("postops.yaml", GOOD.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_config(repo.root)
    assert message in info.value.message and "^" not in info.value.message
    assert (info.value.line, info.value.column) == (line, column)


def test_every_pattern_in_postops_schemas_has_examples_of_its_form():
    from postops.repo.schemas import CONFIG_SCHEMA, POST_SCHEMA

    def patterns(node, where=""):
        if isinstance(node, dict):
            if "pattern" in node:
                yield where, node
            for key, value in node.items():
                yield from patterns(value, f"{where}/{key}")
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value, where)

    found = list(patterns(CONFIG_SCHEMA)) + list(patterns(POST_SCHEMA))
    assert len(found) >= 10
    assert [where for where, node in found if not node.get("examples")] == []


def test_config_duplicate_key(repo):
    repo.write("postops.yaml", GOOD + "timezone: UTC\n")
    with pytest.raises(ConfigError, match="duplicate key 'timezone'"):
        load_config(repo.root)


def test_find_root_walks_up(repo):
    (repo.root / "posts" / "csis").mkdir(parents=True)
    assert find_root(repo.root / "posts" / "csis") == repo.root.resolve()


def test_find_root_without_config(tmp_path):
    with pytest.raises(ConfigError, match="postops init"):
        find_root(tmp_path)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("6h", 21600), ("1d", 86400),
                                               ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


PAGES = GOOD.replace("  drill:\n", """\
  fb:
    platform: facebook
    page_id: 104729381234567
    credentials: POSTOPS_FB
  li:
    platform: linkedin
    organization: '2414183'
    api_version: '202605'
    credentials: POSTOPS_LI
  drill:
""")


def test_facebook_and_linkedin_accounts(repo):
    repo.write("postops.yaml", PAGES)
    config = load_config(repo.root)
    assert (config.accounts["fb"].page_id, config.accounts["fb"].api_version) == ("104729381234567", None)
    assert (config.accounts["li"].organization, config.accounts["li"].api_version) == ("2414183", "202605")


@pytest.mark.parametrize(("change", "message", "line", "column"), [
    (("    page_id: 104729381234567\n", ""), "a facebook account needs `page_id:", 15, 5),
    (("    organization: '2414183'\n", ""), "a linkedin account needs `organization:", 19, 5),
    (("page_id: 104729381234567", "page_id: csis-page"), "page_id 'csis-page' is not in the expected form", 16, 14),
    (("api_version: '202605'", "api_version: latest"), "api_version 'latest' is not in the expected form", 21, 18),
    (("    platform: x\n", "    platform: x\n    page_id: '1'\n"), "`page_id` is for facebook accounts, not x", 6, 14),
    (("api_version: '202605'", "api_version: v26.0"), "api_version 'v26.0' is not a linkedin API version", 21, 18),
    (("    page_id: 104729381234567\n", "    page_id: 104729381234567\n    api_version: '202605'\n"),
     "api_version '202605' is not a facebook API version (use e.g. v26.0)", 17, 18),
])
def test_facebook_and_linkedin_mistakes_are_located(repo, change, message, line, column):
    repo.write("postops.yaml", PAGES.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_config(repo.root)
    assert message in info.value.message
    assert (info.value.line, info.value.column) == (line, column)
