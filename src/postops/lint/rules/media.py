"""Every media file exists, is inside the repository and is no symbolic link (nor in a linked folder), has a supported type
(`.png`, `.jpg`, `.jpeg`, `.gif`, `.webp` images; `.mp4`, `.mov` videos) and a size the platform
accepts; a part has at most 4 images, and a video only on its own.

@@TABLE@@

A thread part or reply to a Facebook account is a comment, which takes at most one image. Alt text fits
the platform (the table's last column). A Mastodon account is held to its
instance's own image and video sizes, images per post and alt text length where `postops.limits.yaml` or
its `limits` in postops.yaml give them.

`media` cannot be silenced with a comment: it keeps what is uploaded inside what was reviewed. Publish checks
the same again right before it reads a file (inside the repository, no symbolic link, a supported type), and a
file that fails is not uploaded: that part of the post fails with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from postops.lint import facts as facts_mod
from postops.lint.rules.base import STAND_IN, BuiltinRule, Context, Example, Hit, RuleType
from postops.platforms.spec import OWN_LIMITS, SPECS, PlatformSpec
from postops.repo.config import Account
from postops.repo.media import MediaProblem, media_file
from postops.repo.posts import Post

ID = "media"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("Media files exist inside the repository, have an allowed type and size, at most 4 images per "
               "part.")
OPTIONS: dict[str, str] = {}
_CHART = ("account: drill\ntext: The chart\nmedia:\n  - path: media/chart.png\n"
          "    alt: Bar chart of gas imports, 2019-2026\n")
EXAMPLES = (
    Example("posts/drill/a.yaml", _CHART, (
        "posts/drill/a.yaml:4:11: error [media] media file 'media/chart.png' does not exist",
    ), note="`media/chart.png` is not in the repository."),
    Example("posts/drill/a.yaml", _CHART, setup={"media/chart.png": STAND_IN},
            note="once `media/chart.png` is added."),
)

# The numbers are each platform's declaration (postops.platforms.spec), with the limits an account's own
# server sets (a Mastodon instance's: `limits` in postops.yaml or postops.limits.yaml).
MEDIA_FORMATS = {name: spec.media_formats for name, spec in SPECS.items() if spec.media_formats is not None}
# Images a reply or thread part can carry where that is fewer than a post: a Facebook comment takes one.
MAX_REPLY_IMAGES = {name: spec.max_reply_images for name, spec in SPECS.items() if spec.max_reply_images is not None}
MAX_IMAGES = min(spec.max_images for spec in SPECS.values())


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    root = ctx.root.resolve()
    # Accounts of one platform with the same limits are checked once: a cross-post is told each thing once.
    targets: dict[tuple[str, object], Account] = {}
    for key in post.accounts:
        account = ctx.config.accounts.get(key)
        if account is not None and account.platform in SPECS:
            targets.setdefault((account.platform, account.limits), account)
    said: set[tuple[int, int, str]] = set()
    for hit in _check(root, post, sorted(targets.values(), key=lambda a: (a.platform, a.key))):
        if (hit.mark.line, hit.mark.column, hit.message) not in said:
            said.add((hit.mark.line, hit.mark.column, hit.message))
            yield hit


def _check(root: Path, post: Post, accounts: list[Account]) -> Iterator[Hit]:
    platforms = sorted({a.platform for a in accounts})
    for part in post.parts:
        kinds = []
        for media in part.media:
            mark = post.mark(media.where + ("path",))
            try:
                target, kind = media_file(root, media.path)
            except MediaProblem as exc:
                yield Hit(mark, exc.message)
                continue
            kinds.append(kind)
            for account in accounts:
                spec = SPECS[account.platform]
                most = spec.features_for(account).alt_chars
                if most is not None and media.alt and len(media.alt) > most:
                    yield Hit(post.mark(media.where + ("alt",)),
                              f"alt text of {media.path!r} is {len(media.alt):,} characters; "
                              f"{spec.title} takes at most {most:,}{_own(spec, account)}")
            size = target.stat().st_size
            for account in accounts:
                spec = SPECS[account.platform]
                limits = spec.media_bytes_for(account)
                if kind not in limits:
                    yield Hit(mark, f"media {media.path!r} is a {kind}; postops cannot post {kind}s to {spec.title}")
                    continue
                formats = MEDIA_FORMATS.get(spec.name)
                if formats is not None and target.suffix.lower() not in formats:
                    yield Hit(mark, f"media {media.path!r}: {spec.title} takes only {', '.join(formats)} files")
                limit = limits.get(kind)
                if limit is not None and size > limit:
                    yield Hit(mark, f"media {media.path!r} is {size:,} bytes; {spec.name} allows at most "
                                    f"{limit:,} bytes for {kind}s{_own(spec, account)}")
        images = kinds.count("image")
        for account in accounts:
            spec = SPECS[account.platform]
            most = spec.max_images_for(account)
            if images > most:
                yield Hit(post.mark(part.media[most].where),
                          f"{images} images in one part; at most {most} are allowed{_own(spec, account)}")
        if part.index or post.reply_to is not None:
            for platform in platforms:
                reply_most = MAX_REPLY_IMAGES.get(platform)
                if reply_most is not None and images > reply_most:
                    which = f"thread part {part.index + 1}" if part.index else "a reply"
                    yield Hit(post.mark(part.media[reply_most].where),
                              f"{which} is a comment on {facts_mod.PLATFORM_NAMES[platform]}, which takes at most "
                              f"{reply_most} image")
        if "video" in kinds and len(kinds) > 1:
            yield Hit(post.mark(part.media[0].where), "a video cannot be combined with other media in one part")


def _own(spec: PlatformSpec, account: Account) -> str:
    """Which account's own server set a limit, where one did: the same words as the declaration's otherwise."""
    return f" (account {account.key}'s instance)" if spec.name in OWN_LIMITS and account.limits is not None else ""


def _size(limit: int | None) -> str:
    if limit is None:
        return "no limit in bytes"
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib == int(mib) else f"{limit:,} bytes"


def _row(spec: PlatformSpec) -> str:
    sizes = spec.media_bytes
    image = _size(sizes["image"]) if "image" in sizes else "not posted by postops"
    if spec.media_formats is not None:
        image = f"{', '.join(f'`{f}`' for f in spec.media_formats)} only; {image}"
    video = _size(sizes["video"]) if "video" in sizes else "not posted by postops"
    alt = f"{spec.features.alt_chars:,}" if spec.features.alt_chars is not None else "none declared"
    return f"| `{spec.name}` | {image} | {video} | {spec.max_images} | {alt} |"


# The table is made from the declarations, so docs/rules.md says what lint does.
DOC = (__doc__ or "").replace("@@TABLE@@", "\n".join(
    ["| platform | image | video | images per part | alt text, characters |",
     "|----------|-------|-------|-----------------|----------------------|"]
    + [_row(spec) for spec in SPECS.values()]))

RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, DOC, OPTIONS, EXAMPLES)
