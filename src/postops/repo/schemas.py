"""The JSON Schemas of postops' own files, and JSON Schema errors turned into located, human messages."""

from __future__ import annotations

import difflib
import re
from typing import Any

from postops.platforms.spec import LIMIT_GROUPS, SPECS, reply_forms_text
from postops.repo.yamlfile import MAX_BYTES_CEILING, Document, Mark

DURATION = r"^[0-9]+(\.[0-9]+)?\s*(s|m|h|d)$"
DURATION_EXAMPLES = ["10m", "90s", "1.5h", "2d"]

_MEDIA_ITEM: dict[str, Any] = {
    "type": "object",
    "description": "An image or video to attach, stored in the repository.",
    "required": ["path"],
    "additionalProperties": False,
    "properties": {
        "path": {"type": "string", "minLength": 1,
                 "description": "Path of the file, relative to the repository root."},
        "alt": {"type": "string", "description": "Alt text: what the image shows, for people who can't see it."},
    },
}

_REFERENCE: dict[str, Any] = {"type": "string", "minLength": 1}

_POLL: dict[str, Any] = {
    "type": "object",
    "description": "A poll: its options, and how long it is open.",
    "required": ["options", "duration"],
    "additionalProperties": False,
    "properties": {
        "options": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 2,
                    "description": "The choices, in order."},
        "duration": {"type": "string", "pattern": DURATION, "examples": ["30m", "12h", "1d"],
                     "description": "How long the poll is open: 30m, 12h, 1d, ..."},
    },
}

POST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://postops.dev/schema/post.json",
    "title": "postops post",
    "description": "One social media post, published by postops when it is due.",
    "type": "object",
    "required": ["account"],
    # A repost has no text of its own (the repost rule says so when one is given); every other post needs one.
    "if": {"not": {"required": ["repost"]}},
    "then": {"required": ["text"]},
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "examples": ["report-launch", "2026.11_brief"],
               "description": "The post's id; defaults to the file name without .yaml. Unique in the repository."},
        "account": {
            "description": "The account key from postops.yaml, or a list of keys to cross-post.",
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                 "uniqueItems": True},
            ],
        },
        "publish_at": {
            "type": "string",
            "description": "When to publish: an ISO 8601 date-time, with an offset or read in postops.yaml's "
                           "timezone. Without it the post goes out once merged.",
        },
        "text": {"type": "string", "minLength": 1, "description": "The text of the post (the first part of a thread)."},
        "media": {"type": "array", "items": _MEDIA_ITEM, "description": "Images or video to attach."},
        "thread": {
            "type": "array",
            "description": "Further parts, each published as a reply to the one before.",
            "items": {
                "type": "object",
                "required": ["text"],
                "additionalProperties": False,
                "properties": {
                    "text": {"type": "string", "minLength": 1},
                    "media": {"type": "array", "items": _MEDIA_ITEM},
                    "quote": {**_REFERENCE, "description": "The post this part quotes: a URL, or a post id here."},
                    "poll": _POLL,
                },
            },
        },
        "repost": {**_REFERENCE, "description": "Repost (retweet, boost) this post, a URL or the id of a post in "
                   "this repository, instead of writing one: no text, media, thread or poll."},
        "quote": {**_REFERENCE, "description": "The post this one quotes: a URL, or the id of a post in this "
                  "repository."},
        "poll": _POLL,
        "reply_to": {"type": "string", "minLength": 1,
                     "description": "The post this one replies to. " + reply_forms_text() + "."},
        "labels": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                   "description": "Free labels that policies can select on."},
    },
}

# An instance's own limits, in the shape of the `configuration` of Mastodon's GET /api/v2/instance: in
# postops.yaml (an account's `limits:`, which wins) and in postops.limits.yaml (written by `postops limits`).
LIMITS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "mastodon: the instance's own limits, named as in the `configuration` of its GET "
                   "/api/v2/instance; each one given here wins over postops.limits.yaml and Mastodon's default.",
    "properties": {
        group: {"type": "object", "additionalProperties": False, "properties": {
            name: {"type": "integer", "minimum": 0 if name == "min_expiration" else 1}
            for name, of in LIMIT_GROUPS.items() if of == group}}
        for group in dict.fromkeys(LIMIT_GROUPS.values())},
}

_ACCOUNT: dict[str, Any] = {
    "type": "object",
    "required": ["platform"],
    "additionalProperties": False,
    "properties": {
        "platform": {"enum": list(SPECS)},
        "handle": {"type": "string"},
        "approvers": {"type": "array", "items": {"type": "string", "pattern": r"^@[A-Za-z0-9_./-]+$",
                                                  "examples": ["@jane-doe", "@csis-org/comms-leads"]}},
        "approvals": {"type": "integer", "minimum": 0},
        "credentials": {"type": "string", "pattern": r"^[A-Z][A-Z0-9_]*$", "examples": ["POSTOPS_CSIS"]},
        "unmanaged": {"enum": ["report", "delete", "delete-if-violating"]},
        "path": {"type": "string", "minLength": 1},
        "instance": {"type": "string", "pattern": r"^https://", "examples": ["https://mastodon.social"]},
        "page_id": {"type": ["string", "integer"], "pattern": r"^[0-9]+$", "minimum": 1, "examples": ["104387295019"],
                    "description": "facebook: the numeric id of the Page."},
        "organization": {"type": ["string", "integer"], "pattern": r"^[0-9]+$", "minimum": 1, "examples": ["2414183"],
                         "description": "linkedin: the numeric id of the organisation (urn:li:organization:<id>)."},
        "api_version": {"type": "string", "pattern": r"^(v[0-9]+\.[0-9]+|[0-9]{6})$", "examples": ["v26.0", "202511"],
                        "description": "facebook: the Graph API version (v26.0); linkedin: LinkedIn-Version (YYYYMM)."},
        "timezone": {"type": "string"},
        "premium": {"type": "boolean",
                    "description": "x: an X Premium account, whose posts may be up to 25,000 characters long "
                                   "and whose videos up to 125 minutes, 16 GiB and 1920x1080."},
        "max_characters": {"type": "integer", "minimum": 1, "examples": [500, 5000],
                           "description": "mastodon: the instance's own limit on the length of a post "
                                          "(configuration.statuses.max_characters of GET /api/v2/instance)."},
        "limits": LIMITS_SCHEMA,
    },
}

LIMITS_FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "accounts"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "accounts": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["instance"], "additionalProperties": False,
            "properties": {"instance": {"type": "string"}, "read_at": {"type": "string"},
                           **LIMITS_SCHEMA["properties"]}}},
    },
}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "accounts"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "timezone": {"type": "string"},
        "accounts": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^[a-z0-9][a-z0-9_-]*$", "examples": ["csis", "csis_mastodon"]},
            "additionalProperties": _ACCOUNT,
        },
        "policy_owners": {"type": "array", "items": {"type": "string"}},
        "approval": {"enum": ["none", "github"]},
        "source": {
            "type": "object",
            "additionalProperties": False,
            "required": ["repo", "ref"],
            "properties": {
                "repo": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
                         "examples": ["postops/postops", "acme/postops"]},
                "ref": {"type": "string", "pattern": r"^[A-Za-z0-9_./+-]+$", "examples": ["v0.2.0", "main"]},
                "commit": {"type": "string", "pattern": "^[0-9a-f]{40}$",
                           "examples": ["5c3e9d0e2b6a4f0b8c1d7e6f5a4b3c2d1e0f9a8b"]},
                "url": {"type": "string", "pattern": r"^(https://|file://)\S+$",
                        "examples": ["https://github.com/acme/postops", "https://ghe.example/acme/postops"]},
            },
        },
        "publish": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min_lead": {"type": "string", "pattern": DURATION, "examples": DURATION_EXAMPLES},
                "max_delay": {"type": "string", "pattern": DURATION, "examples": DURATION_EXAMPLES},
                "max_retractions": {"type": "integer", "minimum": 0},
                "claim_lease": {"type": "string", "pattern": DURATION, "examples": DURATION_EXAMPLES},
            },
        },
        "lint": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"max_file_bytes": {"type": "integer", "minimum": 1, "maximum": MAX_BYTES_CEILING}},
        },
        "state": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"branch": {"type": "string", "minLength": 1}},
        },
        "notify": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["to"],
                "additionalProperties": False,
                "properties": {
                    # the name of an environment variable holding an Apprise URL, never the URL itself
                    "to": {"type": "string", "pattern": r"^[A-Z_][A-Z0-9_]*$", "examples": ["POSTOPS_ALERTS_URL"]},
                    "on": {"type": "array", "minItems": 1, "uniqueItems": True,
                           "items": {"enum": ["published", "failed", "missed", "blocked", "retracted",
                                              "unmanaged", "paused", "resumed"]}},
                },
            },
        },
        "paused": {
            "oneOf": [
                {"type": "null"},
                {"type": "object", "required": ["reason"],
                 "properties": {"reason": {"type": "string"}, "since": {"type": "string"},
                                "by": {"type": "string"}}},
            ],
        },
    },
}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def _expected(schema: Any) -> str:
    names = {"string": "a string", "array": "a list", "object": "a mapping", "integer": "a whole number",
             "number": "a number", "boolean": "true or false", "null": "null"}
    if isinstance(schema, str):
        return names.get(schema, schema)
    return " or ".join(names.get(s, s) for s in schema)


def field_name(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


def _like(schema: Any) -> str:
    examples = schema.get("examples") if isinstance(schema, dict) else None
    return f": write it like {' or '.join(repr(e) for e in examples)}" if examples else ""


def explain(error: Any, doc: Document, base: tuple[Any, ...] = ()) -> list[tuple[Mark, str]]:
    """One or more (position, message) pairs for a jsonschema ValidationError about `doc`'s data.

    `base` is prepended to the error's path: the path of the validated value inside the document.
    """
    path = base + tuple(error.absolute_path)
    where = field_name(path)
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        results = []
        for key in error.instance:
            if key in known or any(re.search(p, key) for p in error.schema.get("patternProperties", {})):
                continue
            message = f"unknown key '{key}'"
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if close:
                message += f" (did you mean '{close[0]}'?)"
            elif known:
                message += f"; known keys: {', '.join(known)}"
            results.append((doc.key_mark(path + (key,)), message))
        return results
    if validator == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        noun = "key" if len(missing) == 1 else "keys"
        return [(doc.value_mark(path), f"missing required {noun} {', '.join(repr(m) for m in missing)}"
                 + (f" in {where}" if path else ""))]
    mark = doc.value_mark(path)
    if validator == "type":
        return [(mark, f"{where} must be {_expected(error.validator_value)}, not {_type_name(error.instance)}")]
    if validator == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return [(mark, f"{where} is {error.instance!r}; it must be one of {allowed}")]
    if validator == "const":
        return [(mark, f"{where} must be {error.validator_value!r}")]
    if validator == "minLength" and error.validator_value == 1:
        return [(mark, f"{where} must not be empty")]
    if validator == "minItems":
        return [(mark, f"{where} needs at least {error.validator_value} item(s)")]
    if validator == "uniqueItems":
        return [(mark, f"{where} lists the same item twice")]
    if validator == "pattern":
        # A regular expression tells a newcomer little: every pattern here comes with examples of its form.
        if list(error.relative_schema_path)[-2:-1] == ["propertyNames"]:   # about a key, not a value
            message = f"{where} has a key {error.instance!r} that is not a valid name{_like(error.schema)}"
            return [(doc.key_mark(path + (error.instance,)), message)]
        return [(mark, f"{where} {error.instance!r} is not in the expected form{_like(error.schema)}")]
    if validator == "oneOf" and error.context:
        # Pick the branch whose type matched, else describe the types allowed.
        for sub in error.context:
            if sub.validator != "type":
                return explain(sub, doc, base)
        types = [s.get("type") for s in error.validator_value if isinstance(s, dict) and "type" in s]
        return [(mark, f"{where} must be {_expected(types)}, not {_type_name(error.instance)}")]
    return [(mark, f"{where}: {error.message}")]
