"""Videos checked by their content: postops.repo.mp4 reads an MP4 or QuickTime file's length, picture size and
frame rate from its boxes (ISO/IEC 14496-12), and each platform's documented limits are held against them.

The files are built box by box (mediafixtures.mp4), so what each test expects comes from how the file was
made, and the limits from the platforms' own words:
- X, media best practices (https://docs.x.com/x-api/media/quickstart/best-practices): "Video on a Post"
  "0.5 seconds–20 minutes" ("0.5 seconds–125 minutes" for X Premium; 140 seconds is DM video), dimensions
  "between 32x32 and 1280x1024" (recommended "720x1280 (portrait)": either way round), aspect ratio "between 1:3 and 3:1",
  frame rate "60 FPS or less"; "Subscribed users can upload a 1080p video".
- Mastodon, MediaAttachment#check_video_dimensions: width x height above video_matrix_limit (8,294,400,
  "3840x2160px") or a frame rate whose floor is above video_frame_rate_limit (120) is refused, and so is a
  file without a video stream; GET /api/v2/instance gives an instance's own under media_attachments.
"""

from __future__ import annotations

import random
import shutil
import struct
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import pytest
import responses
from conftest import CONFIG
from mediafixtures import avcc, box, fragmented_mp4, full_box, mp4, sound_track, sps, video_track
from test_approval_bypass import Uploader, publish_with_media_rule_off
from test_instance_limits import INSTANCE, instance

from postops.repo import mp4 as mp4_module
from postops.repo.limits import LIMITS_FILE, limits_command, read_limits
from postops.repo.media import MediaInfo, MediaProblem, inspect_media

ACCOUNTS = """\
version: 1
timezone: UTC
accounts:
  x:
    platform: x
  premium:
    platform: x
    premium: true
  social:
    platform: mastodon
    instance: https://social.example
"""


def inspect(tmp_path: Path, data: bytes, name: str = "clip.mp4") -> MediaInfo:
    path = tmp_path / name
    path.write_bytes(data)
    return inspect_media(path, f"media/{name}")


def refused(tmp_path: Path, data: bytes, name: str = "clip.mp4") -> str:
    with pytest.raises(MediaProblem) as caught:
        inspect(tmp_path, data, name)
    return caught.value.message


# -- what the reader finds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "facts"), [
    (mp4((1280, 720), 10, 30), ("mp4", 1280, 720, 10.0, 30.0)),
    (mp4((720, 1280), 12.5, 25, moov_first=False), ("mp4", 720, 1280, 12.5, 25.0)),
    (mp4((1920, 1080), 140, Fraction(60000, 1001), brand=b"qt  "), ("mov", 1920, 1080, 140.0, 60000 / 1001)),
    # the movie header's duration is the file's length, whatever its track says
    (mp4((640, 360), 3, 24, movie_seconds=3.25), ("mp4", 640, 360, 3.25, 24.0)),
], ids=["moov first", "moov last", "quicktime", "movie duration"])
def test_the_length_size_and_frame_rate_come_from_the_boxes(tmp_path, data, facts):
    info = inspect(tmp_path, data, "clip.mov" if facts[0] == "mov" else "clip.mp4")
    assert (info.kind, info.format, info.width, info.height, info.duration, info.frame_rate) == ("video", *facts)
    assert info.size == len(data)


def test_box_sizes_of_64_bits_and_a_last_box_that_runs_to_the_end_are_read(tmp_path):
    whole = mp4((1280, 720), 10, 30, moov_first=True)
    ftyp_end = struct.unpack(">I", whole[:4])[0]
    moov_end = ftyp_end + struct.unpack(">I", whole[ftyp_end:ftyp_end + 4])[0]
    moov = whole[ftyp_end:moov_end]
    large = struct.pack(">I4sQ", 1, b"moov", len(moov) + 8) + moov[8:]        # size 1: a 64-bit size follows
    to_the_end = struct.pack(">I4s", 0, b"mdat") + bytes(100)                 # size 0: up to the end of the file
    info = inspect(tmp_path, whole[:ftyp_end] + large + to_the_end)
    assert (info.width, info.height, info.duration, info.frame_rate) == (1280, 720, 10.0, 30.0)
    assert inspect(tmp_path, whole + b"\0\0\0").width == 1280      # fewer bytes than a box header after the last


def test_the_first_video_track_counts_and_sound_tracks_are_skipped(tmp_path):
    sound = video_track(1, 1, 10, 30, handler=b"soun")
    info = inspect(tmp_path, mp4(tracks=sound + video_track(854, 480, 10, 25) + video_track(320, 240, 10, 30)))
    assert (info.width, info.height, info.frame_rate) == (854, 480, 25.0)


def test_a_file_of_sound_only_is_no_video(tmp_path):
    # Mastodon: "Video has no video stream"
    assert refused(tmp_path, mp4(tracks=video_track(1, 1, 10, 30, handler=b"soun"))) == (
        "media 'media/clip.mp4' has no video track (its MP4 file holds only sound or other data): platforms "
        "refuse it as a video")


# -- damaged files: a finding, never a traceback -------------------------------------------------------------


def damaged(tmp_path: Path, data: bytes) -> str:
    prefix, suffix = "media 'media/clip.mp4' is a damaged MP4 video (", "); export it again"
    message = refused(tmp_path, data)
    assert message.startswith(prefix) and message.endswith(suffix), message
    return message[len(prefix):-len(suffix)]


def test_a_file_cut_short_is_damaged(tmp_path):
    whole = mp4(moov_first=True, mdat=bytes(1000))
    assert damaged(tmp_path, whole[:-10]) == (
        "its mdat box says it is 1,008 bytes, but the file has 998 left for it: the file is cut short")
    moov_last = mp4(moov_first=False)
    assert damaged(tmp_path, moov_last[:-40]).endswith("left for it: the file is cut short")


@pytest.mark.parametrize(("data", "why"), [
    (box(b"ftyp", b"isom", bytes(4)) + box(b"mdat", bytes(64)), "it has no moov box, the index of its frames"),
    (box(b"ftyp", b"isom", bytes(4)) + struct.pack(">I4s", 4, b"free") + bytes(8),
     "its free box says it is 4 bytes, less than its own header"),
    (box(b"ftyp", b"isom", bytes(4)) + box(b"moov", box(b"trak", bytes(8))),
     "its moov box has no movie header (mvhd)"),
    (box(b"ftyp", b"isom", bytes(4)) + box(b"moov", full_box(b"mvhd", bytes(8))),
     "its mvhd box is 12 bytes, too short for its fields (20)"),
    (box(b"ftyp", b"isom", bytes(4)) + box(b"moov", full_box(b"mvhd", bytes(16), version=2)),
     "its mvhd box has version 2, which ISO/IEC 14496-12 does not define"),
    (box(b"ftyp", b"isom", bytes(4)) + box(b"moov", full_box(b"mvhd", struct.pack(">IIII", 0, 0, 0, 10))),
     "its movie header (mvhd) gives a timescale of 0"),
], ids=["no moov", "box shorter than its header", "no mvhd", "mvhd too short", "mvhd version", "timescale 0"])
def test_boxes_that_are_not_what_the_standard_says_are_damage(tmp_path, data, why):
    assert damaged(tmp_path, data) == why


def test_a_box_inside_moov_that_lies_about_its_size_is_damage(tmp_path):
    whole = bytearray(mp4())
    at = whole.find(b"stts") - 4
    whole[at:at + 4] = struct.pack(">I", 0x7FFFFFF0)
    # what is left of stbl from there: stts (24 bytes), stsc (16), stsz (20), stco (16)
    assert damaged(tmp_path, bytes(whole)) == (
        f"its stts box says it is {0x7FFFFFF0:,} bytes, but its stbl box has 76 left for it")


def test_a_table_that_lists_more_entries_than_it_holds_is_damage(tmp_path):
    whole = bytearray(mp4())
    at = whole.find(b"stts") + 8           # after the type, the version and flags: the entry count
    whole[at:at + 4] = struct.pack(">I", 1_000_000)
    assert damaged(tmp_path, bytes(whole)) == (
        "its time-to-sample box (stts) lists 1,000,000 entries but has room for 1")


def test_a_video_format_too_short_for_its_size_is_damage(tmp_path):
    short = video_track(1280, 720, 10, 30, entry=box(b"avc1", bytes(20)))
    assert damaged(tmp_path, mp4(tracks=short)) == (
        "its video format box (avc1) is 20 bytes, too short for a width and height")


def cut_and_flipped(tmp_path: Path, whole: bytes, seed: int) -> None:
    """Whatever the bytes, inspect_media answers with facts or a MediaProblem: `whole` cut at every byte, and
    400 copies with 1 to 4 random bytes changed."""
    rng = random.Random(seed)
    flipped = []
    for _ in range(400):
        data = bytearray(whole)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        flipped.append(bytes(data))
    outcomes = {"video": 0, "finding": 0}
    for data in [whole[:end] for end in range(len(whole))] + flipped:
        try:
            inspect(tmp_path, data)
            outcomes["video"] += 1
        except MediaProblem:
            outcomes["finding"] += 1
    assert outcomes["finding"] > len(whole) and outcomes["video"] > 0      # both answers were exercised


def test_every_cut_and_flipped_byte_is_a_finding_or_a_video_never_a_crash(tmp_path):
    # hostile or broken files
    cut_and_flipped(tmp_path, mp4(moov_first=False, mdat=bytes(32)), 14496)


# -- bounds: what postops reads at most ----------------------------------------------------------------------


def test_more_top_level_boxes_than_postops_reads_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mp4_module, "MAX_BOXES", 5)
    data = mp4() + box(b"free") * 2
    assert inspect(tmp_path, data).width == 1280          # 5 boxes: ftyp, moov, mdat, free, free
    assert refused(tmp_path, data + box(b"free")) == (
        "media 'media/clip.mp4' is a video postops does not read: it has more than 5 boxes at its top level; "
        "export it again")


def test_a_moov_larger_than_postops_reads_is_refused(tmp_path, monkeypatch):
    data = mp4()
    moov = data.find(b"moov") - 4
    size = struct.unpack(">I", data[moov:moov + 4])[0] - 8
    monkeypatch.setattr(mp4_module, "MAX_MOOV", size)
    assert inspect(tmp_path, data).width == 1280
    monkeypatch.setattr(mp4_module, "MAX_MOOV", size - 1)
    assert refused(tmp_path, data).startswith(
        f"media 'media/clip.mp4' is a video postops does not read: its moov box (its index) is {size:,} bytes")


def test_more_boxes_in_one_box_than_postops_reads_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mp4_module, "MAX_CHILDREN", 3)
    assert refused(tmp_path, mp4(tracks=box(b"free") * 3)) == (
        "media 'media/clip.mp4' is a video postops does not read: its moov box holds more than 3 boxes; "
        "export it again")


# -- each platform's limits ----------------------------------------------------------------------------------


def lint_video(repo, account: str, data: bytes, config: str = ACCOUNTS) -> list[str]:
    repo.write("postops.yaml", config)
    repo.write_bytes("media/clip.mp4", data)
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: hi\nmedia:\n  - {{path: media/clip.mp4, alt: x}}\n")
    return [f.message for f in repo.lint().findings if f.rule == "media"]


CLIP = "media 'media/clip.mp4'"


@pytest.mark.parametrize(("data", "messages"), [
    (mp4((1280, 720), 140.5, 30), []),                   # past DM video's 140 seconds: a post takes it
    (mp4((1280, 720), 20 * 60, 30), []),
    (mp4((1280, 720), 20 * 60 + 1, 30), [f"{CLIP} is a video of 1,201 seconds; X takes videos of 0.5 seconds to 20 minutes"]),
    (mp4((1280, 720), 0.5, 30), []),
    (mp4((1280, 720), 0.4, 30), [f"{CLIP} is a video of 0.4 seconds; X takes videos of 0.5 seconds to 20 minutes"]),
    (mp4((1280, 1024)), []),
    (mp4((1024, 1280)), []),
    (mp4((720, 1280)), []),                               # X's recommended portrait size
    (mp4((1920, 1080)), [f"{CLIP} is a video of 1920x1080 pixels; X takes videos of at most 1280x1024 (or 1024x1280)"]),
    (mp4((1280, 1025)), [f"{CLIP} is a video of 1280x1025 pixels; X takes videos of at most 1280x1024 (or 1024x1280)"]),
    (mp4((32, 32)), []),
    (mp4((31, 40)), [f"{CLIP} is a video of 31x40 pixels; X takes videos of at least 32x32"]),
    (mp4((960, 320)), []),                                # 3:1
    (mp4((961, 320)), [f"{CLIP} is a video of 961x320 pixels; X takes aspect ratios between 1:3 and 3:1"]),
    (mp4((320, 961)), [f"{CLIP} is a video of 320x961 pixels; X takes aspect ratios between 1:3 and 3:1"]),
    (mp4(fps=60), []),
    (mp4(fps=Fraction(60000, 1001)), []),                 # 59.94
    (mp4(fps=Fraction(6006, 100)), [f"{CLIP} is a video of 60.06 frames per second; X takes at most 60"]),
])
def test_x_video_limits(repo, data, messages):
    assert lint_video(repo, "x", data) == messages


@pytest.mark.parametrize(("size", "messages"), [
    ((1920, 1080), []),
    ((1080, 1920), []),
    ((1921, 1080), [f"{CLIP} is a video of 1921x1080 pixels; X takes videos of at most 1920x1080 (or 1080x1920) "
                    "for an account with `premium: true`"]),
])
def test_an_x_premium_account_takes_1080p_video(repo, size, messages):
    assert lint_video(repo, "premium", mp4(size)) == messages


@pytest.mark.parametrize(("account", "seconds", "messages"), [
    ("premium", 125 * 60, []),
    ("premium", 125 * 60 + 1, [f"{CLIP} is a video of 7,501 seconds; X takes videos of 0.5 seconds to 125 minutes"]),
    ("premium", 0.4, [f"{CLIP} is a video of 0.4 seconds; X takes videos of 0.5 seconds to 125 minutes"]),
])
def test_an_x_premium_account_takes_videos_of_125_minutes(repo, account, seconds, messages):
    assert lint_video(repo, account, mp4(seconds=seconds)) == messages


def sparse_mp4(size: int) -> bytes:
    """A video whose last box, its frames (`mdat`), runs to the end of the file (a size of 0): the file is then
    made `size` bytes long by `truncate`, which costs no disk (a sparse file), so the platforms' own limits
    of 8 GiB and more can be tried as they are."""
    return mp4((1280, 720), 10, 30, moov_first=True, mdat=b"")[:-8] + struct.pack(">I4s", 0, b"mdat") + bytes(size)


GIB, MIB = 1024 ** 3, 1024 ** 2


@pytest.mark.parametrize(("account", "size", "messages"), [
    # X, "Video on a Post": 8 GB, 16 GB for X Premium; Mastodon's default video limit, 99 MiB, is "less than"
    ("x", 8 * GIB, []),
    ("x", 8 * GIB + 1, [f"{CLIP} is 8,589,934,593 bytes; x allows at most 8,589,934,592 bytes for videos"]),
    ("premium", 16 * GIB, []),
    ("premium", 16 * GIB + 1, [f"{CLIP} is 17,179,869,185 bytes; x allows at most 17,179,869,184 bytes for videos"]),
    ("social", 99 * MIB - 1, []),
    ("social", 99 * MIB, [f"{CLIP} is 103,809,024 bytes; mastodon allows less than 103,809,024 bytes for videos"]),
])
def test_video_size_limits_hold_at_the_platforms_own_figures(repo, account, size, messages):
    repo.write("postops.yaml", ACCOUNTS)
    repo.write_bytes("media/clip.mp4", sparse_mp4(0))
    with open(repo.root / "media/clip.mp4", "r+b") as handle:
        handle.truncate(size)
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: hi\nmedia:\n  - {{path: media/clip.mp4, alt: x}}\n")
    assert [f.message for f in repo.lint().findings if f.rule == "media"] == messages


@pytest.mark.parametrize(("data", "messages"), [
    (mp4((3840, 2160)), []),
    (mp4((2160, 3840)), []),
    (mp4((3841, 2160)), [f"{CLIP} is 3841x2160 pixels (8,296,560); Mastodon takes videos of at most 8,294,400 pixels"]),
    (mp4(fps=120), []),
    (mp4(fps=Fraction(241, 2)), []),                      # 120.5: its floor is 120
    (mp4(fps=121), [f"{CLIP} is a video of 121 frames per second; Mastodon takes at most 120"]),
    (mp4(seconds=3600), []),                              # Mastodon limits no length
    (mp4((31, 100), 0.2, 30), []),                        # nor the size of a side, nor the aspect ratio
])
def test_mastodon_video_limits(repo, data, messages):
    assert lint_video(repo, "social", data) == messages


INSTANCE_OWN = ACCOUNTS.replace("    instance: https://social.example\n", "    instance: https://social.example\n"
                                "    limits:\n      media_attachments: {video_matrix_limit: 2304000, "
                                "video_frame_rate_limit: 60}\n")


@pytest.mark.parametrize(("data", "messages"), [
    (mp4((1920, 1200), fps=60), []),
    (mp4((1921, 1200)), [f"{CLIP} is 1921x1200 pixels (2,305,200); Mastodon takes videos of at most 2,304,000 pixels "
                         "(account social's instance)"]),
    (mp4(fps=61), [f"{CLIP} is a video of 61 frames per second; Mastodon takes at most 60 (account social's instance)"]),
])
def test_a_mastodon_instances_own_video_limits_hold(repo, data, messages):
    # as an instance answers them in GET /api/v2/instance (one with MAX_VIDEO_MATRIX_LIMIT 1920x1200, 60 fps)
    assert lint_video(repo, "social", data, INSTANCE_OWN) == messages


def test_the_instance_video_limits_are_read_into_the_limits_file(repo):
    repo.write("postops.yaml", CONFIG)
    with responses.RequestsMock() as http:
        http.get(INSTANCE, json=instance())    # video_frame_rate_limit 60, video_matrix_limit 2304000
        assert limits_command(repo.root, ["social"], refresh=True, check=False, echo=lambda line: None,
                              now=datetime(2026, 11, 24)) == 0
    limits = read_limits(repo.root)["social"].limits
    assert (limits.video_frame_rate_limit, limits.video_matrix_limit) == (60, 2304000)
    assert "video_frame_rate_limit: 60" in (repo.root / LIMITS_FILE).read_text()


# -- publish checks the same, for the account, right before it reads the file -------------------------------


@pytest.mark.parametrize(("account", "data", "why"), [
    ("x", mp4(seconds=20 * 60 + 1), f"{CLIP} is a video of 1,201 seconds; X takes videos of 0.5 seconds to 20 minutes"),
    ("premium", mp4(seconds=20 * 60 + 1), None),          # X Premium: 125 minutes
    ("premium", mp4(seconds=125 * 60 + 1), f"{CLIP} is a video of 7,501 seconds; X takes videos of 0.5 seconds to "
                                          "125 minutes"),
    ("x", mp4((1920, 1080)), f"{CLIP} is a video of 1920x1080 pixels; X takes videos of at most 1280x1024 (or 1024x1280)"),
    ("premium", mp4((1920, 1080)), None),
    ("x", mp4(mdat=bytes(100))[:-20], f"{CLIP} is a damaged MP4 video (its mdat box says it is 108 bytes, but the "
                                      "file has 88 left for it: the file is cut short); export it again"),
])
def test_publish_never_uploads_a_video_the_platform_would_refuse(tmp_path, account, data, why):
    # lint's media rule switched off: publish reads the video and holds it to the account's limits itself
    lines = publish_with_media_rule_off(tmp_path, "  x:\n    platform: x\n  premium:\n    platform: x\n"
                                        "    premium: true\n", account, "media/clip.mp4", data)
    if why is None:
        assert Uploader.uploaded == [data]
    else:
        assert Uploader.uploaded == []
        assert lines == [f"failed to publish a @{account}: {why}"]


# -- fragmented files: the length and frame rate come from the fragments (ISO/IEC 14496-12, 8.8) -------------


@pytest.mark.parametrize(("runs", "durations", "facts"), [
    ([(30, 1000)] * 4 + [(60, 500)], "trun", (5.0, 36.0)),       # 150,000 ticks of 1/30000 s, 180 frames
    ([(30, 1000)] * 4 + [(60, 500)], "tfhd", (5.0, 36.0)),
    ([(30, 1000)] * 5, "trex", (5.0, 30.0)),
    ([(25, 1200)] * 3, "trun", (3.0, 25.0)),
], ids=["each frame's", "fragment default", "movie default", "25 fps"])
def test_a_fragmented_files_length_and_frame_rate_come_from_its_fragments(tmp_path, runs, durations, facts):
    info = inspect(tmp_path, fragmented_mp4(runs, durations=durations))
    assert (info.duration, info.frame_rate, info.width, info.unknown_length) == (*facts, 1280, None)


def test_the_movie_header_or_mehd_gives_a_fragmented_files_length_where_it_says(tmp_path):
    runs = [(30, 1000)] * 5                     # 5 seconds of frames at 30 frames a second
    assert (inspect(tmp_path, fragmented_mp4(runs, mehd=12_000)).duration,
            inspect(tmp_path, fragmented_mp4(runs, movie_ticks=7_500)).duration,
            inspect(tmp_path, fragmented_mp4(runs, mehd=12_000)).frame_rate) == (12.0, 7.5, 30.0)


@pytest.mark.parametrize(("data", "x", "social"), [
    (fragmented_mp4([(30, 1000)] * 10), [], []),
    # 1,201 seconds in 1-second fragments: X's limit is 1,200 (this passed lint silently when fragments were not read)
    (fragmented_mp4([(30, 1000)] * 1201), [f"{CLIP} is a video of 1,201 seconds; X takes videos of 0.5 seconds to "
                                           "20 minutes"], []),
    (fragmented_mp4([(125, 240)] * 4), [f"{CLIP} is a video of 125 frames per second; X takes at most 60"],
     [f"{CLIP} is a video of 125 frames per second; Mastodon takes at most 120"]),
    # frames without durations: the length cannot be known; X limits it, Mastodon does not
    (fragmented_mp4([(30, 1000)] * 10, durations="zero"),
     [f"{CLIP} is a video whose length postops cannot read (its movie fragments give no durations for its "
      "frames); X takes videos of 0.5 seconds to 20 minutes: export it again as a video that is not fragmented"], []),
], ids=["10 s", "1201 s", "125 fps", "no durations"])
def test_fragmented_videos_are_held_to_the_platforms_limits(repo, data, x, social):
    assert lint_video(repo, "x", data) == x
    shutil.rmtree(repo.root / "posts")
    assert lint_video(repo, "social", data) == social


def test_fragments_larger_than_postops_reads_leave_the_length_unknown_and_say_so(tmp_path, monkeypatch):
    data = fragmented_mp4([(30, 1000)] * 3)
    moofs = sum(struct.unpack(">I", data[at - 4: at])[0] - 8 for at in range(4, len(data)) if data[at:at + 4] == b"moof")
    monkeypatch.setattr(mp4_module, "MAX_FRAGMENTS", moofs)
    assert inspect(tmp_path, data).duration == 3.0
    monkeypatch.setattr(mp4_module, "MAX_FRAGMENTS", moofs - 1)
    info = inspect(tmp_path, data)
    assert (info.duration, info.unknown_length) == (
        None, f"its movie fragments (moof) are {moofs:,} bytes, more than the {moofs - 1:,} postops reads")


def test_a_track_run_that_lists_more_frames_than_it_holds_is_damage(tmp_path):
    data = bytearray(fragmented_mp4([(30, 1000)]))
    at = data.find(b"trun") + 8               # after the type, the version and flags: the frame count
    data[at:at + 4] = struct.pack(">I", 31)
    assert damaged(tmp_path, bytes(data)) == "its track run box (trun) lists 31 frames but has room for 30"


def test_a_track_fragment_without_its_header_is_damage(tmp_path):
    data = fragmented_mp4([(30, 1000)]).replace(b"tfhd", b"free")
    assert damaged(tmp_path, data) == "one of its track fragments (traf) has no header (tfhd)"


def test_every_cut_and_flipped_byte_of_a_fragmented_file_is_a_finding_or_a_video_never_a_crash(tmp_path):
    cut_and_flipped(tmp_path, fragmented_mp4([(3, 10_000), (2, 10_000)]), 88)


# -- X's requirements that a file's boxes give: square pixels, AAC LC sound, mono or stereo -----------------
# X, media best practices, video, "Advanced": "Pixel aspect ratio: must have 1:1", "Audio must be AAC with
# Low Complexity profile. (High-Efficiency AAC is not supported)", "Audio must be mono or stereo, not 5.1 or
# greater". Its "Recommended" codec (H264 High Profile) is a recommendation. Mastodon states none of these.


def with_sound(sound: bytes = b"", pasp: tuple[int, int] | None = None) -> bytes:
    return mp4(tracks=video_track(1280, 720, 10, 30, pasp=pasp) + sound)


@pytest.mark.parametrize(("data", "facts", "messages"), [
    (with_sound(sound_track(), pasp=(1, 1)), ((1, 1), "AAC LC", 2), []),
    (with_sound(sound_track(channels=1)), (None, "AAC LC", 1), []),
    (with_sound(), (None, None, None), []),                               # no sound at all
    (with_sound(pasp=(4, 3)), ((4, 3), None, None),
     [f"{CLIP} is a video whose pixels are not square (pixel aspect ratio 4:3); X takes only 1:1"]),
    (with_sound(sound_track(audio_object=5)), (None, "HE-AAC", 2),
     [f"{CLIP} is a video whose sound is HE-AAC; X takes only AAC LC sound"]),
    (with_sound(sound_track(audio_object=29)), (None, "HE-AACv2", 2),
     [f"{CLIP} is a video whose sound is HE-AACv2; X takes only AAC LC sound"]),
    (with_sound(sound_track(channels=6)), (None, "AAC LC", 6),           # 5.1
     [f"{CLIP} is a video with 6 sound channels; X takes at most 2 (mono or stereo)"]),
    (with_sound(sound_track(b"ac-3")), (None, "ac-3", 2), [f"{CLIP} is a video whose sound is ac-3; X takes only AAC LC sound"]),
    (with_sound(sound_track(object_type=0x6B)), (None, "MP3", 2),
     [f"{CLIP} is a video whose sound is MP3; X takes only AAC LC sound"]),
    (with_sound(sound_track(object_type=0x67)), (None, "AAC LC", 2), []),      # MPEG-2 AAC LC
], ids=["aac lc", "mono", "silent", "4:3 pixels", "he-aac", "he-aac v2", "5.1", "ac-3", "mp3", "mpeg-2 aac lc"])
def test_x_video_pixels_and_sound(repo, tmp_path, data, facts, messages):
    info = inspect(tmp_path, data)
    assert (info.pixel_aspect, info.audio, info.channels) == facts
    assert lint_video(repo, "x", data) == messages
    shutil.rmtree(repo.root / "posts")
    assert lint_video(repo, "social", data) == []


def test_a_broken_sound_description_is_damage(tmp_path):
    no_esds = video_track(1, 1, 10, 30, handler=b"soun", entry=box(b"mp4a", bytes(28)))
    assert damaged(tmp_path, with_sound(no_esds)) == "its AAC sound format (mp4a) has no decoder configuration (esds)"
    whole = bytearray(with_sound(sound_track()))
    at = whole.find(b"esds") + 8 + 1              # the ES_Descriptor's size
    whole[at] = 0x7F
    assert damaged(tmp_path, bytes(whole)) == (
        "its sound's decoder configuration (esds) has a descriptor longer than it")


def test_every_cut_and_flipped_byte_of_a_video_with_sound_is_a_finding_or_a_video(tmp_path):
    cut_and_flipped(tmp_path, with_sound(sound_track(), pasp=(1, 1)), 1449614)


# -- X's requirements in the H.264 stream: YUV 4:2:0, progressive scan ----------------------------------------
# X, media best practices, video, "Advanced": "Only YUV 4:2:0 pix_fmt supported", "Must use progressive scan".
# Both are in the sequence parameter set (ITU-T H.264, 7.3.2.1.1) that the avcC box carries: chroma_format_idc
# (High profiles only; every other profile is 4:2:0) and frame_mbs_only_flag (0: pictures may be fields).


def coded(**parameters: object) -> bytes:
    return mp4(tracks=video_track(1280, 720, 10, 30, parameters=sps(**parameters)))   # type: ignore[arg-type]


@pytest.mark.parametrize(("parameters", "facts", "messages"), [
    ({}, ("4:2:0", False), []),
    ({"profile": 66}, ("4:2:0", False), []),                             # Baseline: no chroma_format_idc
    ({"profile": 77, "order": 1}, ("4:2:0", False), []),                 # Main, a picture order cycle
    ({"chroma": 2}, ("4:2:2", False), [f"{CLIP} is a video in YUV 4:2:2; X takes only YUV 4:2:0: export it again "
                                       "in 4:2:0 (yuv420p)"]),
    ({"chroma": 3, "scaling": True}, ("4:4:4", False),                   # 12 scaling lists, then the rest
     [f"{CLIP} is a video in YUV 4:4:4; X takes only YUV 4:2:0: export it again in 4:2:0 (yuv420p)"]),
    ({"profile": 144, "chroma": 3}, ("4:4:4", False),                  # the first editions' High 4:4:4
     [f"{CLIP} is a video in YUV 4:4:4; X takes only YUV 4:2:0: export it again in 4:2:0 (yuv420p)"]),
    ({"chroma": 0}, ("4:0:0", False), [f"{CLIP} is a video in YUV 4:0:0; X takes only YUV 4:2:0: export it again "
                                       "in 4:2:0 (yuv420p)"]),
    ({"scaling": True, "order": 1}, ("4:2:0", False), []),
    ({"scaling": "short", "fields": True}, ("4:2:0", True), [f"{CLIP} is an interlaced video (its H.264 pictures "
                                                            "may be coded as fields); X takes only progressive scan: "
                                                            "export it again as progressive"]),
    ({"chroma": 2, "level": 0, "set_id": 63}, ("4:2:2", False),         # 00 00 03 02: an emulation prevention byte
     [f"{CLIP} is a video in YUV 4:2:2; X takes only YUV 4:2:0: export it again in 4:2:0 (yuv420p)"]),
    ({"fields": True}, ("4:2:0", True), [f"{CLIP} is an interlaced video (its H.264 pictures may be coded as "
                                         "fields); X takes only progressive scan: export it again as progressive"]),
], ids=["high 4:2:0", "baseline", "main", "4:2:2", "4:4:4 scaled", "old high 4:4:4", "monochrome", "scaled", "short scaling lists",
        "emulation prevention",
        "interlaced"])
def test_x_video_chroma_and_scan(repo, tmp_path, parameters, facts, messages):
    data = coded(**parameters)
    info = inspect(tmp_path, data)
    assert (info.chroma, info.interlaced) == facts
    assert lint_video(repo, "x", data) == messages
    shutil.rmtree(repo.root / "posts")
    assert lint_video(repo, "social", data) == []                        # Mastodon states neither


def test_a_video_that_is_not_h264_has_no_chroma_read(tmp_path):
    hevc = box(b"hvc1", bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HH", 1280, 720) + bytes(50))
    info = inspect(tmp_path, mp4(tracks=video_track(1280, 720, 10, 30, entry=hevc)))
    assert (info.width, info.chroma, info.interlaced) == (1280, None, None)


def test_a_broken_h264_configuration_is_damage(tmp_path):
    bare = box(b"avc1", bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HH", 1280, 720) + bytes(50))
    assert damaged(tmp_path, mp4(tracks=video_track(1280, 720, 10, 30, entry=bare))) == (
        "its H.264 format (avc1) has no decoder configuration (avcC)")
    parameters = sps()
    no_sets = parameters[:5] + bytes([0xE0])                             # numOfSequenceParameterSets 0
    assert damaged(tmp_path, coded_with(avcc_of(no_sets))) == (
        "its H.264 decoder configuration (avcC) has no sequence parameter set")
    assert damaged(tmp_path, coded_with(avcc_of(bytes([1, 100, 0, 31, 0xFF, 0xE1, 0, 40]) + parameters))) == (
        "its H.264 decoder configuration (avcC) is cut short")
    picture_set = bytes([0x68]) + parameters[1:]                        # a NAL unit of type 8, not 7
    assert damaged(tmp_path, coded_with(avcc(picture_set))) == (
        "its H.264 decoder configuration (avcC) holds no sequence parameter set where one must be")
    assert damaged(tmp_path, coded_with(avcc(parameters[:6]))) == (
        "its H.264 sequence parameter set (in avcC) is cut short")
    assert damaged(tmp_path, coded_with(avcc(parameters[:4] + bytes(8)))) == (
        "its H.264 sequence parameter set (in avcC) has a number longer than 32 bits")
    assert damaged(tmp_path, coded(chroma=4)) == (
        "its H.264 sequence parameter set (in avcC) gives chroma_format_idc 4, which H.264 does not define")
    assert damaged(tmp_path, coded(order=3)) == (
        "its H.264 sequence parameter set (in avcC) gives pic_order_cnt_type 3, which H.264 does not define")


def avcc_of(record: bytes) -> bytes:
    return box(b"avcC", record)


def coded_with(configuration: bytes, kind: bytes = b"avc1") -> bytes:
    visual = (bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HHIIIH", 1280, 720, 0x480000, 0x480000, 0, 1)
              + bytes(32) + struct.pack(">Hh", 0x18, -1))
    return mp4(tracks=video_track(1280, 720, 10, 30, entry=box(kind, visual, configuration)))


def test_every_cut_and_flipped_byte_of_an_h264_configuration_is_a_finding_or_a_video(tmp_path):
    cut_and_flipped(tmp_path, coded(chroma=3, scaling=True, order=1), 264)


def test_an_avc3_with_its_parameter_sets_in_its_frames_is_a_video_whose_chroma_is_not_read(repo, tmp_path):
    """ISO/IEC 14496-15: for `avc3` "all parameter sets needed for decoding the sample shall be included either
    in the sample entry or in the sample itself" (MP4Box's `xps_inband`, DASH packagers): an avcC with no
    sequence parameter set is well formed there. It was refused as damaged; an avc1 without one still is."""
    empty = avcc_of(bytes([1, 100, 0, 31, 0xFF, 0xE0, 0]))              # no sequence, no picture parameter set

    info = inspect(tmp_path, coded_with(empty, b"avc3"))

    assert (info.width, info.chroma, info.interlaced) == (1280, None, None)
    assert lint_video(repo, "x", coded_with(empty, b"avc3")) == []
    assert damaged(tmp_path, coded_with(empty)) == "its H.264 decoder configuration (avcC) has no sequence parameter set"
    assert (inspect(tmp_path, coded_with(avcc(sps(chroma=2)), b"avc3")).chroma) == "4:2:2"   # given there: read


def test_every_sequence_parameter_set_in_the_avcc_is_read(repo, tmp_path):
    """An avcC may hold up to 31 sequence parameter sets; each picture names the one it is coded with. A 4:2:2
    or interlaced one after a 4:2:0 progressive one was not looked at."""
    def several(*sets: bytes, cut: int = 0) -> bytes:
        record = bytes([1, 100, 0, 31, 0xFF, 0xE0 | len(sets)]) + b"".join(struct.pack(">H", len(one)) + one
                                                                            for one in sets)
        return avcc_of(record[:len(record) - cut] + (b"" if cut else b"\0"))

    assert (inspect(tmp_path, coded_with(several(sps(), sps(chroma=2, set_id=1)))).chroma,
            inspect(tmp_path, coded_with(several(sps(), sps(fields=True, set_id=1)))).interlaced) == ("4:2:2", True)
    assert lint_video(repo, "x", coded_with(several(sps(), sps(chroma=3, set_id=1)))) == [
        f"{CLIP} is a video in YUV 4:4:4; X takes only YUV 4:2:0: export it again in 4:2:0 (yuv420p)"]
    assert inspect(tmp_path, coded_with(several(sps(), sps(set_id=1)))).chroma == "4:2:0"
    assert damaged(tmp_path, coded_with(several(sps(), sps(set_id=1), cut=3))) == (
        "its H.264 decoder configuration (avcC) is cut short")
