"""Policy files → compiled rules.

A policy rule is data: a JSON Schema (draft 2020-12) over the post as written plus its derived facts,
with an id, a severity, a message and a selector. No policy can run code in CI: schemas may not refer
to anything outside themselves, and every regular expression is matched by RE2, in time linear in the
text, so neither a crafted policy nor a crafted post can hang lint.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import re2

from postops.errors import ConfigError
from postops.lint.policy_schema import (
    POLICY_SCHEMA,
    REFUSED,
    RULE_META_SCHEMA,
    SUBSCHEMA_KEYWORDS,
    SUBSCHEMA_LIST_KEYWORDS,
    SUBSCHEMA_MAP_KEYWORDS,
)
from postops.repo.config import Account
from postops.repo.media import symlink_on_path
from postops.repo.posts import Post
from postops.repo.schemas import explain, field_name
from postops.repo.validation import Validator
from postops.repo.yamlfile import Document, Mark, YamlProblem, parse, read_capped

if TYPE_CHECKING:
    from jsonschema import ValidationError

POLICIES_DIR = "policies"
# Written by `postops init` (as `postops schema --policy` prints it): editors check policy files against it.
POLICY_SCHEMA_FILE = ".postops-policy-schema.json"

_POLICY_VALIDATOR = Validator(POLICY_SCHEMA)
_RULE_SCHEMA_VALIDATOR = Validator(RULE_META_SCHEMA)


# --- RE2 in place of Python's backtracking `re` for every pattern a policy can contain ---------------

_RE2_CACHE: dict[str, Any] = {}
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.max_mem = 32 << 20
_RE2_OPTIONS.log_errors = False  # a bad pattern is reported as a located ConfigError, not logged by RE2


def compile_pattern(pattern: str) -> Any:
    compiled = _RE2_CACHE.get(pattern)
    if compiled is None:
        compiled = _RE2_CACHE[pattern] = re2.compile(pattern, options=_RE2_OPTIONS)
    return compiled


def re2_search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None


def _re2_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema import ValidationError  # noqa: PLC0415 - jsonschema is loaded only to describe a violation

    if validator.is_type(instance, "string") and not re2_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_PYTHON_CLASS: Any = None


def _python_policy_validator(schema: Any) -> Any:
    """jsonschema's Draft 2020-12 validator with RE2 for `pattern`: what describes a rule's violations."""
    global _PYTHON_CLASS
    if _PYTHON_CLASS is None:
        from jsonschema import Draft202012Validator  # noqa: PLC0415 - see above
        from jsonschema.validators import extend  # noqa: PLC0415 - see above

        _PYTHON_CLASS = extend(Draft202012Validator, {"pattern": _re2_pattern})
    return _PYTHON_CLASS(schema)


def policy_validator(schema: Any) -> Validator:
    """A rule's schema, checked with RE2 for `pattern` by jsonschema-rs, and by jsonschema for the details."""
    return Validator(schema, python=_python_policy_validator, search=re2_search)


# --- Values -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Selector:
    accounts: tuple[str, ...] | None = None
    platforms: tuple[str, ...] | None = None
    labels: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None

    def matches(self, post: Post, account_key: str, account: Account | None) -> bool:
        if self.accounts is not None and account_key not in self.accounts:
            return False
        if self.platforms is not None and (account is None or account.platform not in self.platforms):
            return False
        if self.labels is not None and not set(self.labels) & set(post.labels):
            return False
        return self.paths is None or any(fnmatch.fnmatchcase(post.path, p) for p in self.paths)


ALL = Selector()


@dataclass(frozen=True)
class RuleSettings:
    """Where a built-in rule's severity or selector was changed by a policy file."""

    id: str
    severity: str
    selector: Selector = ALL


@dataclass(frozen=True)
class Violation:
    path: tuple[Any, ...]        # inside the instance (the post plus `facts`)
    match: str | None            # the text the rule objected to, when there is one
    value: Any

    @property
    def item_path(self) -> tuple[Any, ...]:
        """The path, down to the first list item the rule objected to when it objected to a list."""
        item = _first_item(self.keyword, self.keyword_value, self.value)
        return self.path + (item,) if item is not None else self.path

    keyword: str = ""
    keyword_value: Any = None


@dataclass
class PolicyRule:
    id: str
    severity: str
    message: str
    description: str
    selector: Selector
    validator: Any = field(repr=False)
    source: str = ""
    line: int = 1
    facts: frozenset[str] = frozenset()

    def violations(self, instance: dict[str, Any]) -> list[Violation]:
        return [Violation(tuple(e.absolute_path), describe_match(e), e.instance, e.validator, e.validator_value)
                for e in self.validator.iter_errors(instance)]

    def render(self, violation: Violation, account: str, post: str, part: int, text: str = "") -> str:
        """The rule's message with its placeholders filled. Plain substitution: a message is data, not a format."""
        limit = violation.keyword_value if violation.keyword in _LIMIT_KEYWORDS else None
        fields = {"match": violation.match if violation.match is not None else _short(violation.value),
                  "value": _short(violation.value), "account": account, "post": post, "part": str(part + 1),
                  "limit": _short(limit) if limit is not None else "", "text": _short(text.replace("\n", " "))}
        return _PLACEHOLDER.sub(lambda m: fields[m.group(1)], self.message)


_PLACEHOLDER = re.compile(r"\{(match|value|account|post|part|limit|text)\}")
_LIMIT_KEYWORDS = frozenset({"maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxItems", "minItems",
                             "maxLength", "minLength", "const"})


@dataclass
class Policies:
    rules: list[PolicyRule]
    builtin: dict[str, RuleSettings]
    files: list[str]
    # the rules that apply together to a part, as one schema: by the ids of this object's own rules
    _together: dict[tuple[int, ...], Validator] = field(default_factory=dict, repr=False, compare=False)

    def all_hold(self, rules: list[PolicyRule], instance: dict[str, Any]) -> bool:
        """Whether every one of `rules` (some of this object's) surely holds for `instance`, in one pass of the
        compiled validator: converting the instance once, not once per rule, is most of what checking a valid
        post costs. False means "check each rule", not that one fails."""
        key = tuple(id(rule) for rule in rules)
        together = self._together.get(key)
        if together is None:
            together = self._together[key] = policy_validator({"allOf": [r.validator.schema for r in rules]})
        return together.fast_verdict(instance) is True

    @property
    def facts(self) -> frozenset[str]:
        """Every fact some active rule refers to."""
        return frozenset().union(*(r.facts for r in self.rules)) if self.rules else frozenset()

    @functools.cached_property
    def reads_words(self) -> bool:
        """Whether some active rule may read `facts.words`, the dearest fact to compute: by name, through
        keywords about facts it does not name ("*"), or anywhere in its schema as text (an `enum` of whole
        fact objects, say)."""
        return bool({"words", "*"} & self.facts) or any('"words"' in json.dumps(r.validator.schema) for r in self.rules)


# --- Loading ----------------------------------------------------------------------------------------

def load_policies(root: Path, builtin_severity: Mapping[str, str]) -> Policies:
    """Every policies/*.yaml, compiled. Raises ConfigError, located, for anything wrong in them."""
    folder = root / POLICIES_DIR
    files = sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml")) if folder.is_dir() else []
    rules: list[PolicyRule] = []
    builtin = {rule_id: RuleSettings(rule_id, severity) for rule_id, severity in builtin_severity.items()}
    seen: dict[str, str] = {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        link = symlink_on_path(root, rel)
        if link is not None:  # its rules would come from a file the policy owners never review
            raise ConfigError(f"{link} is a symbolic link: a policy must be a file in the repository, reviewed "
                              "as it is", rel, 1, 1)
        try:
            doc = parse(read_capped(path, rel), rel)
        except OSError as exc:   # a folder or a named pipe named like a policy
            raise ConfigError(f"cannot read {rel}: {exc.strerror}", rel, 1, 1) from None
        except YamlProblem as exc:
            raise ConfigError(exc.message, rel, exc.line, exc.column) from None
        for error in _POLICY_VALIDATOR.iter_errors(doc.data):
            mark, message = explain(error, doc)[0]
            raise ConfigError(message, rel, mark.line, mark.column)
        for index, spec in enumerate(doc.data["rules"]):
            where = ("rules", index)
            rule_id = spec["id"]
            if rule_id in seen:
                mark = doc.value_mark(where + ("id",))
                raise ConfigError(f"rule id '{rule_id}' is already defined in {seen[rule_id]}", rel,
                                  mark.line, mark.column)
            seen[rule_id] = rel
            selector = _selector(spec.get("applies_to"))
            if rule_id in builtin:
                if "schema" in spec:
                    mark = doc.key_mark(where + ("schema",))
                    raise ConfigError(f"'{rule_id}' is a built-in rule: it can be configured (severity, "
                                      "applies_to) but not given a schema; pick another id", rel,
                                      mark.line, mark.column)
                builtin[rule_id] = RuleSettings(rule_id, spec.get("severity", builtin[rule_id].severity),
                                                selector)
                continue
            if "schema" not in spec:
                mark = doc.value_mark(where)
                raise ConfigError(f"rule '{rule_id}' has no schema (and is not a built-in rule)", rel,
                                  mark.line, mark.column)
            schema = spec["schema"]
            # Checked even when off: switching a rule on must not be what reveals that it checks nothing.
            _check_schema(schema, doc, where + ("schema",))
            severity = spec.get("severity", "error")
            if severity == "off":
                continue
            rules.append(PolicyRule(
                id=rule_id,
                severity=severity,
                message=spec.get("message") or spec.get("description") or f"breaks policy {rule_id}",
                description=spec.get("description") or spec.get("message") or rule_id,
                selector=selector,
                validator=policy_validator(schema),
                source=rel,
                line=doc.value_mark(where).line,
                facts=frozenset(_facts_used(schema)),
            ))
    return Policies(rules, builtin, [p.relative_to(root).as_posix() for p in files])


def _selector(spec: dict[str, list[str]] | None) -> Selector:
    if not spec:
        return ALL
    return Selector(**{k: tuple(v) for k, v in spec.items()})


def _check_schema(schema: Any, doc: Document, where: tuple[Any, ...]) -> None:
    """Refuse a rule's schema that would not check what it says: raises ConfigError at the first mistake."""
    def fail(message: str, path: tuple[Any, ...]) -> ConfigError:
        mark = doc.value_mark(where + path)
        return ConfigError(message, doc.path, mark.line, mark.column)

    keywords = list(_keywords(schema, ()))
    for path, key, _ in keywords:
        if key in REFUSED:
            raise fail(f"{key} is not supported in policies: {REFUSED[key]}", path)
    problems = [_problem(error, doc, where) for error in _RULE_SCHEMA_VALIDATOR.iter_errors(schema)]
    if problems:
        mark, message = min(problems, key=lambda p: (p[0].line, p[0].column))
        raise ConfigError(message, doc.path, mark.line, mark.column)
    if not jsonschema_rs.meta.is_valid(schema):
        from jsonschema import Draft202012Validator  # noqa: PLC0415 - only to describe what is wrong
        from jsonschema.exceptions import SchemaError  # noqa: PLC0415 - same

        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise fail(f"invalid JSON Schema: {exc.message}", tuple(exc.path)) from None
    for path, key, value in keywords:
        if key == "pattern" and isinstance(value, str):
            try:
                compile_pattern(value)
            except Exception as exc:  # noqa: BLE001 - RE2's error type is private (re2._re2.Error)
                why = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
                raise fail(f"pattern {value!r} cannot be matched in linear time ({why}); backreferences and "
                           "lookaround are not supported, so that no policy can hang lint", path) from None


def _keywords(schema: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str, Any]]:
    """(path, keyword, value) of every keyword in `schema` and its subschemas: property names and data
    (`enum`, `const`, ...) are not keywords, whatever they are called."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        here = path + (key,)
        yield here, key, value
        if key in SUBSCHEMA_KEYWORDS:
            yield from _keywords(value, here)
        elif key in SUBSCHEMA_LIST_KEYWORDS and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _keywords(sub, here + (i,))
        elif key in SUBSCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            for name, sub in value.items():
                yield from _keywords(sub, here + (name,))


def _problem(error: ValidationError, doc: Document, where: tuple[Any, ...]) -> tuple[Mark, str]:
    """Where a rule's schema breaks the meta-schema, and what to do about it, in a policy author's words."""
    path = tuple(error.absolute_path)
    # Name a value by its keyword and any list index after it (`maxItems`, `allOf[1]`), not by its whole path.
    named = next((i for i in range(len(path) - 1, -1, -1) if isinstance(path[i], str)), 0)
    what = field_name(path[named:]) if path else "schema"
    meta = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(meta.get("properties", {}))
        key = next(k for k in error.instance if k not in known)
        mark = doc.key_mark(where + path + (key,))
        if "allOf" in known:  # the keywords of a schema
            names = list(meta["properties"]["properties"].get("properties", {}))
            if key in names:
                noun = meta["properties"]["properties"]["title"]
                return mark, f"'{key}' is a {noun}, not a keyword: put it under `properties:`"
            return mark, f"unknown keyword '{key}'{_suggest(key, known) or ' (not a JSON Schema keyword)'}"
        noun = meta.get("title", "key")
        return mark, f"unknown {noun} '{key}'{_suggest(key, known) or '; known: ' + ', '.join(known)}"
    mark = doc.value_mark(where + path)
    if error.validator == "enum" and "title" in meta and isinstance(error.instance, str):
        known = [str(v) for v in error.validator_value]
        return mark, f"unknown {meta['title']} '{error.instance}'{_suggest(error.instance, known) or '; known: ' + ', '.join(known)}"
    if error.validator == "oneOf" and error.context:
        # `type` is a name or a list of names: explain the branch that fits what was written.
        sub = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
        return _problem(sub, doc, where)
    if error.validator == "type":
        # "must be a whole number, not a string", said of the keyword, with the value that was written.
        must = explain(error, doc)[0][1].removeprefix(field_name(path))
        return mark, what + must + (f" ({error.instance!r})" if isinstance(error.instance, (str, int, float)) else "")
    return mark, f"{what}: {error.message}"


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), key, value
            if key not in ("enum", "const", "examples", "default"):
                yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,))


def _facts_used(schema: Any) -> set[str]:
    """Names of the facts a schema looks at: property names anywhere under a `facts` property, also inside
    allOf, anyOf, not and the like; "*" when it looks at facts it does not name."""
    used: set[str] = set()
    for path, key, value in _walk(schema, ()):
        if key == "facts" and len(path) >= 2 and path[-2] == "properties" and isinstance(value, dict):
            for _, inner_key, inner in _walk(value, ()):
                if inner_key == "properties" and isinstance(inner, dict):
                    used.update(inner)
                elif inner_key == "required" and isinstance(inner, list):
                    used.update(str(name) for name in inner)
                elif inner_key in ("dependentRequired", "additionalProperties", "propertyNames",
                                   "unevaluatedProperties", "minProperties", "maxProperties"):
                    used.add("*")
    return used


# --- What matched -------------------------------------------------------------------------------------

def describe_match(error: ValidationError) -> str | None:
    """The part of the instance a failing keyword objected to, for `{match}` and for locating findings."""
    instance, keyword, value = error.instance, error.validator, error.validator_value
    if keyword == "not":
        found = _matching(value, instance)
        return found if found is not None else _short(instance)
    if keyword in ("enum", "const", "pattern", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum",
                   "maxLength", "minLength", "type", "format"):
        return _short(instance)
    if keyword == "maxItems" and isinstance(instance, list):
        return ", ".join(_short(i) for i in instance)
    if keyword == "uniqueItems" and isinstance(instance, list):
        first = _first_duplicate(instance)
        return _short(instance[first]) if first is not None else None
    return None


def _first_duplicate(items: list[Any]) -> int | None:
    """Index of the first item equal to an earlier one, in linear time (a 1 MiB post has many words)."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in seen:
            return i
        seen.add(key)
    return None


def _first_item(keyword: str, value: Any, instance: Any) -> int | None:
    if not isinstance(instance, list) or not instance:
        return None
    if keyword == "maxItems" and isinstance(value, int) and value < len(instance):
        return value
    if keyword == "uniqueItems":
        return _first_duplicate(instance)
    if keyword == "not" and isinstance(value, dict) and "contains" in value:
        inner = policy_validator(value["contains"])
        return next((i for i, x in enumerate(instance) if inner.is_valid(x)), None)
    return None


def _matching(schema: Any, instance: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    if "pattern" in schema and isinstance(instance, str):
        found = compile_pattern(schema["pattern"]).search(instance)
        if found:
            return str(found.group(0))
    if "contains" in schema and isinstance(instance, list):
        inner = policy_validator(schema["contains"])
        hits = [item for item in instance if inner.is_valid(item)]
        if hits:
            return ", ".join(_short(h) for h in hits)
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(keyword, ()):
            if policy_validator(branch).is_valid(instance):
                found = _matching(branch, instance)
                if found is not None:
                    return found
    if "properties" in schema and isinstance(instance, dict):
        for key, sub in schema["properties"].items():
            if key in instance:
                found = _matching(sub, instance[key])
                if found is not None:
                    return found
    if ("enum" in schema or "const" in schema) and not isinstance(instance, (dict, list)):
        return _short(instance)
    return None


def _short(value: Any, limit: int = 80) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, (int, float)) else str(value)
    if isinstance(value, list):
        text = ", ".join(_short(v) for v in value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
