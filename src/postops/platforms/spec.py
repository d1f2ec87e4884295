"""What each platform accepts, declared once per platform: lint, plan, publish, the JSON Schema of posts, the
generated workflows and the docs all read these declarations and nothing else.

The declarations live here rather than in each adapter module because lint reads them on every run and must
not import the adapters (they import `requests` and, for X, tweepy). Each adapter takes its own with
`SPEC = SPECS["<name>"]`, so what it enforces at publish time is what lint said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the config's schema reads these declarations: no import of the config at run time
    from postops.repo.config import Account
    from postops.repo.media import MediaInfo

# How a platform counts the length of a text (postops.lint.facts.measure does each one).
Counting = Literal["x-weighted", "mastodon", "graphemes", "characters"]
# What a post's `reply_to` may name besides another post in the repository.
ReplyForm = Literal["link", "at-uri", "id"]


@dataclass(frozen=True)
class PollLimits:
    """What a platform accepts in a poll (Mastodon: the defaults of its software; an instance may differ)."""

    min_options: int
    max_options: int
    max_option_chars: int
    min_minutes: int
    max_minutes: int
    with_media: bool                # whether a poll can go with images or video in the same post
    with_quote: bool = True         # whether a poll can go in a post that quotes another


@dataclass(frozen=True)
class Features:
    """Which kinds of post a platform takes besides text, media, replies and threads."""

    repost: bool = False            # X retweet, Mastodon boost, Bluesky repost record
    quote: bool = False             # X quote post, Mastodon quote, Bluesky record embed
    poll: PollLimits | None = None
    alt_chars: int | None = None    # the longest alt text (image description) it takes, in characters


@dataclass(frozen=True)
class VideoLimits:
    """What a platform checks in a video's content (postops.repo.mp4 reads it), where it documents a limit;
    None is "none documented"."""

    seconds: tuple[float, float] | None = None      # the shortest and the longest, both taken
    min_side: int | None = None                     # pixels, each side at least
    # pixels, the longer side and the shorter at most, whichever way round the video is
    max_sides: tuple[int, int] | None = None
    max_ratio: int | None = None                    # the longer side at most this many times the shorter
    frame_rate: int | None = None                   # frames per second at most
    whole_frames: bool = False                      # the frame rate is compared rounded down (Mastodon's floor)
    square_pixels: bool = False                     # a pixel aspect ratio of 1:1 only
    audio: tuple[str, ...] | None = None            # the sound formats it takes (postops.repo.mp4's names)
    max_channels: int | None = None                 # sound channels at most
    chroma: tuple[str, ...] | None = None           # the chroma formats it takes ("4:2:0"), of H.264 video
    progressive: bool = False                       # progressive scan only: no H.264 coded with fields


@dataclass(frozen=True)
class GifLimits:
    """What a platform checks in an animated GIF besides its bytes and pixels, where it documents it; None is
    "none documented"."""

    max_size: tuple[int, int] | None = None     # width and height at most, that way round
    frames: int | None = None                   # frames at most
    frame_pixels: int | None = None             # width x height x frames at most


@dataclass(frozen=True)
class Limits:
    """An account's own limits where its server sets them: a Mastodon instance's `configuration` (GET
    /api/v2/instance, https://docs.joinmastodon.org/entities/Instance/#configuration), by the names it gives
    them. None is "as the platform's declaration says"."""

    max_characters: int | None = None               # statuses.max_characters
    characters_reserved_per_url: int | None = None  # statuses.characters_reserved_per_url
    max_media_attachments: int | None = None        # statuses.max_media_attachments
    image_size_limit: int | None = None             # media_attachments.image_size_limit, bytes
    image_matrix_limit: int | None = None           # media_attachments.image_matrix_limit, pixels (width x height)
    video_size_limit: int | None = None             # media_attachments.video_size_limit, bytes
    video_matrix_limit: int | None = None           # media_attachments.video_matrix_limit, pixels (width x height)
    video_frame_rate_limit: int | None = None       # media_attachments.video_frame_rate_limit, frames per second
    description_limit: int | None = None            # media_attachments.description_limit (alt text), characters
    max_options: int | None = None                  # polls.max_options
    max_characters_per_option: int | None = None    # polls.max_characters_per_option
    min_expiration: int | None = None               # polls.min_expiration, seconds
    max_expiration: int | None = None               # polls.max_expiration, seconds

    def over(self, base: Limits | None) -> Limits:
        """These limits, with `base`'s where these say nothing."""
        if base is None:
            return self
        return Limits(**{name: getattr(self, name) if getattr(self, name) is not None else getattr(base, name)
                         for name in LIMIT_GROUPS})

    def differences(self, other: Limits) -> list[str]:
        """`group.name: mine -> other's` for every limit the two set differently, in the instance's names."""
        return [f"{LIMIT_GROUPS[name]}.{name}: {getattr(self, name)} -> {getattr(other, name)}"
                for name in LIMIT_GROUPS if getattr(self, name) != getattr(other, name)]


# Each limit's group in the instance's `configuration`, in the order the docs and files list them.
LIMIT_GROUPS: dict[str, str] = {
    "max_characters": "statuses", "characters_reserved_per_url": "statuses", "max_media_attachments": "statuses",
    "image_size_limit": "media_attachments", "image_matrix_limit": "media_attachments",
    "video_size_limit": "media_attachments", "video_matrix_limit": "media_attachments",
    "video_frame_rate_limit": "media_attachments", "description_limit": "media_attachments",
    "max_options": "polls", "max_characters_per_option": "polls", "min_expiration": "polls",
    "max_expiration": "polls",
}


@dataclass(frozen=True)
class PlatformSpec:
    """Everything a platform checks before it accepts a post that postops can know beforehand."""

    name: str                       # as in postops.yaml: x, mastodon, ...
    title: str                      # as people write it: X, Mastodon, ...
    text_limit: int | None          # None: nobody counts (the outbox)
    text_unit: str                  # what text_limit counts, in words
    counting: Counting
    counted_as: str = ""            # how it counts, in words, for the docs
    limit_option: str = ""          # the account option in postops.yaml that changes text_limit, in words
    text_bytes: int | None = None   # a limit in UTF-8 bytes as well (Bluesky's record text)
    # bytes per kind of media; a kind left out is one postops cannot post there, None is "no limit in bytes"
    media_bytes: dict[str, int | None] = field(default_factory=dict)
    format_bytes: dict[str, int] = field(default_factory=dict)   # per format, where it differs from its kind's
    # the kinds whose limit in bytes the platform words as "less than": a file of exactly that size is refused
    bytes_below: tuple[str, ...] = ()
    # formats (postops.repo.media.FORMATS, read from the file's content), where fewer than postops takes
    media_formats: tuple[str, ...] | None = None
    # the most pixels (width times height) per kind, or per format where that differs
    max_pixels: dict[str, int] = field(default_factory=dict)
    video: VideoLimits = VideoLimits()
    gif: GifLimits = GifLimits()
    max_images: int = 4
    max_reply_images: int | None = None             # images a reply or thread part takes, where fewer
    reply_forms: tuple[ReplyForm, ...] = ("link", "id")
    features: Features = Features()
    secrets: tuple[str, ...] = ()   # suffixes of the environment variables its `credentials:` prefix names

    def text_limit_for(self, account: Account | None) -> int | None:
        """The text limit for `account`: what its platform options in postops.yaml say, else the default."""
        if account is not None:
            if self.name == "x" and account.premium:
                return X_PREMIUM_LIMIT
            own = _own(self, account)
            if own is not None and own.max_characters is not None:
                return own.max_characters
        return self.text_limit

    def url_chars_for(self, account: Account | None) -> int:
        """What one link counts towards the text limit, where a platform counts links as a fixed length."""
        own = _own(self, account)
        return own.characters_reserved_per_url if own and own.characters_reserved_per_url is not None else URL_CHARS

    def max_images_for(self, account: Account | None) -> int:
        own = _own(self, account)
        return own.max_media_attachments if own and own.max_media_attachments is not None else self.max_images

    def media_bytes_for(self, account: Account | None) -> dict[str, int | None]:
        sizes = dict(self.media_bytes)
        if account is not None and self.name == "x" and account.premium and "video" in sizes:
            sizes["video"] = X_PREMIUM_VIDEO_BYTES
        own = _own(self, account)
        if own is not None:
            for kind, limit in (("image", own.image_size_limit), ("video", own.video_size_limit)):
                if kind in sizes and limit is not None:
                    sizes[kind] = limit
        return sizes

    def max_pixels_for(self, account: Account | None) -> dict[str, int]:
        """The most pixels per kind or format, with the image and video limits `account`'s own server sets (its
        GIF limit is its software's: no instance reports one)."""
        most = dict(self.max_pixels)
        own = _own(self, account)
        if own is not None:
            for kind, limit in (("image", own.image_matrix_limit), ("video", own.video_matrix_limit)):
                if limit is not None:
                    most[kind] = limit
        return most

    def video_for(self, account: Account | None) -> VideoLimits:
        """What the platform checks in a video, for `account`: an X Premium account's larger pictures and longer
        videos, the frame rate a Mastodon account's own server sets."""
        video = self.video
        if account is not None and self.name == "x" and account.premium and video.max_sides is not None:
            video = replace(video, max_sides=X_PREMIUM_VIDEO_SIDES,
                            seconds=(video.seconds[0], X_PREMIUM_VIDEO_SECONDS) if video.seconds else None)
        own = _own(self, account)
        if own is not None and own.video_frame_rate_limit is not None:
            video = replace(video, frame_rate=own.video_frame_rate_limit)
        return video

    def features_for(self, account: Account | None) -> Features:
        """What the platform takes, with the poll and alt text limits `account`'s own server sets."""
        own = _own(self, account)
        if own is None:
            return self.features
        poll = self.features.poll
        if poll is not None:
            poll = replace(
                poll,
                max_options=own.max_options if own.max_options is not None else poll.max_options,
                max_option_chars=(own.max_characters_per_option if own.max_characters_per_option is not None
                                  else poll.max_option_chars),
                # durations in whole minutes, as posts give them: round inwards
                min_minutes=math.ceil(own.min_expiration / 60) if own.min_expiration is not None else poll.min_minutes,
                max_minutes=own.max_expiration // 60 if own.max_expiration is not None else poll.max_minutes)
        alt = own.description_limit if own.description_limit is not None else self.features.alt_chars
        return replace(self.features, poll=poll, alt_chars=alt)


    def media_refusals(self, info: MediaInfo, rel: str, account: Account | None = None) -> list[str]:
        """Why this platform would refuse the media file `rel`, as read from its content: its kind, format,
        size in bytes (`account`'s own server's, where it sets them) and pixels. Lint reports each; publish
        refuses to upload on the first."""
        sizes = self.media_bytes_for(account)
        own = f" (account {account.key}'s instance)" if account is not None and _own(self, account) else ""
        if sizes and info.kind not in sizes:
            return [f"media {rel!r} is a {info.kind}; postops cannot post {info.kind}s to {self.title}"]
        found = []
        if self.media_formats is not None and info.format not in self.media_formats:
            found.append(f"media {rel!r} is a {info.format.upper()} {info.kind}; {self.title} takes only "
                         f"{', '.join(f.upper() for f in self.media_formats)}")
        limit = self.format_bytes.get(info.format, sizes.get(info.kind))
        below = info.format not in self.format_bytes and info.kind in self.bytes_below
        if limit is not None and (info.size >= limit if below else info.size > limit):
            which = f"{info.format.upper()} files" if info.format in self.format_bytes else f"{info.kind}s{own}"
            found.append(f"media {rel!r} is {info.size:,} bytes; {self.name} allows {'less than' if below else 'at most'} "
                         f"{limit:,} bytes for {which}")
        pixels = self.max_pixels_for(account)
        most = pixels.get(info.format, pixels.get(info.kind))
        if most is not None and info.pixels is not None and info.pixels > most:
            which = f"{info.format.upper()} images" if info.format in pixels else f"{info.kind}s"
            found.append(f"media {rel!r} is {info.width}x{info.height} pixels ({info.pixels:,}); {self.title} takes "
                         f"{which} of at most {most:,} pixels{'' if info.format in pixels else own}")
        if info.kind == "video":
            found += self._video_refusals(info, rel, account, own)
        if info.format == "gif":
            found += self._gif_refusals(info, rel)
        return found

    def _gif_refusals(self, info: MediaInfo, rel: str) -> list[str]:
        gif, found = self.gif, []
        if gif.max_size is not None and info.width is not None and info.height is not None and (
                info.width > gif.max_size[0] or info.height > gif.max_size[1]):
            found.append(f"media {rel!r} is a GIF of {info.width}x{info.height} pixels; {self.title} takes GIFs of at "
                         f"most {gif.max_size[0]}x{gif.max_size[1]} (width x height)")
        if info.frames is not None:
            if gif.frames is not None and info.frames > gif.frames:
                found.append(f"media {rel!r} is a GIF of {info.frames:,} frames; {self.title} takes GIFs of at most "
                             f"{gif.frames:,}")
            total = info.pixels * info.frames if info.pixels is not None else None
            if gif.frame_pixels is not None and total is not None and total > gif.frame_pixels:
                found.append(f"media {rel!r} is a GIF of {info.frames:,} frames of {info.width}x{info.height} pixels "
                             f"({total:,} in all); {self.title} takes GIFs of at most {gif.frame_pixels:,} pixels "
                             "(width x height x frames)")
        return found

    def _video_refusals(self, info: MediaInfo, rel: str, account: Account | None, own: str) -> list[str]:
        video, found = self.video_for(account), []
        if video.seconds is not None:
            shortest, longest = video.seconds
            if info.duration is None:
                # the platform limits the length and the file does not say it: lint must not pass it silently
                found.append(f"media {rel!r} is a video whose length postops cannot read "
                             f"({info.unknown_length or 'the file does not give it'}); {self.title} takes videos of "
                             f"{duration_text(shortest)} to {duration_text(longest)}: export it again as a video that "
                             "is not fragmented")
            elif not shortest <= info.duration <= longest:
                found.append(f"media {rel!r} is a video of {_number(info.duration, 3)} seconds; {self.title} takes "
                             f"videos of {duration_text(shortest)} to {duration_text(longest)}")
        if info.width is not None and info.height is not None:
            size, longer, shorter = f"{info.width}x{info.height}", max(info.width, info.height), min(info.width, info.height)
            if video.min_side is not None and shorter < video.min_side:
                found.append(f"media {rel!r} is a video of {size} pixels; {self.title} takes videos of at least "
                             f"{video.min_side}x{video.min_side}")
            if video.max_sides is not None and (longer > video.max_sides[0] or shorter > video.max_sides[1]):
                premium = " for an account with `premium: true`" if video.max_sides != self.video.max_sides else ""
                found.append(f"media {rel!r} is a video of {size} pixels; {self.title} takes videos of at most "
                             f"{video.max_sides[0]}x{video.max_sides[1]} (or {video.max_sides[1]}x"
                             f"{video.max_sides[0]}){premium}")
            if video.max_ratio is not None and longer > video.max_ratio * shorter:
                found.append(f"media {rel!r} is a video of {size} pixels; {self.title} takes aspect ratios between "
                             f"1:{video.max_ratio} and {video.max_ratio}:1")
        if video.square_pixels and info.pixel_aspect is not None and info.pixel_aspect[0] != info.pixel_aspect[1]:
            found.append(f"media {rel!r} is a video whose pixels are not square (pixel aspect ratio "
                         f"{info.pixel_aspect[0]}:{info.pixel_aspect[1]}); {self.title} takes only 1:1")
        if video.audio is not None and info.audio is not None and info.audio not in video.audio:
            found.append(f"media {rel!r} is a video whose sound is {info.audio}; {self.title} takes only "
                         f"{' or '.join(video.audio)} sound")
        if video.chroma is not None and info.chroma is not None and info.chroma not in video.chroma:
            found.append(f"media {rel!r} is a video in YUV {info.chroma}; {self.title} takes only "
                         f"{' or '.join('YUV ' + c for c in video.chroma)}: export it again in 4:2:0 (yuv420p)")
        if video.progressive and info.interlaced:
            found.append(f"media {rel!r} is an interlaced video (its H.264 pictures may be coded as fields); "
                         f"{self.title} takes only progressive scan: export it again as progressive")
        if video.max_channels is not None and info.channels is not None and info.channels > video.max_channels:
            found.append(f"media {rel!r} is a video with {info.channels} sound channels; {self.title} takes at most "
                         f"{video.max_channels} (mono or stereo)")
        if video.frame_rate is not None and info.frame_rate is not None:
            rate = math.floor(info.frame_rate) if video.whole_frames else info.frame_rate
            if rate > video.frame_rate:
                found.append(f"media {rel!r} is a video of {_number(info.frame_rate)} frames per second; "
                             f"{self.title} takes at most {video.frame_rate}{own}")
        return found


def duration_text(seconds: float) -> str:
    """A video length as platforms give theirs: 0.5 seconds, 140 seconds, 20 minutes, 125 minutes."""
    if seconds >= 180 and seconds % 60 == 0:
        return f"{_number(seconds / 60)} minutes"
    return f"{_number(seconds)} seconds"


def _number(value: float, places: int = 2) -> str:
    """A number as people write it: 140, 0.5, 59.94 (`places` decimals at most, none that are zero)."""
    return f"{value:,.{places}f}".rstrip("0").rstrip(".")


def _own(spec: PlatformSpec, account: Account | None) -> Limits | None:
    """The limits `account`'s own server sets, where its platform lets a server set them."""
    if account is None or spec.name not in OWN_LIMITS:
        return None
    return account.limits


# What a link counts on platforms that count every link as the same length (X; Mastodon's default).
URL_CHARS = 23


# X Premium accounts "can post up to 25,000 characters" (https://help.x.com/en/using-x/x-premium): an account
# says `premium: true` in postops.yaml.
X_PREMIUM_LIMIT = 25_000
# "Subscribed users can upload a 1080p video and get 1080p playback" (X's media best practices, video
# recommendations): 1920x1080, either way round.
X_PREMIUM_VIDEO_SIDES = (1920, 1080)
# "X Premium / verified accounts": Video on a Post (tweet_video) "0.5 seconds–125 minutes", "16 GB" (X's media
# best practices, "Size and duration limits"; POST /2/media/upload/initialize takes total_bytes up to 16 GB,
# 17,179,869,184 bytes in its schema: GB there are GiB).
X_PREMIUM_VIDEO_SECONDS = 125 * 60
X_PREMIUM_VIDEO_BYTES = 16 * 1024 ** 3

SPECS: dict[str, PlatformSpec] = {
    # https://docs.x.com/resources/fundamentals/counting-characters: 280, most characters 1, CJK and emoji 2,
    # every URL 23 (twitter-text v3). Media (https://docs.x.com/x-api/media/quickstart/best-practices, "Size and
    # duration limits", which "are enforced first by the upload endpoints, then again when you attach a
    # media_id to a Post"): images 5 MB, GIFs 15 MB, 4 images; "Video on a Post" (tweet_video, which postops
    # uploads) "0.5 seconds–20 minutes" and "8 GB" for a default account, 125 minutes and 16 GB for "X Premium
    # / verified" (X_PREMIUM_VIDEO_SECONDS, X_PREMIUM_VIDEO_BYTES). 140 seconds and 512 MB are "Video in a DM"
    # (dm_video), which postops does not send. GB are GiB: the initialize schema's 16 GB is 17,179,869,184.
    # Alt text: POST /2/media/metadata takes alt_text.text of at most 1,000 characters. Animated GIFs
    # ("Animated GIF recommendations": "A GIF may fail during Post creation even if it is within the file size
    # limit"): resolution "<= 1280x1080 (width x height)", "Number of frames: <= 350",
    # "Number of pixels: <= 300 million (width * height * num_frames)"; postops uploads every GIF as tweet_gif.
    # POST /2/tweets: poll options 2-4 of up to 25 characters, duration_minutes 5-10080, and
    # `poll` "is mutually exclusive from Media, Quote Tweet Id, and Card URI": a poll, never with media or a quote.
    # X documents no limit in pixels for images. Video (media best practices, "Video specifications and
    # recommendations", which postops' tweet_video uploads meet): frame rate "60 FPS or less", dimensions
    # "between 32x32 and 1280x1024", duration "at least 0.5 seconds" (and at most the limits above), aspect
    # ratio "between 1:3 and 3:1". The same page recommends 720x1280 for a portrait video, so the dimensions hold whichever way
    # round a video is: the longer side at most 1280, the shorter at most 1024; "Subscribed users can upload a
    # 1080p video" (X_PREMIUM_VIDEO_SIDES). The same list's requirements that a file's boxes give: "Pixel aspect
    # ratio: must have 1:1" (a `pasp` box), "Audio must be AAC with Low Complexity profile. (High-Efficiency AAC
    # is not supported)" and "Audio must be mono or stereo, not 5.1 or greater" (the sound track's esds). Its
    # "Recommended" H264 High Profile is a recommendation, not checked. Its "Only YUV 4:2:0 pix_fmt supported" and
    # "Must use progressive scan" are read from an H.264 video's sequence parameter set; "Must not have open GOP"
    # is in the frames themselves, not read.
    "x": PlatformSpec(
        "x", "X", 280, "weighted characters", "x-weighted",
        counted_as="twitter-text's weighted length: most characters 1, CJK and emoji 2, every URL 23",
        limit_option="25,000 for an account with `premium: true`",
        media_bytes={"image": 5 * 1024 * 1024, "video": 8 * 1024 ** 3}, format_bytes={"gif": 15 * 1024 * 1024},
        video=VideoLimits(seconds=(0.5, 20 * 60), min_side=32, max_sides=(1280, 1024), max_ratio=3, frame_rate=60,
                          square_pixels=True, audio=("AAC LC",), max_channels=2, chroma=("4:2:0",), progressive=True),
        gif=GifLimits(max_size=(1280, 1080), frames=350, frame_pixels=300_000_000),
        features=Features(repost=True, quote=True,
                          poll=PollLimits(2, 4, 25, 5, 10080, with_media=False, with_quote=False), alt_chars=1000),
        secrets=("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_SECRET")),
    # https://docs.joinmastodon.org/entities/Instance/#statuses: max_characters 500 by default and
    # characters_reserved_per_url 23; Mastodon's StatusLengthValidator counts grapheme clusters, only URLs
    # written with their scheme count 23, and @user@server counts as @user. media_attachments: image_size_limit
    # 16 MiB, video_size_limit 99 MiB, description_limit 1,500 (MediaAttachment::MAX_DESCRIPTION_LENGTH);
    # max_media_attachments 4. Polls: 4 options of 50 characters, 5 minutes to 2629746 seconds; media_ids and poll
    # cannot be combined. Quotes need Mastodon 4.5. These are the software's defaults: each instance gives its own
    # in the `configuration` of GET /api/v2/instance, which an account's `limits` (Limits, above) carry.
    # Pixels: image_matrix_limit 33,177,600 (the Instance entity's example, mastodon.social's answer), which
    # Mastodon's Attachmentable concern enforces (MAX_MATRIX_LIMIT, "7680x4320px"), with GIF_MATRIX_LIMIT
    # 921,600 (1280x720) for GIFs; width times height above it is refused ("images are not supported"). An
    # instance reports its own image_matrix_limit (other servers' are smaller: 16,777,216 is common), which wins.
    # Video: video_matrix_limit 8,294,400 (MAX_VIDEO_MATRIX_LIMIT, "3840x2160px") and video_frame_rate_limit 120
    # (MAX_VIDEO_FRAME_RATE); MediaAttachment#check_video_dimensions refuses width x height above the first
    # ("videos are not supported") and a frame rate whose floor is above the second (ffprobe's avg_frame_rate),
    # and a file without a video stream. An instance reports its own, which win. Mastodon limits no length.
    # Bytes: MediaAttachment validates `validates_attachment_size :file, less_than:` IMAGE_LIMIT or VIDEO_LIMIT
    # (the image_size_limit and video_size_limit it reports), so a file of exactly the limit is refused.
    "mastodon": PlatformSpec(
        "mastodon", "Mastodon", 500, "characters", "mastodon",
        counted_as="grapheme clusters (what a reader sees as one character); every URL written with `https://` "
                   "23, one without it in full; `@user@server` counts as `@user`",
        limit_option="or the instance's own: `postops limits --refresh` reads it into postops.limits.yaml",
        media_bytes={"image": 16 * 1024 * 1024, "video": 99 * 1024 * 1024}, bytes_below=("image", "video"),
        max_pixels={"image": 33_177_600, "gif": 921_600, "video": 8_294_400},
        video=VideoLimits(frame_rate=120, whole_frames=True),
        features=Features(repost=True, quote=True, poll=PollLimits(2, 4, 50, 5, 43829, with_media=False),
                          alt_chars=1500),
        secrets=("ACCESS_TOKEN",)),
    # The app.bsky.feed.post lexicon (https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/
    # feed/post.json): text maxGraphemes 300 AND maxLength 3,000 (UTF-8 bytes). The app.bsky.embed.images
    # lexicon (lexicons/app/bsky/embed/images.json there): `images` maxLength 4, each image blob maxSize 1000000
    # bytes (lint and the adapter both read media_bytes and max_images from here). postops posts no video to Bluesky (app.bsky.embed.video needs the
    # separate video service), so lint refuses it. A reply_to is a bsky.app link or an at:// URI. A repost is an
    # app.bsky.feed.repost record, a quote an app.bsky.embed.record; no polls.
    "bluesky": PlatformSpec(
        "bluesky", "Bluesky", 300, "graphemes", "graphemes", text_bytes=3000,
        counted_as="graphemes (what a reader sees as one character), and UTF-8 bytes",
        media_bytes={"image": 1000 * 1000}, reply_forms=("link", "at-uri", "id"),
        features=Features(repost=True, quote=True), secrets=("APP_PASSWORD",)),
    # A Page post's message is cut at 63,206 characters; a photo is "less than 10 MB" (Graph API Photo
    # reference): 10,000,000 bytes is refused, one byte fewer taken. A reply or thread part is a comment, which
    # takes one image; postops posts no video there.
    "facebook": PlatformSpec(
        "facebook", "Facebook", 63206, "characters", "characters", counted_as="characters, links in full",
        media_bytes={"image": 10 * 1000 * 1000}, bytes_below=("image",),
        max_reply_images=1, reply_forms=("id",), secrets=("PAGE_TOKEN",)),
    # The Posts API refuses commentary over 3,000 characters; the Images API
    # (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api) takes JPEG,
    # PNG and GIF "with a total pixel count (width x height) less than 36,152,320", and no limit in bytes;
    # postops posts no video and no replies there.
    "linkedin": PlatformSpec(
        "linkedin", "LinkedIn", 3000, "characters", "characters", counted_as="characters, links in full",
        media_bytes={"image": None}, max_pixels={"image": 36_152_320 - 1},
        media_formats=("gif", "jpeg", "png"), reply_forms=(), secrets=("ACCESS_TOKEN",)),
    # A folder of JSON files: for rehearsals and tests, so it takes everything the others take, and more.
    "outbox": PlatformSpec(
        "outbox", "outbox", None, "", "characters",
        media_bytes={"image": 50 * 1024 * 1024, "video": 512 * 1024 * 1024},
        features=Features(repost=True, quote=True, poll=PollLimits(2, 10, 1000, 1, 10**6, with_media=True))),
}

# The platforms whose servers set their own limits, which an account can declare (`limits:` in postops.yaml,
# or read from the server into postops.limits.yaml by `postops limits --refresh`).
OWN_LIMITS = ("mastodon",)

# The platforms that count the length of a text, in the order the docs list them.
COUNTED = tuple(name for name, spec in SPECS.items() if spec.text_limit is not None)


def spec_of(platform: str) -> PlatformSpec:
    return SPECS[platform]


_REPLY_WORDS = {"link": "a link to a post", "at-uri": "an at:// URI", "id": "the id of another post here"}


def reply_forms_text() -> str:
    """What a `reply_to` may be on each platform, in words: for the JSON Schema of posts and the docs."""
    return "; ".join(f"{spec.title}: {' or '.join(_REPLY_WORDS[f] for f in spec.reply_forms) or 'no replies'}"
                     for spec in SPECS.values() if spec.name != "outbox")
