"""Real media files for tests: images made by Pillow (the library postops reads their headers with), and MP4
videos built box by box as ISO/IEC 14496-12 lays them out, so that what lint and publish read from a file's
content is what a platform would."""

from __future__ import annotations

import io
import struct
from fractions import Fraction

from PIL import Image


def image(fmt: str = "PNG", size: tuple[int, int] = (8, 4), pad_to: int | None = None, mode: str = "RGB") -> bytes:
    """An image of `size` pixels in `fmt` (PNG, JPEG, GIF, WEBP), padded with zero bytes after its end to
    exactly `pad_to` bytes when given (a file at a platform's size limit). Mode "1" (one bit a pixel) makes
    images of tens of millions of pixels cheap to make."""
    out = io.BytesIO()
    Image.new(mode, size, 1 if mode == "1" else (200, 80, 40)).save(out, fmt)
    data = out.getvalue()
    if pad_to is not None:
        assert pad_to >= len(data), (pad_to, len(data))
        data += bytes(pad_to - len(data))
    return data


# -- MP4 files (ISO/IEC 14496-12), built box by box ------------------------------------------------------------


def box(kind: bytes, *payload: bytes) -> bytes:
    """A box: its 32-bit size (header included), its type, its payload."""
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, *payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    """A full box: a box whose payload starts with a version byte and 24 bits of flags."""
    return box(kind, struct.pack(">I", version << 24 | flags), *payload)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)   # the identity


# -- H.264 (ITU-T H.264): a sequence parameter set, as an encoder writes it ----------------------------------


class _Bits:
    """Bits written as H.264's syntax writes them: u(n), ue(v), se(v) (7.2, 9.1)."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, n: int, value: int) -> None:
        self.bits += [(value >> (n - 1 - i)) & 1 for i in range(n)]

    def ue(self, value: int) -> None:
        width = (value + 1).bit_length()
        self.u(width - 1, 0)
        self.u(width, value + 1)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def rbsp(self) -> bytes:
        """With rbsp_trailing_bits, and an emulation prevention byte after every two zero bytes followed by a
        byte of at most 3 (7.4.1)."""
        bits = self.bits + [1] + [0] * (-(len(self.bits) + 1) % 8)
        raw = bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
        out, zeros = bytearray(), 0
        for byte in raw:
            if zeros >= 2 and byte <= 3:
                out.append(3)
                zeros = 0
            out.append(byte)
            zeros = zeros + 1 if byte == 0 else 0
        return bytes(out)


HIGH = 100          # profile_idc of the High profile, whose SPS gives its chroma format; 66: Baseline


def sps(width: int = 1280, height: int = 720, *, profile: int = HIGH, chroma: int = 1, fields: bool = False,
        scaling: bool | str = False, order: int = 0, level: int = 31, set_id: int = 0) -> bytes:
    """A sequence parameter set NAL unit (7.3.2.1.1) for pictures of `width` x `height`: `chroma` is
    chroma_format_idc (0: 4:0:0, 1: 4:2:0, 2: 4:2:2, 3: 4:4:4; only written for High profiles), `fields` makes
    frame_mbs_only_flag 0 (interlaced, with macroblock-adaptive fields), `scaling` writes scaling matrices
    (every list; "short": each list ended by a nextScale of 0 at its first entry), `order` is pic_order_cnt_type (1 writes a cycle of two reference frames). A `level` of 0 and
    a `set_id` of 63 make its second and third bytes zero and the fourth 2: an emulation prevention byte."""
    w = _Bits()
    w.u(8, profile)
    w.u(8, 0)           # constraint flags, reserved
    w.u(8, level)       # level_idc: 31 is level 3.1
    w.ue(set_id)        # seq_parameter_set_id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135, 144):   # 144: the first High 4:4:4
        w.ue(chroma)
        if chroma == 3:
            w.u(1, 0)
        w.ue(0)
        w.ue(0)         # 8-bit luma and chroma
        w.u(1, 0)
        w.u(1, int(bool(scaling)))
        if scaling:
            for i in range(8 if chroma != 3 else 12):
                w.u(1, 1)
                for j in range(16 if i < 6 else 64):
                    if scaling == "short":       # nextScale 0 at once: the list ends there (7.3.2.1.1.1)
                        w.se(-8)
                        break
                    w.se(-3 if j == 0 else 1)
    w.ue(0)             # log2_max_frame_num_minus4
    w.ue(order)
    if order == 0:
        w.ue(2)
    elif order == 1:
        w.u(1, 0)
        w.se(-2)
        w.se(1)
        w.ue(2)
        w.se(4)
        w.se(-4)
    w.ue(4)             # max_num_ref_frames
    w.u(1, 0)
    frame_units = 2 if fields else 1
    mbs_wide, mbs_high = -(-width // 16), -(-height // (16 * frame_units))
    w.ue(mbs_wide - 1)
    w.ue(mbs_high - 1)
    w.u(1, 0 if fields else 1)  # frame_mbs_only_flag
    if fields:
        w.u(1, 1)       # mb_adaptive_frame_field_flag
    w.u(1, 1)           # direct_8x8_inference_flag
    crop_x, crop_y = (2 if chroma in (1, 2) else 1), (2 if chroma == 1 else 1) * frame_units
    right, bottom = mbs_wide * 16 - width, mbs_high * 16 * frame_units - height
    w.u(1, int(bool(right or bottom)))
    if right or bottom:
        w.ue(0)
        w.ue(right // crop_x)
        w.ue(0)
        w.ue(bottom // crop_y)
    w.u(1, 0)           # no VUI
    return bytes([0x67]) + w.rbsp()


def avcc(parameters: bytes | None = None) -> bytes:
    """An `avcC` box (ISO/IEC 14496-15, 5.3.3.1) holding one sequence parameter set (a 4:2:0 progressive High
    profile one at 1280x720 unless given) and one picture parameter set."""
    parameters = parameters if parameters is not None else sps()
    pps = bytes([0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC0])
    return box(b"avcC", bytes([1, parameters[1], parameters[2], parameters[3], 0xFF, 0xE1]),
               struct.pack(">H", len(parameters)), parameters, b"\x01", struct.pack(">H", len(pps)), pps)


def video_track(width: int, height: int, seconds: float, fps: Fraction | int, handler: bytes = b"vide",
                entry: bytes | None = None, pasp: tuple[int, int] | None = None, track_id: int = 1,
                parameters: bytes | None = None) -> bytes:
    """A `trak` box for a video of `width` x `height` pictures shown at `fps` for `seconds`: its header (track
    `track_id`), its media header (timescale: 30000 for 30 frames a second, 60000 for 60000/1001), handler, the
    media information header of its kind (`vmhd` for video, `smhd` for sound), one AVC sample description (or
    `entry`: its decoder configuration holds the sequence parameter set `parameters`, by default a 4:2:0
    progressive one of the track's size), with a pixel aspect ratio box when `pasp` is given, and a
    time-to-sample table of frames of equal
    length. Other readers (MediaInfo) take a track's kind from its media information header, and merge tracks
    of the same id."""
    fps = Fraction(fps)
    scale = 1000 if fps.numerator < 1000 else 1
    timescale, delta = fps.numerator * scale, fps.denominator * scale
    frames = round(seconds * fps)
    duration = frames * delta
    visual = (bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HHIIIH", width, height, 0x480000,
              0x480000, 0, 1) + bytes(32) + struct.pack(">Hh", 0x18, -1))
    stbl = box(b"stbl",
               full_box(b"stsd", struct.pack(">I", 1), entry if entry is not None else
                        box(b"avc1", visual, avcc(parameters or sps(width, height)),
                            box(b"pasp", struct.pack(">II", *pasp)) if pasp else b"")),
               full_box(b"stts", struct.pack(">III", 1, frames, delta)),
               full_box(b"stsc", struct.pack(">I", 0)), full_box(b"stsz", struct.pack(">II", 0, 0)),
               full_box(b"stco", struct.pack(">I", 0)))
    return box(b"trak",
               full_box(b"tkhd", struct.pack(">IIIII", 0, 0, track_id, 0, round(seconds * 1000)), bytes(8), struct.pack(">hhhH", 0, 0, 0, 0),
                        _MATRIX, struct.pack(">II", width << 16, height << 16), flags=3),
               box(b"mdia",
                   full_box(b"mdhd", struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0)),
                   full_box(b"hdlr", struct.pack(">I4s", 0, handler), bytes(12), b"VideoHandler\0"),
                   box(b"minf", full_box(b"smhd", bytes(4)) if handler == b"soun" else full_box(b"vmhd", bytes(8), flags=1),
                       box(b"dinf", full_box(b"dref", struct.pack(">I", 1), full_box(b"url ", flags=1))), stbl)))


def descriptor(tag: int, *body: bytes) -> bytes:
    """An MPEG-4 descriptor (ISO/IEC 14496-1, 7.2.2.1): its tag, its size in one byte, its body."""
    data = b"".join(body)
    return bytes([tag, len(data)]) + data


def sound_track(fmt: bytes = b"mp4a", audio_object: int = 2, channels: int = 2, object_type: int = 0x40,
                seconds: float = 10) -> bytes:
    """A `trak` box of sound: an AudioSampleEntry of format `fmt` (2 channels in its own field), and for
    `mp4a` its decoder configuration (esds): an ES_Descriptor holding a DecoderConfigDescriptor of
    `object_type` (0x40: MPEG-4 audio) whose AudioSpecificConfig (ISO/IEC 14496-3, 1.6.2.1) gives
    `audio_object` (2: AAC LC, 5: HE-AAC), 48 kHz (index 3) and `channels` (its channelConfiguration)."""
    config = (audio_object << 11 | 3 << 7 | channels << 3).to_bytes(2, "big")
    esds = full_box(b"esds", descriptor(0x03, struct.pack(">HB", 1, 0), descriptor(
        0x04, bytes([object_type, 0x15]), bytes(3), struct.pack(">II", 128000, 128000), descriptor(0x05, config)),
        descriptor(0x06, b"\x02")))
    entry = bytes(6) + struct.pack(">H", 1) + bytes(8) + struct.pack(">HHHHI", 2, 16, 0, 0, 48000 << 16)
    return video_track(1, 1, seconds, 30, handler=b"soun", entry=box(fmt, entry, esds if fmt == b"mp4a" else b""),
                       track_id=2)


def mp4(size: tuple[int, int] = (1280, 720), seconds: float = 10, fps: Fraction | int = 30, *,
        brand: bytes = b"isom", moov_first: bool = True, mdat: bytes = bytes(64), tracks: bytes | None = None,
        movie_seconds: float | None = None, mvex: bytes = b"", fragments: bytes = b"") -> bytes:
    """An MP4 file (a QuickTime one with brand b"qt  ") of one video track, as an encoder writes it: `ftyp`,
    then `moov` and `mdat` (`moov` first, as for streaming, unless not `moov_first`). The movie header's
    duration is `movie_seconds` (default `seconds`) in a timescale of 1000."""
    timescale = 1000
    duration = round((seconds if movie_seconds is None else movie_seconds) * timescale)
    mvhd = full_box(b"mvhd", struct.pack(">IIII", 0, 0, timescale, duration), struct.pack(">IH", 0x10000, 0x100),
                    bytes(10), _MATRIX, bytes(24), struct.pack(">I", 2))
    moov = box(b"moov", mvhd, video_track(*size, seconds, Fraction(fps)) if tracks is None else tracks, mvex)
    ftyp = box(b"ftyp", brand, struct.pack(">I", 0x200), brand, b"mp41")
    body = box(b"mdat", mdat)
    return ftyp + (moov + body if moov_first else body + moov) + fragments


def fragmented_mp4(runs: list[tuple[int, int]], size: tuple[int, int] = (1280, 720), *, durations: str = "trun",
                   mehd: int | None = None, movie_ticks: int = 0) -> bytes:
    """A fragmented MP4 (ISO/IEC 14496-12, 8.8), as a streaming encoder writes it: `ftyp`, a `moov` whose video
    track (track 1, timescale 30000) lists no frames and whose `mvex` says frames come in fragments, then one
    `moof` + `mdat` per run of `runs`, each (frames, ticks per frame). Each frame's duration is given where
    `durations` says: in the run (`trun`), as the fragment's default (`tfhd`) or the movie's (`trex`), or "zero"
    (every frame 0 ticks, which says nothing). `mehd` gives the fragments' duration in the movie's timescale
    (1000), `movie_ticks` the movie header's."""
    trex_default = runs[0][1] if durations == "trex" else 0
    mvex = box(b"mvex", *([full_box(b"mehd", struct.pack(">I", mehd))] if mehd is not None else []),
               full_box(b"trex", struct.pack(">IIIII", 1, 1, trex_default, 0, 0)))
    fragments, start = b"", 0
    for number, (frames, ticks) in enumerate(runs, 1):
        tfhd = full_box(b"tfhd", struct.pack(">I", 1), *([struct.pack(">I", ticks)] if durations == "tfhd" else []),
                        flags=0x08 if durations == "tfhd" else 0)
        each = 0 if durations == "zero" else ticks
        in_run = durations in ("trun", "zero")
        trun = full_box(b"trun", struct.pack(">I", frames),
                        *([struct.pack(f">{2 * frames}I", *[each, 100] * frames)] if in_run else []),
                        flags=0x300 if in_run else 0)   # 0x100: each frame's duration, 0x200: its size
        fragments += box(b"moof", full_box(b"mfhd", struct.pack(">I", number)),
                         box(b"traf", tfhd, full_box(b"tfdt", struct.pack(">I", start)), trun)) + box(b"mdat", bytes(8))
        start += frames * ticks
    return mp4(size, 0, 30, mvex=mvex, fragments=fragments, movie_seconds=movie_ticks / 1000)


# A well-formed MP4 video of ten seconds, 1280x720 at 30 frames a second, within every platform's limits.
MP4 = mp4()


def gif(size: tuple[int, int], frames: int = 1) -> bytes:
    """A GIF89a animation of `frames` frames on a canvas (the logical screen, which readers give as the image's
    size) of `size` pixels, each frame one pixel drawn at its corner, written byte by byte as GIF89a lays it out:
    a file of any size and frame count costs a few bytes a frame."""
    width, height = size
    screen = struct.pack("<6sHHBBB", b"GIF89a", width, height, 0x80, 0, 0) + bytes(3) + b"\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # a graphic control extension (a tenth of a second), an image descriptor of 1x1 at (0, 0), and its
    # LZW data: minimum code size 2, then the codes clear (4), colour 0 and end (5) in 3 bits each
    frame = b"\x21\xf9\x04\x00\x0a\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return screen + loop + frame * frames + b"\x3b"
