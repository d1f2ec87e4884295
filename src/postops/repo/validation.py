"""JSON Schema 2020-12 validation: the verdict from jsonschema-rs (compiled), the errors from jsonschema.

Almost every value postops validates is valid: a post, its facts against each policy rule, postops.yaml. For
those, jsonschema-rs answers "valid" in well under a microsecond per rule, where jsonschema's interpreter
takes about 16 µs (docs/architecture.md). Only an invalid value is handed to jsonschema, whose errors carry
the paths, keywords and values that postops turns into located findings; jsonschema is not even imported
in a process that never meets an invalid value.

The two libraries must agree on every verdict, and where they could differ the fast answer is not used:
- `pattern` is matched in both by the same engine, given by the caller (RE2 for policies, Python's `re` for
  postops' own schemas), through a jsonschema-rs custom keyword that replaces its Rust regex crate, whose
  `\\b \\w \\d` are Unicode-aware where RE2's are ASCII;
- a schema with `multipleOf` (floating-point division done differently) is checked by jsonschema alone;
- a value jsonschema-rs cannot take (or that raises in it) goes to jsonschema.
tests/test_validation.py compares the two verdicts on a large sample, non-ASCII text included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs

Search = Callable[[str, str], bool]   # (pattern, text) -> whether the pattern matches somewhere in text

# Keywords whose jsonschema-rs answer can differ from jsonschema's: a schema using one is checked by jsonschema.
_UNSAFE = frozenset({"multipleOf"})


def python_search(pattern: str, text: str) -> bool:
    """Python's `re`, as jsonschema matches `pattern` by default."""
    return re.search(pattern, text) is not None


class Validator:
    """`is_valid` and `iter_errors` of one schema. `python` makes jsonschema's validator (imported only when
    an error must be described); `search` is the pattern engine that validator uses."""

    def __init__(self, schema: Any, python: Callable[[Any], Any] | None = None,
                 search: Search = python_search) -> None:
        self.schema = schema
        self._python_factory = python or _draft202012
        self._python: Any = None
        self._fast = _compile(schema, search)

    @property
    def python(self) -> Any:
        """jsonschema's validator of the same schema, made on first use."""
        if self._python is None:
            self._python = self._python_factory(self.schema)
        return self._python

    def is_valid(self, instance: Any) -> bool:
        verdict = self.fast_verdict(instance)
        return verdict if verdict is not None else bool(self.python.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        """jsonschema's ValidationErrors, none when jsonschema-rs finds the instance valid."""
        if self.fast_verdict(instance):
            return iter(())
        return iter(self.python.iter_errors(instance))

    def fast_verdict(self, instance: Any) -> bool | None:
        """jsonschema-rs's verdict; None where it cannot give one (the schema or the value is jsonschema's)."""
        if self._fast is None:
            return None
        try:
            return bool(self._fast.is_valid(instance))
        except Exception:  # noqa: BLE001 - any value it cannot take (its errors have no common type) is jsonschema's
            return None


def _draft202012(schema: Any) -> Any:
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - only to describe an invalid value

    return Draft202012Validator(schema)


def _compile(schema: Any, search: Search) -> Any:
    if _uses(schema, _UNSAFE):
        return None

    class Pattern:
        """`pattern` through the caller's engine, as jsonschema's validator matches it."""

        def __init__(self, parent: Any, value: Any, path: Any) -> None:
            self.pattern = value

        def validate(self, instance: Any) -> None:
            if isinstance(instance, str) and not search(self.pattern, instance):
                raise ValueError(f"{instance!r} does not match {self.pattern!r}")

    try:
        return jsonschema_rs.Draft202012Validator(schema, keywords={"pattern": Pattern}, validate_formats=False)
    except Exception:  # noqa: BLE001 - a schema it refuses is still jsonschema's to check
        return None


# Where a schema's keys are names, not keywords (their values are schemas), and where values are data.
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})
_DATA = frozenset({"enum", "const", "examples", "default"})


def _uses(schema: Any, keywords: frozenset[str]) -> bool:
    """Whether `schema` or any of its subschemas uses one of `keywords`."""
    if isinstance(schema, list):
        return any(_uses(sub, keywords) for sub in schema)
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if key in keywords:
            return True
        if key in _DATA:
            continue
        subschemas = value.values() if key in _NAMED_SCHEMAS and isinstance(value, dict) else (value,)
        if any(_uses(sub, keywords) for sub in subschemas):
            return True
    return False
