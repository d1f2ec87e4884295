"""The meta-schema of a policy file: what `postops schema --policy` publishes for editors, and what every
policy is checked against when it loads.

A rule's schema that misspells a keyword (`maxItem`), names a fact or a post field that does not exist
(`hashtag`), or gives a keyword a value of the wrong type (`maxItems: "2"`) is valid JSON Schema that checks
nothing: the rule passes every post. So the meta-schema knows the JSON Schema 2020-12 keywords and the type
of each one's value, and, where postops knows the shape of the value a schema is about (the post, its
`facts`, `facts.length`, a media item, a thread part), the names that may appear under `properties` and
`required` there. Those names are derived from the post format (POST_SCHEMA) and the facts (FACTS), never
listed here again.
"""

from __future__ import annotations

from typing import Any

from postops.lint.facts import facts_schema
from postops.repo.schemas import POST_SCHEMA

META_ID = "https://postops.dev/schema/policy.json"
SEVERITIES = ("error", "warning", "info", "off")
TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
GENERIC = "schema"  # the def for a schema about a value whose shape postops does not know

_REFERENCE = ("a reference can point outside the rule, at nothing, or back at itself: write the schema out "
              "in the rule (YAML anchors can share a piece between rules)")
# JSON Schema 2020-12 keywords a policy may not use, and why. Every other keyword of the draft is known.
REFUSED: dict[str, str] = {
    **{key: _REFERENCE for key in ("$ref", "$dynamicRef", "$recursiveRef", "$id", "$anchor", "$dynamicAnchor",
                                   "$recursiveAnchor")},
    "patternProperties": "use propertyNames with a pattern",
    "$schema": "policies are always JSON Schema 2020-12; leave it out",
    "$vocabulary": "policies are always JSON Schema 2020-12; leave it out",
    "definitions": "use $defs",
    "dependencies": "use dependentRequired or dependentSchemas",
}

# Keywords whose value is one subschema, a list of them, or a mapping of names to them; the rest hold data.
SUBSCHEMA_KEYWORDS = frozenset({"not", "if", "then", "else", "items", "contains", "additionalProperties",
                                "unevaluatedProperties", "unevaluatedItems", "propertyNames", "contentSchema"})
SUBSCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SUBSCHEMA_MAP_KEYWORDS = frozenset({"properties", "dependentSchemas", "$defs", "patternProperties"})


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _described(target: dict[str, Any], description: Any) -> dict[str, Any]:
    return {**target, "description": description} if isinstance(description, str) else target


class _Builder:
    """One def per shape of value: `post`, `post.facts`, ... and GENERIC for values of unknown shape."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}
        self._names: dict[int, str] = {}   # id of an instance schema -> its def, so shared shapes share a def

    def shape(self, name: str, instance: Any, noun: str) -> str:
        if not isinstance(instance, dict):
            return GENERIC
        if id(instance) in self._names:
            return self._names[id(instance)]
        props = instance.get("properties")
        items = instance.get("items")
        if isinstance(props, dict) and instance.get("additionalProperties") is False:
            self._names[id(instance)] = name
            children = {key: _described(_ref(self.shape(f"{name}.{key}", sub, _noun_of(key))), sub.get("description"))
                        for key, sub in props.items()}
            self.defs[name] = self.keywords(name, noun=noun, children=children)
            return name
        if isinstance(items, dict):
            item = self.shape(f"{name}.items", items, f"{name.rsplit('.', 1)[-1]} item key")
            if item != GENERIC:
                self._names[id(instance)] = name
                self.defs[name] = self.keywords(name, item=item)
                return name
        return GENERIC

    def keywords(self, here: str, *, noun: str = "", children: dict[str, Any] | None = None,
                 item: str = GENERIC) -> dict[str, Any]:
        same, anything, each = _ref(here), _ref(GENERIC), _ref(item)
        count: dict[str, Any] = {"type": "integer", "minimum": 0}
        if children is None:
            name: dict[str, Any] = {"type": "string"}
            properties: dict[str, Any] = {"type": "object", "additionalProperties": anything}
            dependent: dict[str, Any] = {"type": "object", "additionalProperties": same}
            names_of: dict[str, Any] = {"type": "object", "additionalProperties": {
                "type": "array", "items": name, "uniqueItems": True}}
        else:
            # The names this value can have, and nothing else: a misspelt one would check nothing.
            name = {"title": noun, "enum": list(children)}
            properties = {"type": "object", "title": noun, "properties": children, "additionalProperties": False}
            dependent = {"type": "object", "title": noun, "additionalProperties": False,
                         "properties": {key: same for key in children}}
            names_of = {"type": "object", "title": noun, "additionalProperties": False, "properties": {
                key: {"type": "array", "items": name, "uniqueItems": True} for key in children}}
        type_name = {"title": "type", "type": "string", "enum": list(TYPES)}
        schemas = {"type": "array", "minItems": 1, "items": same}
        flag, text, number = {"type": "boolean"}, {"type": "string"}, {"type": "number"}
        return {
            "type": ["object", "boolean"],
            "title": f"JSON Schema of {here}" if here != GENERIC else "JSON Schema",
            "additionalProperties": False,
            "properties": {
                "type": {"oneOf": [type_name, {"type": "array", "items": type_name, "minItems": 1,
                                               "uniqueItems": True}]},
                "enum": {"type": "array"},
                "const": {},
                "multipleOf": {"type": "number", "exclusiveMinimum": 0},
                "maximum": number, "exclusiveMaximum": number, "minimum": number, "exclusiveMinimum": number,
                "maxLength": count, "minLength": count, "maxItems": count, "minItems": count,
                "maxContains": count, "minContains": count, "maxProperties": count, "minProperties": count,
                "uniqueItems": flag,
                "pattern": {"type": "string", "description": "An RE2 regular expression (no backreferences "
                                                             "or lookaround), matched anywhere in the value."},
                "format": text,
                "required": {"type": "array", "items": name, "uniqueItems": True},
                "dependentRequired": names_of,
                "properties": properties,
                "dependentSchemas": dependent,
                "additionalProperties": anything, "unevaluatedProperties": anything, "propertyNames": anything,
                "items": each, "contains": each, "unevaluatedItems": each,
                "prefixItems": {"type": "array", "minItems": 1, "items": each},
                "allOf": schemas, "anyOf": schemas, "oneOf": schemas,
                "not": same, "if": same, "then": same, "else": same,
                "title": text, "description": text, "$comment": text, "default": {}, "examples": {"type": "array"},
                "deprecated": flag, "readOnly": flag, "writeOnly": flag,
                "contentEncoding": text, "contentMediaType": text, "contentSchema": anything,
                "$defs": {"type": "object", "additionalProperties": anything},
            },
        }


def _noun_of(key: str) -> str:
    return "fact" if key == "facts" else f"{key} key"


def _rule_schema_defs() -> dict[str, Any]:
    """The defs of the meta-schema; `post` is a rule's schema: about the post as written plus `facts`."""
    instance = {**POST_SCHEMA, "properties": {**POST_SCHEMA["properties"], "facts": facts_schema()}}
    builder = _Builder()
    builder.defs[GENERIC] = builder.keywords(GENERIC)
    builder.shape("post", instance, "post field")
    return builder.defs


def policy_schema(rule_schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of a policy file, with `rule_schema` as the schema of a rule's `schema`."""
    selector = {
        "type": "object",
        "additionalProperties": False,
        "description": "Which posts the rule checks: those matching every key given (any of its values).",
        "properties": {
            name: {"type": "array", "items": {"type": "string"}, "minItems": 1}
            for name in ("accounts", "platforms", "labels", "paths")
        },
    }
    return {
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string"},
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$",
                               "description": "Stable name: shown in findings, used to silence the rule."},
                        "severity": {"enum": list(SEVERITIES)},
                        "message": {"type": "string", "description": "What a person reads in the finding."},
                        "description": {"type": "string"},
                        "applies_to": selector,
                        "schema": rule_schema,
                    },
                },
            },
        },
    }


RULE_SCHEMA_DEFS = _rule_schema_defs()
# What lint checks a rule's schema against, once the file's own structure is right.
RULE_META_SCHEMA: dict[str, Any] = {"$id": META_ID, "$defs": RULE_SCHEMA_DEFS, **_ref("post")}
# The structure of a policy file, with any JSON Schema as a rule's schema.
POLICY_SCHEMA: dict[str, Any] = policy_schema({"type": ["object", "boolean"]})
# Everything at once, for editors and for `postops schema --policy`.
POLICY_META_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": META_ID,
    "title": "postops policy",
    "description": "Policy rules: each a JSON Schema over a post and its derived facts (docs/policies.md).",
    **policy_schema(_described(_ref("post"), "The JSON Schema (2020-12) a post, plus its `facts`, must "
                                              "satisfy.")),
    "$defs": RULE_SCHEMA_DEFS,
}
