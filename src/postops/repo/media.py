"""Media files a post names: where they may be, and what they may be, checked the same way by lint and by
publish right before a file is read, so that a suppressed lint finding never makes publish upload a file
from outside the reviewed repository (a symlink to /proc/self/environ, say).

What a file is comes from its content, not its name: a text file named `chart.png` is no image. Image
headers are read by Pillow (imported only for a post that has media: a one-file lint of a post without
media never loads it); a video is known by the `ftyp` box that starts an MP4 or QuickTime file, and its
length, dimensions and frame rate are read from its boxes by postops.repo.mp4.
"""

from __future__ import annotations

import codecs
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from postops.errors import PostopsError
from postops.repo.mp4 import BeyondBounds, NoVideoTrack, VideoDamage, read_video

MEDIA_TYPES = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
    ".mp4": "video", ".mov": "video",
}
# Each format postops posts, by the name its content gives it (Pillow's, lower case, for images): its kind,
# and the file names it goes by (platforms take a file's type from its name as well, so the two must agree).
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "png": ("image", (".png",)), "jpeg": ("image", (".jpg", ".jpeg")), "gif": ("image", (".gif",)),
    "webp": ("image", (".webp",)), "mp4": ("video", (".mp4",)), "mov": ("video", (".mov",)),
}
_PILLOW_FORMATS = ["PNG", "JPEG", "GIF", "WEBP"]
# A camera's multi-picture JPEG (MPO, CIPA DC-007) is a JPEG followed by more pictures: platforms show the first,
# a JPEG, and Pillow names the file MPO.
_PILLOW_NAMES = {"MPO": "jpeg"}
# QuickTime's file type brand; any other brand in an `ftyp` box is read as MP4 (ISO/IEC 14496-12)
_QUICKTIME = b"qt  "
# Boxes an older QuickTime file may start with instead of `ftyp`
_QUICKTIME_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip")


@dataclass(frozen=True)
class MediaInfo:
    """What a media file's content says it is."""

    kind: str                   # image | video
    format: str                 # a key of FORMATS
    size: int                   # bytes
    width: int | None = None    # pixels, of an image or of a video's pictures
    height: int | None = None
    duration: float | None = None      # seconds, for a video that says
    frame_rate: float | None = None    # frames per second, for a video that says
    frames: int | None = None          # frames of a GIF, where the file is small enough to count them
    unknown_length: str | None = None  # why a video's length (duration None) cannot be known, in words
    pixel_aspect: tuple[int, int] | None = None   # a video's pixel aspect ratio where its file gives one
    audio: str | None = None           # a video's sound format in words ("AAC LC", "HE-AAC", "ac-3"); None: none
    channels: int | None = None        # its sound channels, where its file says
    chroma: str | None = None          # an H.264 video's chroma format ("4:2:0", "4:2:2", ...); None: not read
    interlaced: bool | None = None     # an H.264 video coded with fields; None: not read

    @property
    def pixels(self) -> int | None:
        return self.width * self.height if self.width is not None and self.height is not None else None


class MediaProblem(PostopsError):
    """A media file that must not be read or uploaded."""


def symlink_on_path(root: Path, rel: str, real_dirs: set[str] | None = None) -> str | None:
    """The first part of `rel` (relative to `root`) that is a symbolic link, or None.

    A symlink in the repository lets a reviewed file's content come from somewhere nobody reviews (another
    folder, or outside the repository): postops refuses them where approval matters. `real_dirs` remembers,
    for one pass over many files, the folders already found not to be links (10,000 posts share a few dozen)."""
    current = os.fspath(root)
    # the parts as Path(rel).parts gives them ("a//b/./c" -> a, b, c), without building a Path per file:
    # a pass over 10,000 posts spent a quarter of its time there
    parts = Path(rel).parts if os.path.isabs(rel) or os.sep != "/" else \
        tuple(part for part in rel.split("/") if part and part != ".")
    last = len(parts) - 1
    if real_dirs is not None and last > 0:
        # the file's folder known free of links (its siblings were checked): only the file itself is left
        folder = os.path.join(current, *parts[:last])
        if folder in real_dirs:
            return "/".join(parts) if os.path.islink(os.path.join(folder, parts[last])) else None
    for i, part in enumerate(parts):
        current = os.path.join(current, part)
        if i < last and real_dirs is not None and current in real_dirs:
            continue
        if os.path.islink(current):
            return "/".join(parts[: i + 1])
        if i < last and real_dirs is not None:
            real_dirs.add(current)
    return None


def media_file(root: Path, rel: str) -> tuple[Path, str]:
    """(absolute path, kind) of the media file `rel`; MediaProblem when it must not be read."""
    if "\0" in rel:
        raise MediaProblem(f"media path {rel!r} contains a NUL character")
    base = root.resolve()
    if os.path.isabs(rel) or not (base / rel).resolve().is_relative_to(base):
        raise MediaProblem(f"media {rel!r} is outside the repository")
    link = symlink_on_path(base, rel)
    if link is not None:
        shown = "" if link == rel else f" ({link} is)"
        raise MediaProblem(f"media {rel!r} is a symbolic link{shown}: media must be a file in the repository, "
                           "reviewed as it is")
    target = base / rel
    if not target.is_file():
        raise MediaProblem(f"media {rel!r} is not a regular file" if target.exists() else
                           f"media file {rel!r} does not exist")
    kind = MEDIA_TYPES.get(target.suffix.lower())
    if kind is None:
        raise MediaProblem(f"media {rel!r} has an unsupported type; use one of {', '.join(sorted(MEDIA_TYPES))}")
    return target, kind


def inspect_media(target: Path, rel: str) -> MediaInfo:
    """What `target` (the media file `rel`) is, from its content; MediaProblem when it is not an image or video
    postops posts, or not what its name says."""
    try:
        with open(target, "rb") as handle:
            head = handle.read(32)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise MediaProblem(f"media {rel!r} cannot be read: {exc.strerror}") from None
    named = MEDIA_TYPES.get(Path(rel).suffix.lower(), "media")
    video = _video_format(head)
    info = _video(target, rel, video, size) if video else _image(target, rel, head, size, named)
    suffixes = FORMATS[info.format][1]
    if Path(rel).suffix.lower() not in suffixes:
        raise MediaProblem(f"media {rel!r} is a {info.format.upper()} {info.kind} named {Path(rel).suffix or 'without a type'}: "
                           f"rename it to {suffixes[0]}, which platforms read its type from too")
    return info


def _video_format(head: bytes) -> str | None:
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == _QUICKTIME else "mp4"
    return "mov" if head[4:8] in _QUICKTIME_BOXES else None


def _video(target: Path, rel: str, fmt: str, size: int) -> MediaInfo:
    try:
        with open(target, "rb") as handle:
            facts = read_video(handle, size)
    except OSError as exc:
        raise MediaProblem(f"media {rel!r} cannot be read: {exc.strerror}") from None
    except VideoDamage as exc:
        raise MediaProblem(f"media {rel!r} is a damaged {fmt.upper()} video ({exc}); export it again") from None
    except BeyondBounds as exc:
        raise MediaProblem(f"media {rel!r} is a video postops does not read: {exc}; export it again") from None
    except NoVideoTrack:
        raise MediaProblem(f"media {rel!r} has no video track (its {fmt.upper()} file holds only sound or other "
                           "data): platforms refuse it as a video") from None
    return MediaInfo("video", fmt, size, facts.width, facts.height, facts.duration, facts.frame_rate,
                     unknown_length=facts.unknown_length, pixel_aspect=facts.pixel_aspect, audio=facts.audio,
                     channels=facts.channels, chroma=facts.chroma, interlaced=facts.interlaced)


def _image(target: Path, rel: str, head: bytes, size: int, named: str) -> MediaInfo:
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - only for posts with media: lint stays fast

    signed = _signed(head)
    if signed == "webp" and _U32LE.unpack_from(head, 4)[0] + 8 > size:
        # RIFF's size field counts every byte after it: a WEBP cut short says it is longer than the file
        raise MediaProblem(f"media {rel!r} is a damaged WEBP image ({_CUT}); export it again")
    try:
        with warnings.catch_warnings(), open(target, "rb") as raw:
            # an image too large to decode safely is judged by its header and its size
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            reader = _Reader(raw)
            with Image.open(cast(BinaryIO, reader), formats=_PILLOW_FORMATS) as image:
                fmt, (width, height) = _PILLOW_NAMES.get(str(image.format), str(image.format).lower()), image.size
                damage = _damage(image, size, reader)
                frames = _frames(image, size) if fmt == "gif" and not damage else None
    except Image.DecompressionBombError:
        raise MediaProblem(f"media {rel!r} is an image of more than {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels, "
                           "which no platform takes") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        if signed is not None:  # its first bytes say what it is, and the rest does not follow: cut or broken
            why = _CUT if reader.ended else _failure(exc)
            raise MediaProblem(f"media {rel!r} is a damaged {signed.upper()} image ({why}); export it again") from None
        raise MediaProblem(f"media {rel!r} is not {'an' if named[0] in 'aeiou' else 'a'} {named}: its content is "
                           f"{_described(head)}, not one of {', '.join(f.upper() for f in FORMATS)}") from None
    if damage:
        raise MediaProblem(f"media {rel!r} is a damaged {fmt.upper()} image ({damage}); export it again")
    return MediaInfo("image", fmt, size, width, height, frames=frames)


class _Reader:
    """A file as Pillow reads it, noting whether a read asked for more bytes than were left. Pillow reads a
    header field by field, so a header cut short ends in such a read; and its failure then says nothing
    useful (or, as "cannot identify image file", names the file by its full path)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.ended = False

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if n > len(data):
            self.ended = True
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()


def _signed(head: bytes) -> str | None:
    """The image format a file's first bytes give (each format's signature), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((fmt for fmt, signature in _SIGNATURES.items() if head.startswith(signature)), None)


# The first bytes of each image format postops posts (a WEBP's are RIFF, its size, then WEBP).
_SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "gif": b"GIF8"}
# Decoding finds what a header cannot (a JPEG or GIF cut short by a copy or download that stopped), within
# bounds: a file larger than every platform's image limit (the outbox's 50 MiB is the largest) or of more
# pixels than Pillow calls safe to decode is judged by its header (and refused by its size, if it is too big).
_DECODE_BYTES = 64 * 1024 * 1024
_CUT = "the file ends before its image does"
_U32LE = struct.Struct("<I")


def _frames(image: Any, size: int) -> int | None:
    """How many frames an animated image has, where the file is small enough to walk (counting a GIF's
    frames reads every frame's blocks, without decoding them)."""
    return int(image.n_frames) if size <= _DECODE_BYTES else None


def _damage(image: Any, size: int, reader: _Reader) -> str | None:
    """What is wrong with an image whose header reads, or None when nothing is found.

    A PNG's chunks are checked against their CRCs without decoding its pixels (a chunk cut short, a flipped
    byte). A JPEG is decoded at an eighth of its width and height, which costs a fraction of a full decode
    but still reads every byte of its scans, so a file that ends before its image does is found. A GIF's
    first and last frames are decoded: a file cut short always ends in the last frame it still has, and
    walking to it reads every frame's blocks. No platform can process such a file."""
    from PIL import Image  # noqa: PLC0415 - only for posts with media

    # Pillow reads a PNG's chunks and a GIF's frame headers and blocks as their lengths say, so a read past the
    # end there is a cut; its decoders read in blocks, where that is no sign.
    exact = True
    try:
        if reader.ended:   # its header is all there is
            return _CUT
        if image.format == "PNG":
            image.verify()
            return _CUT if reader.ended else None
        safe = Image.MAX_IMAGE_PIXELS
        if size > _DECODE_BYTES or (safe is not None and image.width * image.height > safe):
            return None
        if image.format in ("JPEG", "MPO"):
            image.draft(None, (1, 1))  # libjpeg's smallest scale, 1/8
        exact = False
        image.load()
        if image.format == "GIF":
            exact, reader.ended = True, False
            last = image.n_frames - 1
            if last:
                image.seek(last)
                exact = False
                image.load()
    except Exception as exc:  # noqa: BLE001 - whatever Pillow's decoders raise on a broken file is damage
        return _CUT if exact and reader.ended else _failure(exc)
    return None


def _failure(exc: BaseException) -> str:
    """Pillow's words for a file it cannot decode, where they say something; a file that ends too early in
    plain words (Pillow says "Truncated File Read" or "image file is truncated (N bytes not processed)")."""
    said = str(exc) if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError, struct.error)) else ""
    if said == "Truncated File Read" or said.startswith("image file is truncated") or (
            isinstance(exc, struct.error) and "requires a buffer of at least" in said):   # a field it had no bytes for
        return _CUT
    return said or "its data cannot be decoded"


def _described(head: bytes) -> str:
    if not head:
        return "empty"
    try:  # a character cut at the end of the bytes read is no sign of binary data
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "unknown binary data"
    return "text" if all(c.isprintable() or c in "\t\n\r\f\v" for c in text) else "unknown binary data"
