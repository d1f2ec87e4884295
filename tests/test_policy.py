"""User policies: loading errors located in the policy file, RE2 patterns, selectors, messages, locations."""

from __future__ import annotations

import pytest

from postops.errors import ConfigError

INSULTS = """\
rules:
  - id: no-insults
    message: "Official accounts don't say '{match}' ({account})"
    schema:
      properties:
        facts:
          properties:
            text: {not: {pattern: "\\\\b(suck it|idiots?)\\\\b"}}
"""


def located(repo, rule=None):
    return [(f.path, f.line, f.column, f.message) for f in repo.lint().findings if rule in (None, f.rule)]


def test_pattern_rule_points_at_the_match_and_fills_the_message(repo):
    repo.write("policies/tone.yaml", INSULTS)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: |-\n  Dear partners,\n  Suck it, @amnesty\n")
    assert located(repo) == [("posts/csis/p.yaml", 4, 3, "Official accounts don't say 'suck it' (csis)")]


def test_word_boundaries_spare_innocent_words(repo):
    repo.write("policies/tone.yaml", INSULTS)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: Europe was sucked into the crisis; idiotsavant\n")
    assert located(repo) == []


def test_a_thread_part_is_checked_and_located_on_its_own(repo):
    repo.write("policies/tone.yaml", INSULTS)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: all fine\nthread:\n  - text: still fine\n"
                                    "  - text: 'you idiots'\n")
    assert located(repo) == [("posts/csis/p.yaml", 5, 16,
                              "Official accounts don't say 'idiots' (csis) (thread part 3)")]


def test_list_facts_point_at_the_item(repo):
    repo.write("policies/mentions.yaml", """\
        rules:
          - id: mention-allow
            applies_to: {accounts: [csis]}
            message: "{match} is not on the allow-list"
            schema:
              properties:
                facts:
                  properties:
                    mentions: {items: {enum: ["@csis", "@energy"]}}
          - id: two-hashtags
            severity: warning
            message: "more than two hashtags: {value}"
            schema: {properties: {facts: {properties: {hashtags: {maxItems: 2}}}}}
        """)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: |-\n  Thanks @Energy and\n  @Amnesty #a #b #c\n")
    repo.write("posts/drill/p2.yaml", "account: drill\ntext: hi @amnesty\n")
    assert located(repo) == [
        ("posts/csis/p.yaml", 4, 3, "@amnesty is not on the allow-list"),
        ("posts/csis/p.yaml", 4, 18, "more than two hashtags: a, b, c"),
    ]


def test_domains_and_selectors_by_platform_and_label(repo):
    repo.write("policies/links.yaml", """\
        rules:
          - id: own-domains
            applies_to: {platforms: [x], labels: [press]}
            message: "link to {match}, not one of our domains"
            schema:
              properties:
                facts:
                  properties:
                    domains: {items: {pattern: "(^|\\\\.)csis\\\\.org$"}}
        """)
    body = "text: see https://www.csis.org/a and https://evil.com/b\n"
    repo.write("posts/csis/press.yaml", "account: csis\nlabels: [press]\n" + body)
    repo.write("posts/csis/plain.yaml", "account: csis\n" + body)
    repo.write("posts/social/press.yaml", "id: m\naccount: social\nlabels: [press]\n" + body)
    assert located(repo) == [("posts/csis/press.yaml", 3, 38, "link to evil.com, not one of our domains")]


def test_paths_selector_and_account_const(repo):
    repo.write("policies/folders.yaml", """\
        rules:
          - id: csis-folder-is-csis
            applies_to: {paths: ["posts/csis/*"]}
            message: "posts under posts/csis/ are for csis"
            schema: {properties: {account: {anyOf: [{const: csis}, {type: array, contains: {const: csis}}]}}}
        """)
    repo.write("posts/csis/2026/p.yaml", "account: drill\ntext: hi\n")
    repo.write("posts/csis/2026/q.yaml", "account: [drill, csis]\ntext: hi\n")
    assert located(repo, "csis-folder-is-csis") == [("posts/csis/2026/p.yaml", 1, 10,
                                                     "posts under posts/csis/ are for csis")]


def test_local_hour_is_per_account_timezone(repo):
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text().replace(
        "  sky:\n    platform: bluesky\n", "  sky:\n    platform: bluesky\n    timezone: Europe/Berlin\n"))
    repo.write("policies/quiet.yaml", """\
        rules:
          - id: quiet-hours
            message: "{value}:00 is inside quiet hours for {account}"
            schema: {properties: {facts: {properties: {hour: {minimum: 7, maximum: 21}}}}}
        """)
    # 16:00 in New York is 22:00 in Berlin
    repo.write("posts/csis/p.yaml", "account: [csis, sky]\npublish_at: 2026-11-24T16:00:00-05:00\ntext: hi\n")
    assert located(repo) == [("posts/csis/p.yaml", 2, 13, "22:00 is inside quiet hours for sky")]


def test_catastrophic_pattern_cannot_hang_lint(repo):
    repo.write("policies/evil.yaml", """\
        rules:
          - id: evil
            schema: {properties: {text: {pattern: "^(a+)+$"}}}
        """)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: " + "a" * 5000 + "!\n")
    # Python's re would need about 2**5000 steps here, and this test would never end; RE2 is linear.
    result = repo.lint()
    assert [f.rule for f in result.findings] == ["evil", "text-length"]


@pytest.mark.parametrize(("policy", "message", "line", "column"), [
    ("rules:\n  - id: r\n    schema: {properties: {text: {pattern: '(a)\\1'}}}\n",
     "cannot be matched in linear time", 3, 43),
    ("rules:\n  - id: r\n    schema: {properties: {text: {pattern: '(?=a)'}}}\n",
     "cannot be matched in linear time", 3, 43),
    ("rules:\n  - id: r\n    schema: {$ref: 'https://example.org/s.json'}\n",
     "$ref is not supported in policies", 3, 20),
    ("rules:\n  - id: r\n    schema: {$ref: '#'}\n", "$ref is not supported in policies", 3, 20),
    ("rules:\n  - id: r\n    schema: {not: {anyOf: [{$ref: '#/$defs/nope'}]}}\n",
     "$ref is not supported in policies", 3, 35),
    ("rules:\n  - id: r\n    schema: {type: strng}\n", "unknown type 'strng' (did you mean 'string'?)", 3, 20),
    ("rules:\n  - id: r\n    schema: {patternProperties: {'^a': {}}}\n", "patternProperties", 3, 33),
    ("rules:\n  - id: r\n    severity: fatal\n    schema: {}\n", "severity is 'fatal'", 3, 15),
    ("rules:\n  - id: r\n    schemaa: {}\n", "did you mean 'schema'", 3, 5),
    ("rules:\n  - id: r\n", "has no schema", 2, 5),
    ("rules:\n  - id: text-length\n    schema: {}\n", "is a built-in rule", 3, 5),
    ("rules:\n  - id: r\n    schema: {}\n  - id: r\n    schema: {}\n", "already defined", 4, 9),
    ("rules: [\n", "invalid YAML", 2, 1),
])
def test_policy_errors_are_located_config_errors(repo, policy, message, line, column):
    repo.write("policies/bad.yaml", policy)
    with pytest.raises(ConfigError) as info:
        repo.lint()
    assert message in info.value.message
    assert (info.value.path, info.value.line, info.value.column) == ("policies/bad.yaml", line, column)
    assert info.value.exit_code == 2


def test_off_rules_are_skipped(repo):
    repo.write("policies/p.yaml", "rules:\n  - id: r\n    severity: 'off'\n    schema: false\n")
    repo.write("posts/csis/p.yaml", "account: csis\ntext: hi\n")
    assert located(repo) == []


def test_unique_items_points_at_the_first_repeat_in_linear_time(repo):
    repo.write("policies/p.yaml", "rules:\n  - id: no-repeats\n    message: 'says {match} twice'\n"
                                  "    schema: {properties: {facts: {properties: {words: {uniqueItems: true}}}}}\n")
    words = " ".join(f"w{i}" for i in range(20_000))
    repo.write("posts/csis/p.yaml", f"account: csis\ntext: |-\n  {words} again again\n")
    found = [(f.line, f.column, f.message) for f in repo.lint().findings if f.rule == "no-repeats"]
    assert found == [(3, len(words) + 10, "says again twice")]


def test_facts_named_inside_combinators_are_checked_on_every_part(repo):
    repo.write("policies/p.yaml", "rules:\n  - id: no-foo\n    schema:\n      properties:\n        facts:\n"
                                  "          allOf:\n            - properties: {words: {not: {contains: {const: foo}}}}\n")
    repo.write("posts/csis/p.yaml", "account: csis\ntext: fine\nthread:\n  - text: then foo\n")
    assert [(f.rule, f.line) for f in repo.lint().findings] == [("no-foo", 4)]
