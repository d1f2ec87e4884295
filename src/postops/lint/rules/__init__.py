"""Built-in rules: what every post must satisfy, whatever the organisation's policies say.

Each rule is a module of this package (see base.py for what a rule module declares); this registry lists
them. Policy files can change a built-in rule's severity or narrow it with `applies_to`, like any rule.
docs/rules.md is generated from the modules: `python -m postops.lint.rules.docs > docs/rules.md`.
"""

from __future__ import annotations

from postops.lint.rules import (
    account_folder,
    codeowners,
    duplicate_id,
    lint_cache,
    media,
    parse,
    poll,
    post_schema,
    publish_at,
    publish_at_past,
    published_edit,
    quote,
    references,
    reply_target,
    repost,
    retracted_id,
    secret_in_text,
    suppression,
    text_bounds,
    text_comment,
    text_length,
    unknown_account,
    workflow_secrets,
)
from postops.lint.rules.base import BuiltinRule, Check, Context, Example, Hit

__all__ = ["ALL_BUILTINS", "BUILTIN_RULES", "CODEOWNERS_RULE", "PARSE_RULE", "REPOSITORY_RULES",
           "SUPPRESSION_RULE", "WORKFLOW_SECRETS_RULE", "BuiltinRule", "Check", "Context", "Example", "Hit",
           "default_severities"]

# Every built-in rule, by id. The order is the order of the rules in lint's JSON and SARIF output.
ALL_BUILTINS: dict[str, BuiltinRule] = {rule.id: rule for rule in (
    post_schema.RULE,
    publish_at.RULE,
    publish_at_past.RULE,
    unknown_account.RULE,
    account_folder.RULE,
    duplicate_id.RULE,
    text_length.RULE,
    text_bounds.RULE,
    media.RULE,
    secret_in_text.RULE,
    reply_target.RULE,
    text_comment.RULE,
    published_edit.RULE,
    retracted_id.RULE,
    repost.RULE,
    quote.RULE,
    poll.RULE,
    parse.RULE,
    suppression.RULE,
    codeowners.RULE,
    workflow_secrets.RULE,
    references.RULE,
    lint_cache.RULE,
)}

# The rules checked on each parsed post, and those checked on the repository as a whole.
BUILTIN_RULES: dict[str, BuiltinRule] = {k: r for k, r in ALL_BUILTINS.items() if r.type == "post"}
REPOSITORY_RULES: dict[str, BuiltinRule] = {k: r for k, r in ALL_BUILTINS.items() if r.type == "repository"}
# Rules the engine reports itself, by name.
PARSE_RULE = parse.RULE
SUPPRESSION_RULE = suppression.RULE
CODEOWNERS_RULE = codeowners.RULE
WORKFLOW_SECRETS_RULE = workflow_secrets.RULE


def default_severities() -> dict[str, str]:
    return {rule.id: rule.severity for rule in ALL_BUILTINS.values()}
