"""jsonschema-rs gives the verdict, jsonschema the details: the two must agree on every verdict.

postops.repo.validation lets jsonschema-rs answer "valid" and hands only invalid values to jsonschema. A
value jsonschema-rs passed but jsonschema would have failed is a finding lost, so these tests compare the
two verdicts over many posts (ASCII and not) against the `postops init` policies and against schemas that
use every keyword a policy may, patterns with `\\b \\w \\d` above all (RE2's are ASCII, Rust's Unicode).
"""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from postops.lint import facts as facts_mod
from postops.lint.policy import _python_policy_validator, policy_validator
from postops.repo.config import Account
from postops.repo.posts import build_post
from postops.repo.schemas import CONFIG_SCHEMA, LIMITS_FILE_SCHEMA, POST_SCHEMA
from postops.repo.validation import Validator
from postops.repo.yamlfile import parse
from postops.scaffold.init import scaffold_files

WORDS = ["our", "report", "idiot", "idiots", "suck it", "stupid", "lol", "wtf", "energy", "2026", "42",
         "café", "naïve", "straße", "日本語", "😀", "ünd", "Ωmega", "ж", "٣", "١٢٣", "x²", "ǅ", "ﬁ", "İstanbul",
         "@exampleorg", "@examplepartner", "@amnesty", "@potus", "@Ünïcode", "#energy", "#été", "#a", "#b", "#c",
         "https://www.example.org/a", "https://elsewhere.example.net/x", "example.com", "http://ex.org/ä",
         "shut up", "don't", "a_b", "a-b", "\u00a0", "\u200b", "\t", "ǆidiot", "éidiot", "idiotè", "1idiot",
         "idiot_", "_lol", "lol1", "Λol", "LOL", "SUCKS", "sucks", "sucked", "9", "٩9"]

EXTRA_SCHEMAS: list[dict[str, Any]] = [
    {"properties": {"facts": {"properties": {"text": {"not": {"pattern": r"\bidiot\b"}}}}}},
    {"properties": {"facts": {"properties": {"text": {"pattern": r"^\w+"}}}}},
    {"properties": {"facts": {"properties": {"text": {"not": {"pattern": r"\d"}}}}}},
    {"properties": {"facts": {"properties": {"text": {"not": {"pattern": r"\W{2}"}}}}}},
    {"properties": {"facts": {"properties": {"raw_text": {"not": {"pattern": r"(?i)\bLOL\b"}}}}}},
    {"properties": {"facts": {"properties": {"text": {"not": {"pattern": r"\s\s"}}}}}},
    {"properties": {"facts": {"properties": {"text": {"not": {"pattern": r"[[:alpha:]]{12}"}}}}}},
    {"properties": {"facts": {"properties": {"words": {"items": {"pattern": r"^[a-z0-9'_-]+$"}}}}}},
    {"properties": {"facts": {"properties": {"words": {"not": {"contains": {"pattern": r"^\d+$"}}}}}}},
    {"properties": {"facts": {"properties": {"hashtags": {"items": {"pattern": r"^\w+$"}}}}}},
    {"properties": {"facts": {"properties": {"words": {"uniqueItems": True}}}}},
    {"properties": {"facts": {"properties": {"words": {"maxItems": 12, "minItems": 2}}}}},
    {"properties": {"text": {"maxLength": 40, "minLength": 3}}},
    {"properties": {"facts": {"properties": {"length": {"properties": {"x": {"maximum": 60}}}}}}},
    {"properties": {"facts": {"properties": {"length": {"properties": {"bluesky": {"exclusiveMinimum": 5}}}}}}},
    {"properties": {"facts": {"properties": {"hour": {"type": "integer", "minimum": 8, "maximum": 20}}}}},
    {"properties": {"facts": {"properties": {"media_count": {"const": 0}, "part": {"enum": [0, 1, True]}}}}},
    {"properties": {"labels": {"contains": {"const": "press"}}}},
    {"if": {"properties": {"account": {"const": "official"}}},
     "then": {"properties": {"facts": {"properties": {"mentions": {"maxItems": 1}}}}},
     "else": {"properties": {"facts": {"properties": {"hashtags": {"maxItems": 1}}}}}},
    {"anyOf": [{"properties": {"facts": {"properties": {"urls": {"maxItems": 0}}}}},
               {"properties": {"facts": {"properties": {"domains": {"items": {"pattern": r"(^|\.)example\.org$"}}}}}}]},
    {"oneOf": [{"properties": {"facts": {"properties": {"hashtags": {"minItems": 1}}}}},
               {"properties": {"facts": {"properties": {"mentions": {"minItems": 1}}}}}]},
    {"dependentRequired": {"media": ["text"]}, "properties": {"facts": {"propertyNames": {"pattern": r"^[a-z_]+$"}}}},
    {"properties": {"facts": {"properties": {"text": {"format": "email"}, "urls": {"items": {"format": "uri"}}}}}},
    {"properties": {"facts": {"properties": {"offensive": {"exclusiveMaximum": 0.5}}}}},
    {"properties": {"facts": {"properties": {"mentions": {"items": {"enum": ["@exampleorg", "@exampleorg_research"]}}}}}},
    {"properties": {"facts": {"properties": {"words": {"contains": {"const": "idiot"}, "maxContains": 1}}}}},
]


def init_rule_schemas() -> list[Any]:
    schemas = []
    files = scaffold_files(datetime(2026, 3, 1, tzinfo=UTC))
    for name in sorted(n for n in files if n.startswith("policies/")):
        doc = parse(files[name].encode(), name)
        schemas += [rule["schema"] for rule in doc.data["rules"] if "schema" in rule]
    assert len(schemas) >= 9
    return schemas


@functools.cache
def sample_posts(count: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    instances = []
    for i in range(count):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))
        if rng.random() < 0.3:
            text = text.upper() if rng.random() < 0.5 else text.title()
        account = rng.choice(["official", "drill"])
        raw = (f"account: {account}\npublish_at: 2026-03-0{rng.randint(1, 9)}T{rng.randint(0, 23):02d}:00:00Z\n"
               f"labels: [{rng.choice(['press', 'research'])}]\ntext: {_quoted(text)}\n").encode()
        post = build_post(parse(raw, f"posts/{account}/p{i}.yaml"), _CONFIG)
        part = post.parts[0]
        facts = facts_mod.part_facts(post, part, _ACCOUNTS[account], account)
        facts.values["offensive"] = rng.random()
        instances.append({**post.doc.data, "facts": facts.values})
    return instances


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


_CONFIG: Any = SimpleNamespace(max_file_bytes=1 << 20, timezone="UTC", accounts={})
_ACCOUNTS = {key: Account(key=key, platform="x", handle=None, approvers=(), approvals=1, credentials=None,
                          timezone="America/New_York") for key in ("official", "drill")}


@pytest.mark.parametrize("schema", init_rule_schemas() + EXTRA_SCHEMAS,
                         ids=lambda s: str(s)[:60])
def test_policy_verdicts_agree_on_a_large_sample(schema: Any) -> None:
    ours = policy_validator(schema)
    python = _python_policy_validator(schema)
    instances = sample_posts(1500)
    fast = [ours.fast_verdict(instance) for instance in instances]
    assert None not in fast                                  # jsonschema-rs answered every one itself
    assert fast == [python.is_valid(instance) for instance in instances]


def test_the_sample_breaks_and_passes_the_rules() -> None:
    """A sample where every verdict is the same would prove nothing: most rules see both answers."""
    instances = sample_posts(1500)
    mixed = 0
    for schema in init_rule_schemas() + EXTRA_SCHEMAS:
        verdicts = {policy_validator(schema).is_valid(i) for i in instances}
        mixed += verdicts == {True, False}
    assert mixed >= 20


def test_patterns_match_as_re2_does_not_as_rust_regex_does() -> None:
    """`\\b` next to a non-ASCII letter is a word boundary for RE2 (ASCII classes), not for Rust's regex:
    the rule must see what RE2 sees."""
    rule = policy_validator({"not": {"pattern": r"\bidiot\b"}})
    assert rule.is_valid("idiotes") and not rule.is_valid("éidiot") and not rule.is_valid("idiot")
    digits = policy_validator({"not": {"pattern": r"\d"}})
    assert digits.is_valid("٣") and not digits.is_valid("3")


def test_postops_own_schemas_agree_with_jsonschema() -> None:
    post = Validator(POST_SCHEMA)
    python = Draft202012Validator(POST_SCHEMA)
    rng = random.Random(3)
    values: list[Any] = [None, "", "x", 1, 1.0, True, [], {}, ["a"], [1], {"a": 1}, "2026-03-01T09:00:00Z",
                         "café", "@CSIS", [{"path": "a.png"}], [{"path": ""}], [{"alt": "x"}], "30m", "1d", "x" * 500]
    keys = [*POST_SCHEMA["properties"], "txt", "accounts"]
    for _ in range(3000):
        instance = {rng.choice(keys): rng.choice(values) for _ in range(rng.randint(0, 5))}
        assert post.fast_verdict(instance) == python.is_valid(instance), instance
    config = Validator(CONFIG_SCHEMA)
    python_config = Draft202012Validator(CONFIG_SCHEMA)
    for _ in range(1000):
        account = {k: rng.choice(values + ["x", "mastodon", "https://m.example", "POSTOPS_A", "@org/team"])
                   for k in rng.sample(["platform", "handle", "approvers", "credentials", "instance", "path"], 3)}
        instance = {"version": 1, "accounts": {rng.choice(["a", "B", "c-d", "é"]): account}}
        assert config.fast_verdict(instance) == python_config.is_valid(instance), instance
    limits = Validator(LIMITS_FILE_SCHEMA)
    python_limits = Draft202012Validator(LIMITS_FILE_SCHEMA)
    for _ in range(1000):
        statuses = {k: rng.choice([1, 0, 500, "500", 1.5, None]) for k in
                    rng.sample(["max_characters", "characters_reserved_per_url", "max_media_attachments", "x"], 2)}
        account = {k: rng.choice(values + ["https://m.example", statuses])
                   for k in rng.sample(["instance", "read_at", "statuses", "media_attachments"], 2)}
        instance = {"version": rng.choice([1, 2, True]), "accounts": {"a": account}}
        assert limits.fast_verdict(instance) == python_limits.is_valid(instance), instance


def test_values_jsonschema_rs_cannot_take_go_to_jsonschema() -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    checked = Validator(schema)
    assert checked.is_valid(["a"]) and not checked.is_valid([object()])
    assert [e.validator for e in checked.iter_errors([1])] == ["type"]


def test_multiple_of_is_left_to_jsonschema() -> None:
    checked = Validator({"multipleOf": 0.01})
    assert checked.fast_verdict(0.07) is None
    assert checked.is_valid(0.07) == Draft202012Validator({"multipleOf": 0.01}).is_valid(0.07)


def test_a_property_named_like_a_keyword_keeps_the_fast_path() -> None:
    """postops' own meta-schema describes `multipleOf` as a property: that is a name, not the keyword."""
    assert Validator({"properties": {"multipleOf": {"type": "number"}}, "enum": [{"multipleOf": 1}]})._fast is not None
    assert Validator({"properties": {"a": {"allOf": [{"multipleOf": 2}]}}})._fast is None


def test_rules_checked_together_hold_exactly_when_each_holds() -> None:
    """lint checks a part's rules as one `allOf` first, and each rule only when that fails."""
    schemas = init_rule_schemas() + EXTRA_SCHEMAS
    rng = random.Random(5)
    for _ in range(40):
        chosen = rng.sample(schemas, rng.randint(2, 6))
        together = policy_validator({"allOf": chosen})
        each = [_python_policy_validator(schema) for schema in chosen]
        for instance in sample_posts(1500)[:400]:
            assert together.fast_verdict(instance) == all(v.is_valid(instance) for v in each)
