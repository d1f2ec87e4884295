"""Strict policies: a rule whose schema would check nothing (a misspelt keyword, a fact or post field that
does not exist, a value of the wrong type for its keyword) is refused when it loads, where it is wrong;
and the meta-schema `postops schema --policy` publishes for editors says the same."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator
from jsonschema_specifications import REGISTRY

from postops.errors import ConfigError
from postops.lint.facts import FACTS, LIMITS, facts_schema, part_facts
from postops.lint.policy_schema import REFUSED, RULE_SCHEMA_DEFS
from postops.lint.tone import TONE_FACTS
from postops.repo.config import load_config
from postops.repo.posts import Post, load_post
from postops.repo.yamlfile import parse
from postops.scaffold.init import scaffold_files

DOCS = Path(__file__).resolve().parents[1] / "docs"


def rule(schema: str, extra: str = "") -> str:
    """A policy file with one rule whose `schema:` is the block `schema` (written from column 1)."""
    return "rules:\n  - id: r\n" + extra + "    schema:\n" + textwrap.indent(textwrap.dedent(schema), "      ")


# (policy, line, column, message): every kind of mistake, at every depth the issue names.
TYPOS = [
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              hashtags: {maxItem: 2}
        """), 7, 24, "unknown keyword 'maxItem' (did you mean 'maxItems'?)", id="misspelt-keyword"),
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              hashtag: {maxItems: 2}
        """), 7, 13, "unknown fact 'hashtag' (did you mean 'hashtags'?)", id="unknown-fact"),
    pytest.param(rule("""\
        properties:
          txt: {pattern: 'suck it'}
        """), 5, 9, "unknown post field 'txt' (did you mean 'text'?)", id="unknown-post-field"),
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              hashtags: {maxItems: "2"}
        """), 7, 34, "maxItems must be a whole number, not a string ('2')", id="count-as-string"),
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              weekday: {not: {enum: saturday}}
        """), 7, 35, "enum must be a list, not a string ('saturday')", id="enum-not-a-list"),
    pytest.param(rule("""\
        properties:
          facts:
            allOf:
              - properties: {hashtags: {maxItems: 2}}
              - properties: {mention: {items: {enum: ["@a"]}}}
        """), 8, 28, "unknown fact 'mention' (did you mean 'mentions'?)", id="fact-in-allOf"),
    pytest.param(rule("""\
        not:
          properties:
            facts:
              anyOf:
                - required: [hashtag]
        """), 8, 28, "unknown fact 'hashtag' (did you mean 'hashtags'?)", id="required-fact-under-not-anyOf"),
    pytest.param(rule("""\
        properties:
          facts:
            oneOf:
              - properties:
                  length:
                    properties: {twiter: {maximum: 200}}
        """), 9, 32, "unknown length key 'twiter'; known: " + ", ".join(LIMITS), id="nested-fact-shape"),
    pytest.param(rule("""\
        properties:
          thread:
            items:
              properties: {txt: {maxLength: 200}}
        """), 7, 26, "unknown thread item key 'txt' (did you mean 'text'?)", id="thread-items"),
    pytest.param(rule("""\
        properties:
          media:
            contains:
              properties: {alt_text: {minLength: 1}}
        """), 7, 26, "unknown media item key 'alt_text'; known: path, alt", id="media-contains"),
    pytest.param(rule("""\
        properties:
          facts:
            dependentRequired: {hour: [minutes]}
        """), 6, 38, "unknown fact 'minutes' (did you mean 'minute'?)", id="dependentRequired"),
    pytest.param(rule("""\
        properties:
          facts:
            hashtags: {maxItems: 2}
        """), 6, 11, "'hashtags' is a fact, not a keyword: put it under `properties:`", id="fact-as-keyword"),
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              words: {type: arary}
        """), 7, 27, "unknown type 'arary' (did you mean 'array'?)", id="type-name"),
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              language: {type: [string, nul]}
        """), 7, 39, "unknown type 'nul' (did you mean 'null'?)", id="type-list"),
    pytest.param(rule("""\
        properties:
          text: {frobnicate: 1}
        """), 5, 16, "unknown keyword 'frobnicate' (not a JSON Schema keyword)", id="not-a-keyword"),
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              hashtags: {items: {maxLength: 2.5}}
        """), 7, 43, "maxLength must be a whole number, not a number (2.5)", id="count-as-fraction"),
    pytest.param(rule("""\
        properties:
          facts:
            properties:
              hashtag: {maxItems: 2}
        """, extra="    severity: 'off'\n"), 8, 13, "unknown fact 'hashtag' (did you mean 'hashtags'?)",
        id="even-when-off"),
]


@pytest.mark.parametrize(("policy", "line", "column", "message"), TYPOS)
def test_a_rule_that_would_check_nothing_is_refused_where_it_is_wrong(repo, policy, line, column, message):
    repo.write("policies/p.yaml", policy)
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello #a #b #c\n")
    with pytest.raises(ConfigError) as refused:
        repo.lint()
    assert (refused.value.path, refused.value.line, refused.value.column, refused.value.message) == \
        ("policies/p.yaml", line, column, message)
    assert refused.value.exit_code == 2


def test_the_command_line_refuses_it_with_exit_2(repo):
    repo.write("policies/p.yaml", TYPOS[0].values[0])
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello #a #b #c\n")
    done = subprocess.run([sys.executable, "-m", "postops", "lint"], cwd=repo.root, capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("postops: policies/p.yaml:7:24: unknown keyword 'maxItem' (did you mean "
                                  "'maxItems'?)")


# Every shape the documentation describes, written correctly: each loads.
CORRECT = [
    "properties: {facts: {properties: {text: {not: {pattern: '\\bsuck it\\b'}}}}}",
    "properties: {facts: {properties: {mentions: {items: {enum: ['@a', '@b']}}}}}",
    "properties: {facts: {properties: {mentions: {not: {contains: {enum: ['@a']}}}}}}",
    "properties: {facts: {properties: {hashtags: {maxItems: 2, uniqueItems: true}}}}",
    "properties: {facts: {properties: {domains: {items: {pattern: '(^|\\.)example\\.org$'}}}}}",
    "properties: {facts: {properties: {local_time: {pattern: '^(0[7-9]|1[0-9]|2[01]):'}}}}",
    "properties: {facts: {properties: {weekday: {not: {enum: [saturday, sunday]}}}}}",
    "properties: {facts: {properties: {hour: {type: integer, minimum: 7, maximum: 21}}, required: [hour]}}",
    "properties: {facts: {properties: {media_missing_alt: {maxItems: 0}, media_count: {maximum: 4}}}}",
    "properties: {facts: {properties: {length: {properties: {x: {maximum: 200}, bluesky: {maximum: 250}}}}}}",
    "properties: {facts: {properties: {offensive: {exclusiveMaximum: 0.5}, sentiment: {minimum: -0.5}}}}",
    # loads lingua's model (7 s, 0.9 GB): in the worker that has it loaded for the other language tests
    pytest.param("properties: {facts: {properties: {language: {enum: [en, es, null]}}}}",
                 marks=pytest.mark.xdist_group("language")),
    "properties: {facts: {allOf: [{properties: {words: {not: {contains: {const: foo}}}}}]}}",
    "properties: {facts: {if: {properties: {platform: {const: x}}}, then: {properties: {hashtags: {maxItems: 1}}}}}",
    "properties: {facts: {dependentRequired: {hour: [minute]}, dependentSchemas: {hour: {required: [date]}}}}",
    "properties: {account: {anyOf: [{const: official}, {type: array, contains: {const: official}}]}}",
    "properties: {labels: {items: {enum: [research, press, event]}}}",
    "properties: {thread: {maxItems: 3, items: {properties: {text: {maxLength: 200}, media: {maxItems: 1}}}}}",
    "properties: {media: {items: {required: [alt], properties: {alt: {minLength: 10}}}}}",
    "properties: {thread: {prefixItems: [{properties: {text: {pattern: '^1/'}}}]}}",
    "properties: {account: {properties: {anything: {}}}}",  # account is not an object: no names to check
    "{required: [publish_at], not: {required: [reply_to]}, title: t, description: d, $comment: c}",
    "{$defs: {banned: &banned {enum: [foo, bar]}}, properties: {facts: {properties: {words: {not: {contains: *banned}}}}}}",
    "{properties: {text: {type: [string, 'null'], format: email, examples: [a], default: b}}}",
    "true",
    "false",
]


@pytest.mark.parametrize("schema", CORRECT)
def test_a_correct_rule_of_every_documented_shape_loads(repo, schema):
    schema = schema if schema.startswith("{") or schema in ("true", "false") else "{" + schema + "}"
    repo.write("policies/p.yaml", f"rules:\n  - id: r\n    severity: warning\n    schema: {schema}\n")
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello\n")
    repo.lint()  # raises ConfigError if refused


# The meta-schema as an editor gets it ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def published() -> Draft202012Validator:
    done = subprocess.run([sys.executable, "-m", "postops", "schema", "--policy"], capture_output=True, text=True,
                          check=True)
    schema = json.loads(done.stdout)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def example_policies() -> list[tuple[str, str]]:
    """Every policy postops ships or documents: the files `postops init` writes, and every block in the
    docs that is a policy file or a piece of one."""
    now = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    found = [(rel, text) for rel, text in scaffold_files(now).items() if rel.startswith("policies/")]
    for name in ("policies.md", "rules.md", "tone.md", "configuration.md", "posts.md"):
        path = DOCS / name
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for start, block in _yaml_blocks(lines):
            refused = start >= 2 and "refused" in lines[start - 2]
            if refused:
                continue
            if block.startswith("rules:"):
                found.append((f"{name}:{start}", block))
            elif block.lstrip().startswith("- id:"):
                found.append((f"{name}:{start}", "rules:\n" + textwrap.indent(textwrap.dedent(block), "  ")))
    return found


def _yaml_blocks(lines: list[str]) -> list[tuple[int, str]]:
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```yaml":
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            blocks.append((i + 1, "\n".join(lines[i + 1:end]) + "\n"))
            i = end
        i += 1
    return blocks


EXAMPLES = example_policies()


def test_the_examples_are_found():
    names = {name.split(":")[0] for name, _ in EXAMPLES}
    assert {"policies/tone.yaml", "policies/mentions.yaml", "policies/tone-models.yaml", "policies.md"} <= names
    assert len([n for n in names if n.startswith("policies/")]) == 8


@pytest.mark.parametrize(("name", "text"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_the_published_meta_schema_accepts_every_example_policy(published, name, text):
    data = parse(text.encode(), name).data
    assert list(published.iter_errors(data)) == [], name


@pytest.mark.parametrize(("policy", "line", "column", "message"), TYPOS)
def test_the_published_meta_schema_rejects_every_typo(published, policy, line, column, message):
    assert not published.is_valid(parse(policy.encode(), "p.yaml").data)


def test_the_published_meta_schema_rejects_what_lint_refuses_outright(published):
    for schema in ("{$ref: '#'}", "{patternProperties: {a: {}}}", "{properties: {facts: {$id: x}}}"):
        assert not published.is_valid(parse(rule(schema).encode(), "p.yaml").data), schema


def test_postops_schema_without_policy_still_prints_the_post_schema(repo):
    from postops.repo.schemas import POST_SCHEMA

    done = subprocess.run([sys.executable, "-m", "postops", "schema"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == POST_SCHEMA


# One source of truth ------------------------------------------------------------------------------------------

def test_the_keywords_are_json_schema_2020_12s_less_the_refused_ones():
    official = set()
    for uri in REGISTRY:
        if uri.startswith("https://json-schema.org/draft/2020-12/"):
            official |= set(REGISTRY.contents(uri).get("properties", {}))
    known = set(RULE_SCHEMA_DEFS["schema"]["properties"])
    assert known | set(REFUSED) == official
    assert not known & set(REFUSED)


def test_the_facts_a_policy_may_name_are_the_facts_lint_computes(repo):
    repo.write("posts/csis/a.yaml", "account: csis\npublish_at: 2026-11-24T09:00:00-05:00\nlabels: [x]\n"
                                    "text: Hi @a #b https://example.org\nmedia: [{path: media/a.png}]\n")
    config = load_config(repo.root)
    post = load_post(repo.root, "posts/csis/a.yaml", config)
    assert isinstance(post, Post)
    computed = part_facts(post, post.parts[0], config.accounts["csis"], "csis").values
    assert set(computed) | TONE_FACTS == set(FACTS)
    Draft202012Validator(facts_schema()).validate(computed)
    assert set(RULE_SCHEMA_DEFS["post.facts"]["properties"]["properties"]["properties"]) == set(FACTS)


def test_the_facts_documented_are_the_facts_there_are():
    text = (DOCS / "policies.md").read_text(encoding="utf-8")
    table = text[text.index("| fact | type |"):]
    table = table[:table.index("\n\n")]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE)
    assert documented == list(FACTS)
