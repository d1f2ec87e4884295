"""What a post's media costs lint: the one-file lint pre-commit runs, on a post with a 5 MB JPEG and on the same
post without media.

    python benchmarks/media.py [--repeat R]

Makes a content repository with `postops init`, a 4000x3000 JPEG photo of about 5 MB (made by Pillow from a
fixed seed, so every run lints the same bytes) and two posts for the X account, one naming the photo and one
without media, then runs `postops lint --no-cache FILE` on each R times (default 5), each in a fresh process
(what pre-commit does). Wall time is the best of R runs (with the range); CPU is user + system. The
difference between the two posts is what reading the photo costs: its header, and the decode that finds a
file cut short.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
from pathlib import Path

from lint import measure, postops  # benchmarks/lint.py, beside this file

WIDTH, HEIGHT = 4000, 3000
SEED = 7
NOISE = 0.27     # how much seeded noise over a gradient: sets the file's size (about 5 MB at quality 85)


def photo() -> bytes:
    from PIL import Image  # noqa: PLC0415 - postops' own dependency, needed only to make the file

    noise = Image.frombytes("L", (WIDTH, HEIGHT), random.Random(SEED).randbytes(WIDTH * HEIGHT)).convert("RGB")
    gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    out = io.BytesIO()
    Image.blend(gradient, noise, NOISE).save(out, "JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        postops("init", "--ci", "none", str(root), cwd=Path(tmp))
        data = photo()
        (root / "media").mkdir(exist_ok=True)
        (root / "media" / "photo.jpg").write_bytes(data)
        posts = root / "posts" / "official"
        text = "account: official\npublish_at: 2026-11-24T09:00:00-05:00\ntext: Our new report is out today\n"
        (posts / "plain.yaml").write_text(text)
        (posts / "photo.yaml").write_text(text + "media:\n  - path: media/photo.jpg\n    alt: A photo\n")
        print(f"one-file lint, --no-cache, best of {args.repeat} (range); the photo: {WIDTH}x{HEIGHT} JPEG, "
              f"{len(data):,} bytes")
        for name in ("plain", "photo"):
            measure(f"posts/official/{name}.yaml", [sys.executable, "-m", "postops", "lint", "--no-cache",
                                                    f"posts/official/{name}.yaml"], root, args.repeat)


if __name__ == "__main__":
    main()
