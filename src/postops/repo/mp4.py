"""What an MP4 or QuickTime file says about its video, read from its boxes: its length, and the width, height
and frame rate of its first video track.

Both formats are the ISO base media file format (ISO/IEC 14496-12; QuickTime's atoms are the same boxes): a
file is a sequence of boxes, each a 32-bit size and a 4-character type (a size of 1 is followed by a 64-bit
one, a size of 0 runs to the end of the file), and `moov` holds the index of the media. What postops needs
is in a few of its boxes:
- `moov/mvhd`, the movie header: the timescale and the duration in it (ffprobe's format duration);
- `moov/mvex/mehd`, for a fragmented file whose movie header gives no duration: the fragments' duration;
- for a fragmented file (one whose `moov` has an `mvex`: its frames are listed in movie fragments after it),
  each top-level `moof`'s track fragments (`traf`): their header `tfhd` and runs `trun` give how many frames
  the video track has and for how long each is shown (or `tfhd`'s or `mvex/trex`'s default duration);
- `moov/trak/mdia/hdlr`: a track's handler, `vide` for video (QuickTime's component subtype is in the
  same place);
- `moov/trak/mdia/mdhd`: the track's own timescale;
- `moov/trak/mdia/minf/stbl/stsd`: its first sample description, whose VisualSampleEntry gives the width
  and height of the pictures, which is what a platform calls the video's dimensions;
- for H.264 (`avc1`, `avc3`), the format's decoder configuration `avcC` (ISO/IEC 14496-15, 5.3.3.1) and
  every sequence parameter set in it (ITU-T H.264, 7.3.2.1.1; an `avc3` may carry none, its sets being in
  its frames): its chroma format (4:2:0, 4:2:2, ...) and
  whether its pictures may be fields (`frame_mbs_only_flag` 0: interlaced), which X refuses;
- `moov/trak/mdia/minf/stbl/stts`: how many frames the track has and for how long each is shown; frames
  divided by that time is the frame rate ffprobe calls `avg_frame_rate`, which Mastodon compares with its
  limit.

It reads within fixed bounds, so that a hostile file costs little and can only be refused: the header of
each top-level box (at most MAX_BOXES of them) and the whole `moov` box when it is at most MAX_MOOV bytes;
the `moof` boxes of a fragmented file when they are at most MAX_FRAGMENTS bytes together (beyond that its
length is not known, and said so); inside them only the boxes on the way to those above, at most MAX_CHILDREN in any one box. Every size is
checked against what holds it before it is used: a box that says it is longer than what holds it, or
shorter than its own header or fields, is a VideoDamage saying which box, never an IndexError or a loop
that does not end. A file cut short is found the same way: its last box runs past the end of the file.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

# What postops reads at most. A `moov` of 16 MiB indexes about 2 million frames (9 hours at 60 frames per
# second), far more than any platform takes; real files have a few boxes at the top level (a fragmented one
# two or three per fragment) and a few dozen in any box.
MAX_MOOV = 16 * 1024 * 1024
# A fragment's index is a few dozen bytes and 4 to 16 bytes a frame: 16 MiB of them is over 2 hours at 60 frames
# per second in 1-second fragments.
MAX_FRAGMENTS = 16 * 1024 * 1024
MAX_BOXES = 65_536
MAX_CHILDREN = 4_096

_HEADER = struct.Struct(">I4s")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


@dataclass(frozen=True)
class VideoFacts:
    """What a video's content says about it."""

    duration: float | None      # seconds; None when the file does not say, and unknown_length says why
    width: int                  # pixels, of the first video track's pictures
    height: int
    frame_rate: float | None    # frames per second; None when the track lists no frames, or not for how long
    unknown_length: str | None = None   # why the duration cannot be known, in words
    pixel_aspect: tuple[int, int] | None = None   # its pictures' pasp box (width:height of a pixel), if it has one
    audio: str | None = None    # the first sound track's format in words ("AAC LC", "HE-AAC", "ac-3"), None: no sound
    channels: int | None = None  # that track's channels, where its format says
    chroma: str | None = None   # an H.264 video's chroma format ("4:2:0", "4:2:2", "4:4:4", "4:0:0"); None: not read
    interlaced: bool | None = None  # an H.264 video coded with fields (frame_mbs_only_flag 0); None: not read


class VideoDamage(ValueError):
    """A box that is not what ISO/IEC 14496-12 says it must be: the file is cut short or broken."""


class BeyondBounds(ValueError):
    """A file larger or more complicated than postops reads (see MAX_MOOV, MAX_BOXES, MAX_CHILDREN)."""


class NoVideoTrack(ValueError):
    """A well-formed file whose tracks are all sound or other data: no pictures."""


def read_video(handle: BinaryIO, size: int) -> VideoFacts:
    """The facts of the MP4 or QuickTime file open in `handle`, `size` bytes long."""
    moov, fragments = _scan(handle, size)
    facts, track = _facts(memoryview(moov))
    if track.fragmented:
        facts = _with_fragments(facts, track, handle, fragments)
    return facts


@dataclass(frozen=True)
class _Track:
    """What reading a fragmented file's fragments needs about its movie and its first video track."""

    fragmented: bool            # the movie has an mvex box: its frames are in fragments after moov
    movie_ticks: int            # the duration the movie header or mehd gives, 0 when neither does
    track_id: int
    timescale: int              # of the track's media time
    default_duration: int       # trex's default_sample_duration for the track, 0 when none


def _scan(handle: BinaryIO, size: int) -> tuple[bytes, list[tuple[int, int]]]:
    """The payload of the file's first `moov` box, and (start, length) of each top-level `moof`'s payload,
    after checking that the top-level boxes fill the file."""
    pos, count, moov = 0, 0, None
    fragments = []
    while size - pos >= 8:   # fewer bytes than a box header after the last box are ignored, as players do
        count += 1
        if count > MAX_BOXES:
            raise BeyondBounds(f"it has more than {MAX_BOXES:,} boxes at its top level")
        handle.seek(pos)
        head = handle.read(16)
        kind, header, length = _header(head, 0, size - pos, "the file")
        if kind == b"moov" and moov is None:
            if length - header > MAX_MOOV:
                raise BeyondBounds(f"its moov box (its index) is {length - header:,} bytes, more than the "
                                   f"{MAX_MOOV // (1024 * 1024)} MiB postops reads")
            handle.seek(pos + header)
            moov = handle.read(length - header)
            if len(moov) != length - header:
                raise VideoDamage("the file ends inside its moov box")
        elif kind == b"moof":
            fragments.append((pos + header, length - header))
        pos += length
    if moov is None:
        raise VideoDamage("it has no moov box, the index of its frames")
    return moov, fragments


def _with_fragments(facts: VideoFacts, track: _Track, handle: BinaryIO,
                    fragments: list[tuple[int, int]]) -> VideoFacts:
    """`facts` of a fragmented file, with the length and frame rate its fragments give where its moov did not."""
    frames = ticks = 0
    unknown = None
    if sum(length for _, length in fragments) > MAX_FRAGMENTS:
        unknown = (f"its movie fragments (moof) are {sum(length for _, length in fragments):,} bytes, more than the "
                   f"{MAX_FRAGMENTS:,} postops reads")
    else:
        for start, length in fragments:
            handle.seek(start)
            moof = handle.read(length)
            if len(moof) != length:
                raise VideoDamage("the file ends inside a movie fragment (moof)")
            more_frames, more_ticks = _fragment(memoryview(moof), track)
            frames, ticks = frames + more_frames, ticks + more_ticks
        if frames and not ticks:
            unknown = "its movie fragments give no durations for its frames"
    rate = facts.frame_rate
    if rate is None and frames and ticks:
        rate = frames * track.timescale / ticks
    if track.movie_ticks:          # the movie header or mehd said: facts has it
        return replace(facts, frame_rate=rate)
    if unknown is not None:
        return replace(facts, duration=None, frame_rate=rate, unknown_length=unknown)
    return replace(facts, duration=ticks / track.timescale, frame_rate=rate)


_TRUN_FIELDS = (0x100, 0x200, 0x400, 0x800)   # per frame: duration, size, flags, composition time offset


def _fragment(moof: memoryview, track: _Track) -> tuple[int, int]:
    """(frames, ticks of the track's timescale) of the video track in one movie fragment."""
    frames = ticks = 0
    for kind, start, end in _boxes(moof, 0, len(moof), "moof"):
        if kind != b"traf":
            continue
        tfhd = _first(moof, start, end, "traf", b"tfhd")
        if tfhd is None:
            raise VideoDamage("one of its track fragments (traf) has no header (tfhd)")
        flags = _U32.unpack_from(moof, tfhd[0])[0] & 0xFFFFFF if tfhd[1] - tfhd[0] >= 4 else 0
        # track_ID, then base_data_offset (64 bits, flag 0x01) and sample_description_index (0x02) when present
        at = 4 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
        layout = ">I" + "x" * (at - 4) + ("I" if flags & 0x08 else "")
        fields = _fields(moof, tfhd, "tfhd", layout)
        if fields[0] != track.track_id:
            continue
        default = fields[1] if flags & 0x08 else track.default_duration
        for run_kind, run_start, run_end in _boxes(moof, start, end, "traf"):
            if run_kind == b"trun":
                count, duration = _run(moof, run_start, run_end, default)
                frames, ticks = frames + count, ticks + duration
    return frames, ticks


def _run(moof: memoryview, start: int, end: int, default: int) -> tuple[int, int]:
    """(frames, ticks) of one track run: each frame's own duration, or `default` for every frame."""
    (count,) = _fields(moof, (start, end), "trun", ">I")
    flags = _U32.unpack_from(moof, start)[0] & 0xFFFFFF
    # after the count: data_offset (flag 0x01) and first_sample_flags (0x04), then per frame its fields
    first = start + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
    per = 4 * sum(1 for bit in _TRUN_FIELDS if flags & bit)
    room = (end - first) // per if per else None
    if first > end or (room is not None and count > room):
        raise VideoDamage(f"its track run box (trun) lists {count:,} frames but has room for {room or 0:,}")
    if not flags & 0x100:
        return count, count * default
    table = moof[first: first + per * count]
    return count, sum(row[0] for row in struct.iter_unpack(">" + "I" * (per // 4), table))


def _header(buf: bytes | memoryview, pos: int, room: int, where: str) -> tuple[bytes, int, int]:
    """(type, header size, box size) of the box at `pos`, which `room` bytes are left for in `where`."""
    if room < 8 or len(buf) - pos < 8:
        raise VideoDamage(f"{where} ends inside a box header")
    length, kind = _HEADER.unpack_from(buf, pos)
    header = 8
    if length == 1:
        if room < 16 or len(buf) - pos < 16:
            raise VideoDamage(f"{where} ends inside the header of its {_name(kind)} box")
        (length,) = _U64.unpack_from(buf, pos + 8)
        header = 16
    elif length == 0:
        length = room
    if length < header:
        raise VideoDamage(f"its {_name(kind)} box says it is {length} bytes, less than its own header")
    if length > room:
        raise VideoDamage(f"its {_name(kind)} box says it is {length:,} bytes, but {where} has {room:,} left "
                          f"for it{': the file is cut short' if where == 'the file' else ''}")
    return kind, header, length


def _boxes(buf: memoryview, start: int, end: int, where: str) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box from `start` to `end`, the payload of box `where`."""
    pos, count = start, 0
    while end - pos >= 8:   # QuickTime may end a list of atoms with 4 zero bytes
        count += 1
        if count > MAX_CHILDREN:
            raise BeyondBounds(f"its {where} box holds more than {MAX_CHILDREN:,} boxes")
        kind, header, length = _header(buf, pos, end - pos, f"its {where} box")
        yield kind, pos + header, pos + length
        pos += length


def _first(buf: memoryview, start: int, end: int, where: str, kind: bytes) -> tuple[int, int] | None:
    return next(((a, b) for k, a, b in _boxes(buf, start, end, where) if k == kind), None)


def _fields(buf: memoryview, box: tuple[int, int], name: str, v0: str, v1: str | None = None) -> tuple[Any, ...]:
    """The fields after the version and flags of full box `name`: laid out as `v0` (struct format) in
    version 0, as `v1` in version 1."""
    start, end = box
    if end - start < 4:
        raise VideoDamage(f"its {name} box is {end - start} bytes, too short for its version")
    version = buf[start]
    layout = v0 if version == 0 or v1 is None else v1 if version == 1 else None
    if layout is None:
        raise VideoDamage(f"its {name} box has version {version}, which ISO/IEC 14496-12 does not define")
    need = struct.calcsize(layout)
    if end - start - 4 < need:
        raise VideoDamage(f"its {name} box is {end - start} bytes, too short for its fields ({need + 4})")
    return struct.unpack_from(layout, buf, start + 4)


def _facts(moov: memoryview) -> tuple[VideoFacts, _Track]:
    mvhd = mehd = None
    traks, trexes = [], []
    fragmented = False
    for kind, start, end in _boxes(moov, 0, len(moov), "moov"):
        if kind == b"mvhd" and mvhd is None:
            mvhd = (start, end)
        elif kind == b"trak":
            traks.append((start, end))
        elif kind == b"mvex" and not fragmented:   # its frames are in fragments after moov
            fragmented = True
            mehd = _first(moov, start, end, "mvex", b"mehd")
            trexes = [(a, b) for k, a, b in _boxes(moov, start, end, "mvex") if k == b"trex"]
    if mvhd is None:
        raise VideoDamage("its moov box has no movie header (mvhd)")
    # creation and modification time, timescale, duration
    _, _, timescale, duration = _fields(moov, mvhd, "mvhd", ">IIII", ">QQIQ")
    if timescale == 0:
        raise VideoDamage("its movie header (mvhd) gives a timescale of 0")
    if duration in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):   # all ones: "cannot be determined"
        duration = 0
    if duration == 0 and mehd is not None:
        (duration,) = _fields(moov, mehd, "mehd", ">I", ">Q")
    # a fragmented file's movie header may leave the duration to its fragments (read_video reads them)
    seconds = duration / timescale if duration or not fragmented else None
    video = None
    audio: tuple[str, int | None] | None = None
    for start, end in traks:
        handler, mdia = _handler(moov, start, end)
        if handler == b"vide" and video is None:
            video = _video_track(moov, start, end, mdia)
        elif handler == b"soun" and audio is None:
            audio = _audio_track(moov, mdia)
    if video is not None:
        width, height, rate, track_id, track_scale, aspect, coding = video
        defaults = {fields[0]: fields[2] for fields in (_fields(moov, trex, "trex", ">III") for trex in trexes)}
        if fragmented and track_scale == 0:
            raise VideoDamage("its video track's media header (mdhd) gives a timescale of 0")
        sound, channels = audio or (None, None)
        return (VideoFacts(seconds, width, height, rate, None, aspect, sound, channels, *coding),
                _Track(fragmented, duration, track_id, track_scale, defaults.get(track_id, 0)))
    raise NoVideoTrack("it has no video track")


def _handler(moov: memoryview, start: int, end: int) -> tuple[bytes, tuple[int, int]]:
    """(handler type, mdia box) of the track whose payload is moov[start:end]: `vide` for video, `soun` for sound."""
    mdia = _first(moov, start, end, "trak", b"mdia")
    if mdia is None:
        raise VideoDamage("one of its tracks has no media box (mdia)")
    hdlr = _first(moov, *mdia, "mdia", b"hdlr")
    if hdlr is None:
        raise VideoDamage("one of its tracks has no handler (hdlr)")
    _, handler = _fields(moov, hdlr, "hdlr", ">I4s")   # pre_defined (QuickTime: component type), handler type
    return handler, mdia


def _video_track(moov: memoryview, start: int, end: int, mdia: tuple[int, int]
                 ) -> tuple[int, int, float | None, int, int, tuple[int, int] | None, tuple[str | None, bool | None]]:
    """(width, height, frame rate, track id, timescale, pixel aspect ratio, (chroma format, interlaced)) of the
    video track whose payload is moov[start:end]."""
    tkhd = _first(moov, start, end, "trak", b"tkhd")
    if tkhd is None:
        raise VideoDamage("its video track has no track header (tkhd)")
    _, _, track_id = _fields(moov, tkhd, "tkhd", ">III", ">QQI")   # creation and modification time, track_ID
    mdhd = _first(moov, *mdia, "mdia", b"mdhd")
    minf = _first(moov, *mdia, "mdia", b"minf")
    stbl = _first(moov, *minf, "minf", b"stbl") if minf is not None else None
    if mdhd is None or stbl is None:
        raise VideoDamage(f"its video track has no {'media header (mdhd)' if mdhd is None else 'sample table (stbl)'}")
    _, _, timescale, _ = _fields(moov, mdhd, "mdhd", ">IIII", ">QQIQ")
    stsd = _first(moov, *stbl, "stbl", b"stsd")
    if stsd is None:
        raise VideoDamage("its video track has no sample description (stsd)")
    width, height, aspect = _dimensions(moov, stsd)
    stts = _first(moov, *stbl, "stbl", b"stts")
    rate = _frame_rate(moov, stts, timescale) if stts is not None else None
    return width, height, rate, track_id, timescale, aspect, _coding(moov, stsd)


def _first_entry(moov: memoryview, stsd: tuple[int, int], what: str) -> tuple[bytes, int, int]:
    """(format, payload start, payload end) of the first sample description in `stsd`, of a `what` track."""
    (entries,) = _fields(moov, stsd, "stsd", ">I")
    if entries == 0:
        raise VideoDamage(f"its {what} track's sample description (stsd) describes no format")
    start, end = stsd
    entry = next(_boxes(moov, start + 8, end, "stsd"), None)
    if entry is None:
        raise VideoDamage(f"its {what} track's sample description (stsd) is empty")
    return entry


def _dimensions(moov: memoryview, stsd: tuple[int, int]) -> tuple[int, int, tuple[int, int] | None]:
    """Width, height and pixel aspect ratio (its `pasp` box, where it has one) of the first video format."""
    kind, first, last = _first_entry(moov, stsd, "video")
    # SampleEntry: 6 reserved bytes, data_reference_index; VisualSampleEntry: pre_defined, reserved,
    # 3 x pre_defined (32 bits), then width and height (16 bits each)
    if last - first < 28:
        raise VideoDamage(f"its video format box ({_name(kind)}) is {last - first} bytes, too short for a width "
                          "and height")
    width, height = _U16.unpack_from(moov, first + 24)[0], _U16.unpack_from(moov, first + 26)[0]
    if width == 0 or height == 0:
        raise VideoDamage(f"its video track says its pictures are {width}x{height} pixels")
    aspect = None
    # after its 78 bytes of fields, the format's own boxes (avcC, pasp, btrt, ...): a pasp gives hSpacing, vSpacing
    if last - first > 78:
        pasp = _first(moov, first + 78, last, _name(kind), b"pasp")
        if pasp is not None:
            if pasp[1] - pasp[0] < 8:
                raise VideoDamage(f"its pixel aspect ratio box (pasp) is {pasp[1] - pasp[0]} bytes, too short for "
                                  "its two numbers")
            h_spacing, v_spacing = struct.unpack_from(">II", moov, pasp[0])
            aspect = (h_spacing, v_spacing)
    return width, height, aspect


# H.264 profiles whose sequence parameter set gives its chroma format (ITU-T H.264, 7.3.2.1.1), and 144, the
# High 4:4:4 profile of the standard's first editions, which decoders (FFmpeg) still read so; the others' is 4:2:0
_CHROMA_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135, 144})
_CHROMA = {0: "4:0:0", 1: "4:2:0", 2: "4:2:2", 3: "4:4:4"}   # chroma_format_idc (Table 6-1)
_SPS = "its H.264 sequence parameter set (in avcC)"


def _coding(moov: memoryview, stsd: tuple[int, int]) -> tuple[str | None, bool | None]:
    """(chroma format, interlaced) of the first video format when it is H.264, from the sequence parameter
    sets of its `avcC` (AVCDecoderConfigurationRecord: version, profile, compatibility, level,
    lengthSizeMinusOne, then numOfSequenceParameterSets in 5 bits, each a 16-bit length and a NAL unit);
    (None, None) for any other format, and for an `avc3` whose parameter sets are all in its frames."""
    kind, first, last = _first_entry(moov, stsd, "video")
    if kind not in (b"avc1", b"avc3"):
        return None, None
    avcc = _first(moov, first + 78, last, _name(kind), b"avcC") if last - first > 78 else None
    if avcc is None:
        raise VideoDamage(f"its H.264 format ({_name(kind)}) has no decoder configuration (avcC)")
    record = bytes(moov[avcc[0]:avcc[1]])
    count = record[5] & 0x1F if len(record) >= 6 else 0
    if count == 0 and len(record) >= 6 and kind == b"avc3":
        # ISO/IEC 14496-15: an avc3's parameter sets may be in the sample entry or in the samples themselves
        # (what MP4Box writes with xps_inband): they are in the frames, which postops does not read
        return None, None
    if count == 0:
        raise VideoDamage("its H.264 decoder configuration (avcC) has no sequence parameter set")
    found: list[tuple[str, bool]] = []
    pos = 6
    for _ in range(count):
        length = int.from_bytes(record[pos:pos + 2], "big")
        nal = record[pos + 2:pos + 2 + length]
        if len(record) < pos + 2 or len(nal) < length:
            raise VideoDamage("its H.264 decoder configuration (avcC) is cut short")
        if not nal or nal[0] & 0x1F != 7:
            raise VideoDamage("its H.264 decoder configuration (avcC) holds no sequence parameter set where one "
                              "must be")
        found.append(_sequence_parameters(nal[1:].replace(b"\0\0\3", b"\0\0")))   # emulation prevention (7.4.1)
        pos += 2 + length
    # each picture names the set it is coded with: any of them may be the one X judges
    chroma = next((c for c, _ in found if c != "4:2:0"), "4:2:0")
    return chroma, any(fields for _, fields in found)


class _Bits:
    """The bits of an H.264 RBSP, read as its syntax reads them: u(n), ue(v) and se(v) (ITU-T H.264, 7.2, 9.1)."""

    def __init__(self, data: bytes) -> None:
        self.value, self.left = int.from_bytes(data, "big"), 8 * len(data)

    def u(self, n: int) -> int:
        if n > self.left:
            raise VideoDamage(f"{_SPS} is cut short")
        self.left -= n
        return (self.value >> self.left) & ((1 << n) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:   # no field of a sequence parameter set needs more than 32 bits
                raise VideoDamage(f"{_SPS} has a number longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def _sequence_parameters(rbsp: bytes) -> tuple[str, bool]:
    """(chroma format, interlaced) of a sequence parameter set (7.3.2.1.1), read up to frame_mbs_only_flag."""
    bits = _Bits(rbsp)
    profile = bits.u(8)
    bits.u(16)            # constraint flags, reserved bits, level_idc
    bits.ue()             # seq_parameter_set_id
    chroma = 1
    if profile in _CHROMA_PROFILES:
        chroma = bits.ue()
        if chroma > 3:
            raise VideoDamage(f"{_SPS} gives chroma_format_idc {chroma}, which H.264 does not define")
        if chroma == 3:
            bits.u(1)     # separate_colour_plane_flag
        bits.ue()         # bit_depth_luma_minus8
        bits.ue()         # bit_depth_chroma_minus8
        bits.u(1)         # qpprime_y_zero_transform_bypass_flag
        if bits.u(1):     # seq_scaling_matrix_present_flag
            for i in range(8 if chroma != 3 else 12):
                if bits.u(1):   # seq_scaling_list_present_flag: a scaling_list (7.3.2.1.1.1) of 16 or 64
                    scale = 8
                    for _ in range(16 if i < 6 else 64):
                        scale = (scale + bits.se() + 256) % 256   # nextScale: at 0, the rest repeat the last
                        if scale == 0:
                            break
    bits.ue()             # log2_max_frame_num_minus4
    order = bits.ue()     # pic_order_cnt_type
    if order == 0:
        bits.ue()         # log2_max_pic_order_cnt_lsb_minus4
    elif order == 1:
        bits.u(1)         # delta_pic_order_always_zero_flag
        bits.se()         # offset_for_non_ref_pic
        bits.se()         # offset_for_top_to_bottom_field
        cycle = bits.ue()   # num_ref_frames_in_pic_order_cnt_cycle: 0 to 255
        if cycle > 255:
            raise VideoDamage(f"{_SPS} gives {cycle} reference frames in its picture order cycle, more than 255")
        for _ in range(cycle):
            bits.se()     # offset_for_ref_frame
    elif order > 2:
        raise VideoDamage(f"{_SPS} gives pic_order_cnt_type {order}, which H.264 does not define")
    bits.ue()             # max_num_ref_frames
    bits.u(1)             # gaps_in_frame_num_value_allowed_flag
    bits.ue()             # pic_width_in_mbs_minus1
    bits.ue()             # pic_height_in_map_units_minus1
    return _CHROMA[chroma], bits.u(1) == 0   # frame_mbs_only_flag: 0 when pictures may be coded as fields


# MPEG-4 audio object types (ISO/IEC 14496-3, 1.5.1.1) as people name them
_AUDIO_OBJECTS = {1: "AAC Main", 2: "AAC LC", 3: "AAC SSR", 4: "AAC LTP", 5: "HE-AAC", 29: "HE-AACv2", 42: "xHE-AAC"}
# objectTypeIndication of an MPEG-4 DecoderConfigDescriptor (ISO/IEC 14496-1, 7.2.6.6.2) other than 0x40
_OBJECT_TYPES = {0x66: "AAC Main", 0x67: "AAC LC", 0x68: "AAC SSR", 0x69: "MP3", 0x6B: "MP3"}


# channelConfiguration (ISO/IEC 14496-3, 1.6.3.5) -> channels; 0 is "given elsewhere"
_CHANNELS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8}


def _audio_track(moov: memoryview, mdia: tuple[int, int]) -> tuple[str, int | None]:
    """(format in words, channels or None) of a sound track: an `mp4a` format is named by its decoder
    configuration (`esds`), any other by its four characters."""
    minf = _first(moov, *mdia, "mdia", b"minf")
    stbl = _first(moov, *minf, "minf", b"stbl") if minf is not None else None
    stsd = _first(moov, *stbl, "stbl", b"stsd") if stbl is not None else None
    if stsd is None:
        raise VideoDamage("its sound track has no sample description (stsd)")
    kind, first, last = _first_entry(moov, stsd, "sound")
    # AudioSampleEntry: 8 bytes of SampleEntry, QuickTime's version (16 bits) among 8 reserved bytes, then
    # channelcount, samplesize (16 bits each), 4 more bytes and the sample rate: 28 bytes; QuickTime's
    # version 1 adds 16 bytes, version 2 36 (and gives its channels elsewhere)
    if last - first < 28:
        raise VideoDamage(f"its sound format box ({_name(kind)}) is {last - first} bytes, too short for its fields")
    version = _U16.unpack_from(moov, first + 8)[0]
    channels: int | None = _U16.unpack_from(moov, first + 16)[0] if version == 0 else None
    if kind != b"mp4a":
        return kind.decode("latin-1").strip(), channels
    boxes = first + 28 + {1: 16, 2: 36}.get(version, 0)
    esds = _first(moov, boxes, last, "mp4a", b"esds") if boxes <= last else None
    if esds is None:
        raise VideoDamage("its AAC sound format (mp4a) has no decoder configuration (esds)")
    name, configured = _decoder(bytes(moov[esds[0] + 4: esds[1]]))
    return name, configured or channels


def _decoder(descriptors: bytes) -> tuple[str, int | None]:
    """(format in words, channels or None) from the descriptors of an `esds` box (ISO/IEC 14496-1, 7.2.6): an
    ES_Descriptor holding a DecoderConfigDescriptor, holding the AudioSpecificConfig (ISO/IEC 14496-3)."""
    found: dict[int, bytes] = {}
    _descriptors(descriptors, found, 0)
    config = found.get(0x04)
    if config is None or len(config) < 13:
        raise VideoDamage("its sound's decoder configuration (esds) has no DecoderConfigDescriptor")
    if config[0] != 0x40:   # not MPEG-4 audio: MPEG-2 AAC or MP3
        return _OBJECT_TYPES.get(config[0], f"audio of object type 0x{config[0]:02x}"), None
    specific = found.get(0x05, b"")
    bits = int.from_bytes(specific[:5], "big") if specific else 0
    width = 8 * min(len(specific), 5)
    if width < 9:
        raise VideoDamage("its sound's decoder configuration (esds) has no AudioSpecificConfig")

    def take(count: int) -> int:
        nonlocal width
        width -= count
        if width < 0:
            raise VideoDamage("its sound's AudioSpecificConfig (esds) is too short")
        return (bits >> width) & ((1 << count) - 1)

    kind = take(5)
    if kind == 31:
        kind = 32 + take(6)
    if take(4) == 15:   # the sampling frequency itself follows instead of its index
        take(24)
    channels = _CHANNELS.get(take(4))
    return _AUDIO_OBJECTS.get(kind, f"MPEG-4 audio of object type {kind}"), channels


def _descriptors(data: bytes, found: dict[int, bytes], depth: int) -> None:
    """Each descriptor in `data` by its tag, into `found` (the first of each), descending into an
    ES_Descriptor (0x03) and a DecoderConfigDescriptor (0x04)."""
    pos = 0
    while pos < len(data) and depth < 3:
        tag, size, pos = data[pos], 0, pos + 1
        for _ in range(4):   # the size: up to 4 bytes of 7 bits, the top bit saying another follows
            if pos >= len(data):
                raise VideoDamage("its sound's decoder configuration (esds) ends inside a descriptor")
            size, more, pos = size << 7 | data[pos] & 0x7F, data[pos] & 0x80, pos + 1
            if not more:
                break
        body = data[pos: pos + size]
        if len(body) != size:
            raise VideoDamage("its sound's decoder configuration (esds) has a descriptor longer than it")
        found.setdefault(tag, body)
        if tag == 0x03 and len(body) >= 3:
            # ES_ID, then flags: a dependency (2 bytes), a URL (its length, then it), an OCR stream (2 bytes)
            flags, skip = body[2], 3
            skip += 2 if flags & 0x80 else 0
            if flags & 0x40:
                skip += 1 + (body[skip] if skip < len(body) else 0)
            skip += 2 if flags & 0x20 else 0
            _descriptors(body[skip:], found, depth + 1)
        elif tag == 0x04 and len(body) >= 13:
            _descriptors(body[13:], found, depth + 1)
        pos += size


def _frame_rate(moov: memoryview, stts: tuple[int, int], timescale: int) -> float | None:
    """Frames per second of media time, as ffmpeg's mov demuxer computes avg_frame_rate: the number of frames
    in the time-to-sample table over the time they take, in the track's timescale."""
    (entries,) = _fields(moov, stts, "stts", ">I")
    start, end = stts
    if entries > (end - start - 8) // 8:
        raise VideoDamage(f"its time-to-sample box (stts) lists {entries:,} entries but has room for "
                          f"{(end - start - 8) // 8:,}")
    frames = ticks = 0
    for count, delta in struct.iter_unpack(">II", moov[start + 8: start + 8 + 8 * entries]):
        frames += count
        ticks += count * delta
    if frames == 0 or ticks == 0 or timescale == 0:
        return None
    return frames * timescale / ticks


def _name(kind: bytes) -> str:
    """A box type as people read it: its four characters, or their bytes when they are not printable."""
    text = kind.decode("latin-1")
    return text if text.isprintable() else repr(kind)
