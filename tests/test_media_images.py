"""Images checked by their content: an image cut short at any byte is a damaged image with the documented
message ("the file ends before its image does"), never Pillow's words naming the file's full path; and X's
animated GIF limits, read from the GIF itself.

The expected answers come from the formats' and X's own documents:
- WEBP (RIFF, https://developers.google.com/speed/webp/docs/riff_container): "RIFF", then a 32-bit
  little-endian File Size counting every byte after it, then "WEBP": a file shorter than that is cut.
- X, media best practices, "Animated GIF recommendations": "A GIF may fail during Post creation even if it is
  within the file size limit": resolution "<= 1280x1080 (width x height)", "Number of frames: <= 350",
  "Number of pixels: <= 300 million (width * height * num_frames)", "File size: <= 15 MB".
- Mastodon: GIF_MATRIX_LIMIT, 1280x720 (921,600 pixels) and no limit on frames.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from mediafixtures import gif
from PIL import Image

from postops.repo.media import MediaInfo, MediaProblem, inspect_media

CUT = "the file ends before its image does"


def webp(kind: str) -> bytes:
    out = io.BytesIO()
    gradient = Image.linear_gradient("L").convert("RGB").resize((40, 30))
    if kind == "animated":
        frames = [Image.new("RGB", (32, 16), (i * 40, 0, 0)) for i in range(4)]
        frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    else:
        gradient.save(out, "WEBP", lossless=kind == "lossless")
    return out.getvalue()


def saved(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((40, 30)).save(out, fmt)
    return out.getvalue()


def inspect(tmp_path: Path, data: bytes, name: str) -> MediaInfo:
    path = tmp_path / name
    path.write_bytes(data)
    return inspect_media(path, f"media/{name}")


@pytest.mark.parametrize("kind", ["lossy", "lossless", "animated"])
def test_a_webp_cut_short_is_a_damaged_webp(tmp_path, kind):
    whole = webp(kind)
    assert inspect(tmp_path, whole, "a.webp").format == "webp"
    assert inspect(tmp_path, whole + bytes(10), "a.webp").format == "webp"    # bytes after its end are no damage
    for end in (12, 20, len(whole) // 2, len(whole) - 1):
        with pytest.raises(MediaProblem) as caught:
            inspect(tmp_path, whole[:end], "a.webp")
        assert caught.value.message == f"media 'media/a.webp' is a damaged WEBP image ({CUT}); export it again"


SIGNATURE = {"png": 8, "jpg": 3, "gif": 4, "webp": 12}   # bytes that say the format: PNG's 8, "RIFF....WEBP"


@pytest.mark.parametrize(("name", "data"), [
    ("png", saved("PNG")), ("jpg", saved("JPEG")), ("gif", saved("GIF")), ("webp", saved("WEBP")),
    ("webp", webp("animated")), ("gif", gif((64, 48), 5)),
], ids=["png", "jpeg", "gif", "webp", "animated webp", "animated gif"])
def test_an_image_cut_at_any_byte_after_its_signature_is_cut_short_or_whole(tmp_path, name, data):
    # Pillow says "cannot identify image file '/the/full/path'", "could not create decoder object", "truncated
    # PNG file" or "cannot load this image" for such files: none of that reaches the user
    file = f"a.{name}"
    said = set()
    for end in range(SIGNATURE[name], len(data)):
        try:
            inspect(tmp_path, data[:end], file)
        except MediaProblem as exc:
            said.add(exc.message)
        else:   # only the end of the file's last block or its trailer may be missing, or an animation may end
            # after a whole frame (its LZW codes there), before the next frame's image descriptor (0x2c)
            last = data.rfind(b"\x02\x02\x44\x01", 0, end)
            assert end >= len(data) - 4 or (last > 0 and b"\x2c" not in data[last + 4:end]), (end, len(data))
    assert said == {f"media 'media/{file}' is a damaged {name.upper().replace('JPG', 'JPEG')} image ({CUT}); "
                    "export it again"}


@pytest.mark.parametrize("name", ["png", "jpg", "gif", "webp"])
def test_flipped_bytes_are_a_finding_or_an_image_never_a_crash_nor_a_path(tmp_path, name):
    whole = saved({"jpg": "JPEG"}.get(name, name.upper()))
    rng = random.Random(15948)
    for _ in range(150):
        data = bytearray(whole)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            inspect(tmp_path, bytes(data), f"a.{name}")
        except MediaProblem as exc:
            assert str(tmp_path) not in exc.message, exc.message


# -- X's animated GIF limits ---------------------------------------------------------------------------------

ACCOUNTS = """\
version: 1
timezone: UTC
accounts:
  x:
    platform: x
  social:
    platform: mastodon
    instance: https://social.example
"""
G = "media 'media/a.gif' is a GIF of"


def lint_gif(repo, account: str, data: bytes) -> list[str]:
    repo.write("postops.yaml", ACCOUNTS)
    repo.write_bytes("media/a.gif", data)
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: hi\nmedia:\n  - {{path: media/a.gif, alt: x}}\n")
    return [f.message for f in repo.lint().findings if f.rule == "media"]


def test_the_frames_of_a_gif_are_counted():
    assert (gif((64, 48), 7)[:6], Image.open(io.BytesIO(gif((64, 48), 7))).n_frames) == (b"GIF89a", 7)


@pytest.mark.parametrize(("data", "messages"), [
    (gif((1280, 1080)), []),
    (gif((1281, 1080)), [f"{G} 1281x1080 pixels; X takes GIFs of at most 1280x1080 (width x height)"]),
    (gif((1280, 1081)), [f"{G} 1280x1081 pixels; X takes GIFs of at most 1280x1080 (width x height)"]),
    # width x height, as X words it: not either way round
    (gif((1080, 1280)), [f"{G} 1080x1280 pixels; X takes GIFs of at most 1280x1080 (width x height)"]),
    (gif((16, 16), 350), []),
    (gif((16, 16), 351), [f"{G} 351 frames; X takes GIFs of at most 350"]),
    (gif((1000, 857), 350), []),                         # 299,950,000 pixels in all
    (gif((1000, 858), 350), [f"{G} 350 frames of 1000x858 pixels (300,300,000 in all); X takes GIFs of at most "
                             "300,000,000 pixels (width x height x frames)"]),
    (gif((1280, 1080), 217), []),                        # 299,980,800
    (gif((1280, 1080), 218), [f"{G} 218 frames of 1280x1080 pixels (301,363,200 in all); X takes GIFs of at "
                              "most 300,000,000 pixels (width x height x frames)"]),
], ids=["at size", "wider", "taller", "portrait", "at frames", "frames", "at pixels", "pixels", "at pixels 2",
        "pixels 2"])
def test_x_animated_gif_limits(repo, data, messages):
    assert lint_gif(repo, "x", data) == messages


def test_mastodon_takes_gifs_of_any_frame_count_within_its_matrix_limit(repo):
    assert lint_gif(repo, "social", gif((16, 16), 400)) == []
    assert lint_gif(repo, "social", gif((1281, 720))) == [
        "media 'media/a.gif' is 1281x720 pixels (922,320); Mastodon takes GIF images of at most 921,600 pixels"]
