"""docs/rules.md, generated from the rule modules: `python -m postops.lint.rules.docs > docs/rules.md`
(or `make docs`). A test fails when the file in the repository is not what this prints."""

from __future__ import annotations

import sys

from postops.lint.rules import ALL_BUILTINS
from postops.lint.rules.base import BuiltinRule, Example

# The order of the sections: the file, each post, its comments, the repository.
_TYPE_ORDER = ("file", "post", "comment", "repository")

_HEADER = """\
<!-- Generated from src/postops/lint/rules/*.py by `make docs`: edit the rule modules, not this file. -->
# Built-in rules

`postops lint` checks every post against the built-in rules below and against your own policies
(see [policies.md](policies.md)). Each rule has a stable id, shown in every finding:

```
posts/official/2026/11/2026-11-24-launch.yaml:2:7: error [text-length] text is 300/280 weighted characters on X (account official)
```

Every example below is checked by the test suite against a repository made by `postops init` (accounts
`official` on X and `drill` on the outbox): a post example is linted alone (`postops lint PATH`), and lint
prints exactly the lines shown.

- [Changing a built-in rule](#changing-a-built-in-rule)
{index}

## Changing a built-in rule

A built-in rule is configured in any policy file under `policies/`, by its id, like a rule of your own,
but without a `schema`:

```yaml
rules:
  - id: text-length
    severity: warning          # error | warning | info | off
  - id: secret-in-text
    applies_to: {{accounts: [official]}}   # only report it for these posts
```

- `severity: off` turns the rule off; `warning` and `info` report without failing lint (unless
  `postops lint --fail-on warning` or `--fail-on info`).
- `applies_to` narrows the rule to the posts it selects (accounts, platforms, labels, paths; see
  [policies.md](policies.md#applies_to-which-posts-a-rule-checks)). Findings about other posts are dropped.
- Each id can be configured once across all policy files. Giving a built-in id a `schema` is refused:
  pick a new id for a rule of your own.
- To silence a rule for one post only, use a comment in that post
  (see [posts.md](posts.md#silencing-a-rule-for-one-post)).
"""


def ordered() -> list[BuiltinRule]:
    """The rules in the order of the page: the order of a lint run."""
    return sorted(ALL_BUILTINS.values(), key=lambda rule: _TYPE_ORDER.index(rule.type))


def render() -> str:
    rules = ordered()
    links = [f"[`{rule.id}`](#{rule.id})" for rule in rules]
    index, line = [], "-"
    for link in links:
        if len(line) + len(link) + 3 > 105:
            index.append(line + " ·")
            line = " "
        line += f" {link}" if line in ("-", " ") else f" · {link}"
    index.append(line)
    return _HEADER.format(index="\n".join(index)) + "".join(_section(rule) for rule in rules)


def _section(rule: BuiltinRule) -> str:
    out = [f"\n## `{rule.id}`\n\n{rule.doc.strip()}\n\nDefault severity: `{rule.severity}`.\n"]
    if rule.options:
        out.append("\nAlso configured by:\n\n")
        out += [f"- `{name}` {text}\n" for name, text in rule.options.items()]
    shown: dict[str, str] = {}
    for example in rule.examples:
        out.append(_example(example, shown))
    return "".join(out)


def _example(example: Example, shown: dict[str, str]) -> str:
    out = []
    for path, text in example.setup.items():
        if isinstance(text, str) and shown.get(path) != text:
            out.append(f"\nWith `{path}`:\n\n```yaml\n{text}```\n")
            shown[path] = text
    if example.published is not None and shown.get(f"published {example.path}") != example.published:
        out.append(f"\nPublished as `{example.path}`:\n\n```yaml\n{example.published}```\n")
        shown[f"published {example.path}"] = example.published
    verdict = "Passes" if example.passes else "Fails"
    note = f": {example.note}" if example.note else ":"
    if example.text is None:
        out.append(f"\n**{verdict}** (`{example.path}`){note}\n")
    else:
        where = f", inserted after the line `{example.insert_after}`" if example.insert_after is not None else ""
        language = "yaml" if example.path.endswith((".yaml", ".yml")) else ""
        out.append(f"\n**{verdict}** (`{example.path}`{where}){note}\n\n```{language}\n{example.text}```\n")
    if example.findings:
        out.append("\n```\n" + "".join(f"{line}\n" for line in example.findings) + "```\n")
    return "".join(out)


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
