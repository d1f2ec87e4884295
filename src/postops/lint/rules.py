"""Built-in rules: what every post must satisfy, whatever the organisation's policies say.

Each rule has a stable id, a default severity and a check that yields hits (where, message, account).
Policy files can change a built-in rule's severity or narrow it with `applies_to`, like any rule.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from postops.lint import facts as facts_mod
from postops.lint import shares
from postops.repo.config import Config
from postops.repo.posts import Post, content_hash
from postops.repo.schemas import POST_SCHEMA, explain
from postops.repo.yamlfile import Mark


@dataclass(frozen=True)
class Hit:
    mark: Mark
    message: str
    account: str | None = None   # set when the hit is about one account of a cross-post


@dataclass
class Context:
    config: Config
    root: Path
    ids: Mapping[str, list[str]]       # post id -> files declaring it (every post in the repository)
    measures: dict[tuple[str, int], facts_mod.TextMeasures]   # (post path, part) -> measures, shared with facts
    published: Mapping[tuple[str, str], str] | None = None     # (post, account) -> content hash published
    retracted: frozenset[str] = frozenset()                    # ids retracted on some platform

    def measure(self, post: Post, index: int) -> facts_mod.TextMeasures:
        key = (post.path, index)
        if key not in self.measures:
            self.measures[key] = facts_mod.measure(post.parts[index].text)
        return self.measures[key]


Check = Callable[[Context, Post], Iterator[Hit]]


@dataclass(frozen=True)
class BuiltinRule:
    id: str
    severity: str
    description: str
    check: Check


_POST_VALIDATOR = Draft202012Validator(POST_SCHEMA)


def check_post_schema(ctx: Context, post: Post) -> Iterator[Hit]:
    if not isinstance(post.doc.data, dict):
        yield Hit(Mark(1, 1), f"a post must be a mapping of keys (account, text, ...), not "
                              f"{type(post.doc.data).__name__.replace('list', 'a list').replace('str', 'text')}")
        return
    for error in _POST_VALIDATOR.iter_errors(post.doc.data):
        for mark, message in explain(error, post.doc):
            yield Hit(mark, message)


def check_publish_at(ctx: Context, post: Post) -> Iterator[Hit]:
    raw = post.data.get("publish_at")
    if raw is None or not isinstance(raw, str):
        return
    if post.publish_at is None:
        yield Hit(post.mark(("publish_at",)),
                  f"publish_at {raw!r} is not a date and time (use e.g. 2026-11-24T09:00:00-05:00)")


def check_unknown_account(ctx: Context, post: Post) -> Iterator[Hit]:
    raw = post.data.get("account")
    known = sorted(ctx.config.accounts)
    for i, account in enumerate(post.accounts):
        if account not in ctx.config.accounts:
            where = ("account", i) if isinstance(raw, list) else ("account",)
            close = difflib.get_close_matches(account, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; accounts: {', '.join(known)}"
            yield Hit(post.mark(where), f"unknown account '{account}'{hint}")


def check_account_folder(ctx: Context, post: Post) -> Iterator[Hit]:
    folder = post.folder
    if folder is None or not post.accounts:
        return
    if folder not in ctx.config.accounts:
        yield Hit(Mark(1, 1), f"post is in posts/{folder}/, which is not an account in postops.yaml; "
                              "put it in the folder of the account it is for")
    elif folder not in post.accounts:
        yield Hit(post.mark(("account",)),
                  f"post is in posts/{folder}/ but is for {', '.join(post.accounts)}: a post lives in the "
                  f"folder of (one of) its accounts, whose approvers review it")


def check_duplicate_id(ctx: Context, post: Post) -> Iterator[Hit]:
    others = [p for p in ctx.ids.get(post.id, ()) if p != post.path]
    if others:
        where = ("id",) if "id" in post.data else ()
        yield Hit(post.mark(where) if where else Mark(1, 1),
                  f"post id '{post.id}' is also used by {', '.join(others)}; ids must be unique")


def check_text_length(ctx: Context, post: Post) -> Iterator[Hit]:
    for account_key in post.accounts:
        account = ctx.config.accounts.get(account_key)
        if account is None or account.platform not in facts_mod.LIMITS:
            continue
        limit = facts_mod.LIMITS[account.platform]
        unit = facts_mod.UNITS[account.platform]
        name = facts_mod.PLATFORM_NAMES[account.platform]
        for part in post.parts:
            length = getattr(ctx.measure(post, part.index), account.platform)
            if length > limit:
                which = f"thread part {part.index + 1}" if part.index else "text"
                yield Hit(post.mark(part.where), f"{which} is {length}/{limit} {unit} on {name} "
                                                 f"(account {account_key})", account_key)


MEDIA_TYPES = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
    ".mp4": "video", ".mov": "video",
}
# bytes, per platform and kind
MEDIA_LIMITS: dict[str, dict[str, int | None]] = {
    "x": {"image": 5 * 1024 * 1024, "video": 512 * 1024 * 1024},
    "mastodon": {"image": 16 * 1024 * 1024, "video": 99 * 1024 * 1024},
    "bluesky": {"image": 1000 * 1000, "video": 50 * 1024 * 1024},
    # Facebook: "less than 10 MB" for a photo (Graph API Photo reference); LinkedIn's Images API limits pixels
    # (36,152,320), not bytes. Neither takes video through postops: a kind left out is refused.
    "facebook": {"image": 10 * 1000 * 1000},
    "linkedin": {"image": None},
    "outbox": {"image": 50 * 1024 * 1024, "video": 512 * 1024 * 1024},
}
# Where a platform takes fewer file types than MEDIA_TYPES: the Images API takes JPEG, PNG and GIF only.
MEDIA_FORMATS = {"linkedin": (".gif", ".jpeg", ".jpg", ".png")}
# Images a reply or thread part can carry where that is fewer than a post: a Facebook comment takes one.
MAX_REPLY_IMAGES = {"facebook": 1}
MAX_IMAGES = 4


def check_media(ctx: Context, post: Post) -> Iterator[Hit]:
    root = ctx.root.resolve()
    platforms = {ctx.config.accounts[a].platform for a in post.accounts if a in ctx.config.accounts}
    for part in post.parts:
        kinds = []
        for media in part.media:
            mark = post.mark(media.where + ("path",))
            if "\0" in media.path:
                yield Hit(mark, f"media path {media.path!r} contains a NUL character")
                continue
            target = (root / media.path).resolve()
            if os.path.isabs(media.path) or not target.is_relative_to(root):
                yield Hit(mark, f"media {media.path!r} is outside the repository")
                continue
            if not target.is_file():
                yield Hit(mark, f"media file {media.path!r} does not exist")
                continue
            kind = MEDIA_TYPES.get(target.suffix.lower())
            if kind is None:
                yield Hit(mark, f"media {media.path!r} has an unsupported type; use one of "
                                f"{', '.join(sorted(MEDIA_TYPES))}")
                continue
            kinds.append(kind)
            size = target.stat().st_size
            for platform in sorted(platforms):
                limits = MEDIA_LIMITS.get(platform, {})
                name = facts_mod.PLATFORM_NAMES.get(platform, platform)
                if platform in MEDIA_LIMITS and kind not in limits:
                    yield Hit(mark, f"media {media.path!r} is a {kind}; postops cannot post {kind}s to {name}")
                    continue
                formats = MEDIA_FORMATS.get(platform)
                if formats is not None and target.suffix.lower() not in formats:
                    yield Hit(mark, f"media {media.path!r}: {name} takes only {', '.join(formats)} files")
                limit = limits.get(kind)
                if limit is not None and size > limit:
                    yield Hit(mark, f"media {media.path!r} is {size:,} bytes; {platform} allows at most "
                                    f"{limit:,} bytes for {kind}s")
        if kinds.count("image") > MAX_IMAGES:
            yield Hit(post.mark(part.media[MAX_IMAGES].where),
                      f"{kinds.count('image')} images in one part; at most {MAX_IMAGES} are allowed")
        if part.index or post.reply_to is not None:
            for platform in sorted(platforms):
                most = MAX_REPLY_IMAGES.get(platform)
                if most is not None and kinds.count("image") > most:
                    which = f"thread part {part.index + 1}" if part.index else "a reply"
                    yield Hit(post.mark(part.media[most].where),
                              f"{which} is a comment on {facts_mod.PLATFORM_NAMES[platform]}, which takes at most "
                              f"{most} image")
        if "video" in kinds and len(kinds) > 1:
            yield Hit(post.mark(part.media[0].where), "a video cannot be combined with other media in one part")


# Token formats of common providers: a pasted secret in a post is published to the world.
# (detect-secrets does this job but costs ~1 ms per line, which is seconds per lint of a large repo.)
SECRET_PATTERNS = {
    "AWS access key id": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b",
    "Slack token": r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    "Google API key": r"\bAIza[0-9A-Za-z_\-]{35}\b",
    "Stripe secret key": r"\b[sr]k_live_[0-9A-Za-z]{20,}\b",
    "private key": r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
    "X bearer token": r"\bAAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}",
    "JSON web token": r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    "OpenAI API key": r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}",
    "Mastodon/OAuth access token in a URL": r"[?&]access_token=[A-Za-z0-9._-]{16,}",
}
_SECRETS = re.compile("|".join(f"(?P<s{i}>{p})" for i, p in enumerate(SECRET_PATTERNS.values())))
_SECRET_NAMES = list(SECRET_PATTERNS)


def check_secret_in_text(ctx: Context, post: Post) -> Iterator[Hit]:
    for part in post.parts:
        for found in _SECRETS.finditer(part.text):
            name = _SECRET_NAMES[int(found.lastgroup[1:])]  # type: ignore[index]
            shown = found.group(0)[:6] + "…"
            yield Hit(post.doc.offset_mark(part.where, found.start(), len(found.group(0))),
                      f"text contains what looks like {'an' if name[0] in 'AEIOU' else 'a'} {name} ({shown}); "
                      "remove it and revoke the secret")


_REPLY_HOSTS = {
    "x": ("x.com", "twitter.com", "mobile.twitter.com", "www.x.com", "www.twitter.com"),
    "bluesky": ("bsky.app",),
}
# What a platform takes as a reply, where that is less than any post by its URL. "own": only a post of the same
# account, named by its id in this repository (a Facebook Page comments on its own posts; a post's web address
# does not give its Graph API id). "none": neither replies nor threads (postops posts to LinkedIn without them).
REPLIES = {"facebook": "own", "linkedin": "none"}


def check_reply_target(ctx: Context, post: Post) -> Iterator[Hit]:
    yield from _replies_the_platform_refuses(ctx, post)
    target = post.reply_to
    if target is None:
        return
    mark = post.mark(("reply_to",))
    if "://" not in target:
        if target not in ctx.ids:
            yield Hit(mark, f"reply_to '{target}' is neither a URL nor the id of a post in this repository")
        elif target == post.id:
            yield Hit(mark, "a post cannot reply to itself")
        return
    try:
        parts = urlsplit(target)
    except ValueError:
        yield Hit(mark, f"reply_to {target!r} is not a valid URL")
        return
    host = (parts.hostname or "").lower()
    for account_key in post.accounts:
        account = ctx.config.accounts.get(account_key)
        if account is None:
            continue
        if account.platform == "x":
            ok = host in _REPLY_HOSTS["x"] and re.search(r"/status/\d+", parts.path) is not None
            expected = "https://x.com/<user>/status/<id>"
        elif account.platform == "bluesky":
            ok = host in _REPLY_HOSTS["bluesky"] and "/post/" in parts.path
            expected = "https://bsky.app/profile/<handle>/post/<id>"
        elif account.platform == "mastodon":
            ok = parts.scheme == "https" and bool(host) and re.search(r"/(@[^/]+|statuses)/\d+", parts.path) is not None
            expected = "https://<server>/@<user>/<id>"
        elif account.platform in REPLIES:
            continue  # said by _replies_the_platform_refuses
        else:
            ok = True
            expected = ""
        if not ok:
            yield Hit(mark, f"reply_to {target!r} is not a post URL on {account.platform} (account "
                            f"{account_key} expects {expected})", account_key)


def _replies_the_platform_refuses(ctx: Context, post: Post) -> Iterator[Hit]:
    for account_key in post.accounts:
        account = ctx.config.accounts.get(account_key)
        takes = REPLIES.get(account.platform) if account is not None else None
        if account is None or takes is None:
            continue
        name = facts_mod.PLATFORM_NAMES[account.platform]
        if takes == "none":
            if post.reply_to is not None:
                yield Hit(post.mark(("reply_to",)), f"postops cannot post replies to {name} (account "
                                                    f"{account_key}); publish it as a post of its own", account_key)
            if len(post.parts) > 1:
                yield Hit(post.mark(("thread",)), f"postops cannot post threads to {name} (account {account_key}); "
                                                  f"make it one post, or one post per part", account_key)
        elif post.reply_to is not None and "://" in post.reply_to:
            yield Hit(post.mark(("reply_to",)),
                      f"on {name} a reply is a comment by the page on one of its own posts (account "
                      f"{account_key}): reply_to must be the id of a post in this repository published there, "
                      f"not a URL", account_key)


def check_text_comment(ctx: Context, post: Post) -> Iterator[Hit]:
    """`text: New report #energy` is the text "New report": YAML reads ` #` as the start of a comment."""
    lines = post.doc.text.splitlines()
    for part in post.parts:
        scalar = post.doc.scalars.get(part.where)
        if scalar is None or scalar[0]:    # only plain (unquoted) scalars: their style is ""
            continue
        end = scalar[1]
        rest = lines[end.line - 1][end.column - 1:] if end.line - 1 < len(lines) else ""
        if rest.lstrip().startswith("#") and not rest.lstrip().startswith("# postops:"):
            column = end.column + len(rest) - len(rest.lstrip())
            yield Hit(Mark(end.line, column), "the text ends before this ` #`, which YAML reads as a comment: "
                                              "quote the text, or write it as a block (`text: |-`)")


def check_published_edit(ctx: Context, post: Post) -> Iterator[Hit]:
    if not ctx.published:
        return
    for account in post.accounts:
        published = ctx.published.get((post.id, account))
        if published is not None and published != content_hash(post, account, ctx.root):
            yield Hit(post.mark(("text",)),
                      f"post '{post.id}' was already published on {account}; published posts are immutable. "
                      "Restore it, or delete it (which retracts it) and add a new post with a new id", account)


def check_retracted_id(ctx: Context, post: Post) -> Iterator[Hit]:
    if post.id in ctx.retracted:
        yield Hit(Mark(1, 1), f"post id '{post.id}' was retracted and is never published again; "
                              "give this post a new id (a new file name)")


BUILTIN_RULES: dict[str, BuiltinRule] = {
    rule.id: rule for rule in (
        BuiltinRule("post-schema", "error", "A post has the required keys (account, text) with the right "
                    "types, and no unknown keys.", check_post_schema),
        BuiltinRule("publish-at", "error", "publish_at is a real date and time, with an offset or read in "
                    "postops.yaml's timezone.", check_publish_at),
        BuiltinRule("unknown-account", "error", "Every account a post names is defined in postops.yaml.",
                    check_unknown_account),
        BuiltinRule("account-folder", "error", "A post lives under posts/<account>/ of one of its accounts.",
                    check_account_folder),
        BuiltinRule("duplicate-id", "error", "Post ids (file names, or explicit ids) are unique.",
                    check_duplicate_id),
        BuiltinRule("text-length", "error", "Every part fits the platform: X 280 weighted characters, "
                    "Mastodon 500 characters, Bluesky 300 graphemes, Facebook 63,206 and LinkedIn 3,000 characters (URLs "
                    "count 23 on X and Mastodon).",
                    check_text_length),
        BuiltinRule("media", "error", "Media files exist inside the repository, have an allowed type and size, "
                    "at most 4 images per part.", check_media),
        BuiltinRule("secret-in-text", "error", "No API key, token or private key pasted into a post.",
                    check_secret_in_text),
        BuiltinRule("reply-target", "error", "reply_to is a post URL on the account's platform or the id of a "
                    "post in this repository, on a platform that takes it as a reply (Facebook: only the page's own posts; "
                    "LinkedIn: no replies or threads).", check_reply_target),
        BuiltinRule("text-comment", "error", "No part of a post's text is lost to a YAML comment: in unquoted "
                    "text, ` #` starts a comment.", check_text_comment),
        BuiltinRule("published-edit", "error", "A post that was published is not edited.", check_published_edit),
        BuiltinRule("retracted-id", "error", "A retracted post's id is not used again.", check_retracted_id),
        BuiltinRule("repost", "error", "A repost (repost:) has no text, media, thread, poll or reply of its own, "
                    "names a URL or a post in this repository, and is for platforms that repost (X, Mastodon).",
                    shares.check_repost),
        BuiltinRule("quote", "error", "A quote (quote:) names a URL or a post in this repository, on platforms "
                    "that quote (X, Mastodon 4.5 and later).", shares.check_quote),
        BuiltinRule("poll", "error", "A poll fits its platform: X 2-4 options of up to 25 characters, open 5 "
                    "minutes to 7 days, no media; Mastodon 2-4 options of up to 50 characters (its defaults), "
                    "no media; no polls on Bluesky, Facebook or LinkedIn.", shares.check_poll),
    )
}

# Rules with no check of their own: reported by lint itself.
PARSE_RULE = BuiltinRule("parse", "error", "A post file is readable UTF-8 YAML: not binary, empty or over the "
                         "size limit; no duplicate keys or alias bombs.", lambda ctx, post: iter(()))
SUPPRESSION_RULE = BuiltinRule("suppression", "error", "A `# postops: disable=` comment names known rules and "
                               "gives a reason after `--`.", lambda ctx, post: iter(()))
CODEOWNERS_RULE = BuiltinRule("codeowners", "error", "CODEOWNERS exists and says what postops.yaml says: each "
                               "account's folder owned by its approvers, postops.yaml and policies/ by "
                               "policy_owners (`postops codeowners` writes it).", lambda ctx, post: iter(()))
WORKFLOW_SECRETS_RULE = BuiltinRule("workflow-secrets", "error", "The GitHub publish workflow passes every "
                                    "account's credentials from the secrets (`postops workflows` writes it).",
                                    lambda ctx, post: iter(()))
REFERENCES_RULE = BuiltinRule("references", "error", "Every reference to postops in the CI workflows, the "
                              "GitLab pipeline and the pre-commit hooks names the `source:` of postops.yaml at "
                              "its commit (`postops workflows` writes them).", lambda ctx, post: iter(()))
ALL_BUILTINS: dict[str, BuiltinRule] = {**BUILTIN_RULES, PARSE_RULE.id: PARSE_RULE,
                                        SUPPRESSION_RULE.id: SUPPRESSION_RULE, CODEOWNERS_RULE.id: CODEOWNERS_RULE,
                                        WORKFLOW_SECRETS_RULE.id: WORKFLOW_SECRETS_RULE,
                                        REFERENCES_RULE.id: REFERENCES_RULE}


def default_severities() -> dict[str, str]:
    return {rule.id: rule.severity for rule in ALL_BUILTINS.values()}

