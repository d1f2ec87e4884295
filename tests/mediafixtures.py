"""Real media files for tests: images made by Pillow (the library postops reads their headers with), and the
first bytes of a video, so that what lint and publish read from a file's content is what a platform would."""

from __future__ import annotations

import io

from PIL import Image

# An MP4 file's first box (ISO/IEC 14496-12: size, 'ftyp', major brand): what identifies it, and all postops reads.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


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
