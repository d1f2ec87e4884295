"""Every media file exists as a regular file (not a folder or a named pipe), is inside the repository and
is no symbolic link (nor in a linked folder), is what its content says it is (a text file named `chart.png` is no image; a JPEG image named `.png` is
refused too, as platforms read a file's type from its name as well): a PNG, JPEG, GIF or WEBP image or an
MP4 or MOV video, named `.png`, `.jpg`/`.jpeg`, `.gif`, `.webp`, `.mp4` or `.mov`. Its size in bytes, its
format and an image's width times height fit every platform it goes to; a part has at most 4 images, and
a video only on its own.

@@TABLE@@

Image headers are read with Pillow, only for posts that have media. A file cut short or broken is refused
as damaged (no platform can process it), and one cut short at any byte after the first bytes that say its
format is told so: "is a damaged WEBP image (the file ends before its image does)". A PNG's chunks are
checked against their CRCs without decoding its pixels (a flipped byte is found too); a JPEG is decoded at
an eighth of its size, which still reads all of its data; a GIF's first and last frames are decoded (a cut
always lands in the last frame it still has); a WEBP shorter than its RIFF header says is cut short. Only
files of at most 64 MiB and of no more pixels than Pillow decodes safely (89,478,485) are decoded; larger
ones are judged by their header. A GIF's frames are counted (without decoding them) for X's animated GIF
limits: at most 1280x1080 pixels (width x height, not either way round), 350 frames and 300 million pixels
in all its frames (width x height x frames), which X gives as what a GIF must meet not to fail when the
post is created. A camera's multi-picture JPEG (MPO) is a JPEG. A video's length, the width and height of
its pictures and its frame rate are read from its MP4 or QuickTime boxes (the movie
header, the first video track's sample description and time-to-sample table) and held to what each
platform documents (the table's video column; X's sizes hold whichever way round the video is, and a
`premium: true` account may post 1920x1080, up to 125 minutes and 16 GiB). A fragmented MP4 (a streaming encoder's or screen recorder's,
whose frames come in `moof` fragments) gets its length from its movie header or `mehd` where they give one,
else from its fragments' frame durations, and its frame rate from its fragments; where the length cannot be
known (fragments over 16 MiB together, or frames without durations), a platform that limits the length (X)
refuses it, naming why. X's requirements that a file's boxes give are checked too: square pixels (a `pasp`
box in the video's format, where it has one), sound in AAC LC (the sound track's decoder configuration,
`esds`: HE-AAC, MP3, AC-3 and the like are refused) and mono or stereo; for H.264, YUV 4:2:0 and progressive
scan, from the sequence parameter set in its `avcC` (chroma_format_idc, frame_mbs_only_flag). X's "no open
GOP" is in the frames themselves and not read. A video whose boxes are cut short or say more than they hold is refused as
damaged, and so is one with no video track; one whose index (`moov`) is over 16 MiB or that has more boxes
than postops reads is refused too. A thread part or reply to a Facebook account is a comment,
which takes at most one image. Alt text fits the platform (the table's last column). The numbers
are each platform's declaration in `postops.platforms.spec`, with their sources.
A Mastodon account is held to its instance's own image and video sizes, image and video pixels, video frame
rate, images per post and alt text length where `postops.limits.yaml` or its `limits` in postops.yaml give
them.

`media` cannot be silenced with a comment: it keeps what is uploaded inside what was reviewed. Publish checks
the same again right before it reads a file (inside the repository, no symbolic link, its content, its size
and pixels, a video's length and frame rate, for the account), and a file that fails is not uploaded: that
part of the post fails with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from postops.lint import facts as facts_mod
from postops.lint.rules.base import STAND_IN, BuiltinRule, Context, Example, Hit, RuleType
from postops.platforms.spec import OWN_LIMITS, SPECS, GifLimits, PlatformSpec, VideoLimits, duration_text
from postops.repo.config import Account
from postops.repo.media import FORMATS, MediaProblem, inspect_media, media_file
from postops.repo.posts import Post

ID = "media"
TYPE: RuleType = "post"
SEVERITY = "error"
DESCRIPTION = ("Media files exist inside the repository, are whole, have an allowed type, size, image pixels "
               "and video length and frame rate, at most 4 images per part.")
OPTIONS: dict[str, str] = {}
_CHART = ("account: drill\ntext: The chart\nmedia:\n  - path: media/chart.png\n"
          "    alt: Bar chart of gas imports, 2019-2026\n")
EXAMPLES = (
    Example("posts/drill/a.yaml", _CHART, (
        "posts/drill/a.yaml:4:11: error [media] media file 'media/chart.png' does not exist",
    ), note="`media/chart.png` is not in the repository."),
    Example("posts/drill/a.yaml", _CHART, (
        "posts/drill/a.yaml:4:11: error [media] media 'media/chart.png' is not an image: its content is text, not "
        "one of PNG, JPEG, GIF, WEBP, MP4, MOV",
    ), setup={"media/chart.png": "Remember to export the chart\n"}, note="`media/chart.png` is a note, not a chart."),
    Example("posts/drill/a.yaml", _CHART, setup={"media/chart.png": STAND_IN},
            note="once `media/chart.png` is a PNG image."),
)

# The numbers are each platform's declaration (postops.platforms.spec), with the limits an account's own
# server sets (a Mastodon instance's: `limits` in postops.yaml or postops.limits.yaml).
# Images a reply or thread part can carry where that is fewer than a post: a Facebook comment takes one.
MAX_REPLY_IMAGES = {name: spec.max_reply_images for name, spec in SPECS.items() if spec.max_reply_images is not None}
MAX_IMAGES = min(spec.max_images for spec in SPECS.values())


def check(ctx: Context, post: Post) -> Iterator[Hit]:
    if not any(part.media for part in post.parts):
        return  # most posts: no need to resolve the repository's path
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
                target, _ = media_file(root, media.path)
                info = inspect_media(target, media.path)
            except MediaProblem as exc:
                yield Hit(mark, exc.message)
                continue
            kinds.append(info.kind)
            for account in accounts:
                spec = SPECS[account.platform]
                most = spec.features_for(account).alt_chars
                if most is not None and media.alt and len(media.alt) > most:
                    yield Hit(post.mark(media.where + ("alt",)),
                              f"alt text of {media.path!r} is {len(media.alt):,} characters; "
                              f"{spec.title} takes at most {most:,}{_own(spec, account)}")
            for account in accounts:
                for refusal in SPECS[account.platform].media_refusals(info, media.path, account):
                    yield Hit(mark, refusal)
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


def _bytes(limit: int | None) -> str:
    if limit is None:
        return "no limit in bytes"
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit:,} bytes"


def _cell(spec: PlatformSpec, kind: str) -> str:
    if kind not in spec.media_bytes:
        return "not posted by postops"
    said = [("less than " if kind in spec.bytes_below else "") + _bytes(spec.media_bytes[kind])]
    said += [f"{fmt.upper()} {_bytes(limit)}" for fmt, limit in spec.format_bytes.items() if FORMATS[fmt][0] == kind]
    if kind in spec.max_pixels:
        said.append(f"at most {spec.max_pixels[kind]:,} pixels")
    said += [f"{fmt.upper()} at most {most:,} pixels" for fmt, most in spec.max_pixels.items()
             if fmt in FORMATS and FORMATS[fmt][0] == kind]
    if spec.media_formats is not None:
        said.append("only " + ", ".join(f.upper() for f in spec.media_formats if FORMATS[f][0] == kind))
    if kind == "image":
        said += _gif_cell(spec.gif)
    if kind == "video":
        said += _video_cell(spec.video)
    return "; ".join(said)


def _video_cell(video: VideoLimits) -> list[str]:
    said = []
    if video.seconds is not None:
        said.append(f"{duration_text(video.seconds[0])} to {duration_text(video.seconds[1])}")
    if video.min_side is not None and video.max_sides is not None:
        said.append(f"{video.min_side}x{video.min_side} to {video.max_sides[0]}x{video.max_sides[1]} pixels, "
                    "either way round")
    if video.max_ratio is not None:
        said.append(f"aspect ratio 1:{video.max_ratio} to {video.max_ratio}:1")
    if video.frame_rate is not None:
        said.append(f"at most {video.frame_rate} frames per second{' (rounded down)' if video.whole_frames else ''}")
    if video.square_pixels:
        said.append("square pixels")
    if video.audio is not None:
        said.append(f"sound {' or '.join(video.audio)}")
    if video.max_channels is not None:
        said.append(f"at most {video.max_channels} sound channels")
    if video.chroma is not None:
        said.append(f"H.264 in YUV {' or '.join(video.chroma)}")
    if video.progressive:
        said.append("progressive scan")
    return said


def _gif_cell(gif: GifLimits) -> list[str]:
    said = [f"{gif.max_size[0]}x{gif.max_size[1]} (width x height)"] if gif.max_size is not None else []
    if gif.frames is not None:
        said.append(f"{gif.frames} frames")
    if gif.frame_pixels is not None:
        said.append(f"{gif.frame_pixels:,} pixels in all its frames")
    return ["GIF at most " + ", ".join(said)] if said else []


def _row(spec: PlatformSpec) -> str:
    alt = f"{spec.features.alt_chars:,}" if spec.features.alt_chars is not None else "none declared"
    return f"| `{spec.name}` | {_cell(spec, 'image')} | {_cell(spec, 'video')} | {spec.max_images} | {alt} |"


# The table is made from the declarations, so docs/rules.md says what lint does.
DOC = (__doc__ or "").replace("@@TABLE@@", "\n".join(
    ["| platform | image | video | images per part | alt text, characters |",
     "|----------|-------|-------|-----------------|----------------------|"]
    + [_row(spec) for spec in SPECS.values()]))

RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, check, TYPE, DOC, OPTIONS, EXAMPLES)
