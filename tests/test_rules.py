"""Built-in rules: each with a failing post and the exact (line, column) of its finding, and a passing one."""

from __future__ import annotations

import io

import pytest
from mediafixtures import MP4, image, mp4
from PIL import Image

from postops.lint.engine import run_lint
from postops.repo import media as media_module
from postops.repo.config import load_config


def findings(repo, rule):
    return [(f.line, f.column, f.message) for f in repo.lint().findings if f.rule == rule]


GOOD = """\
account: csis
publish_at: 2026-11-24T09:00:00-05:00
text: Our report is out https://csis.org/x
"""


def test_a_good_post_has_no_findings(repo):
    repo.write("posts/csis/good.yaml", GOOD)
    result = repo.lint()
    assert result.findings == ()
    assert (result.files, result.posts) == (1, 1)


def test_post_schema_unknown_key_suggests_the_nearest(repo):
    repo.write("posts/csis/p.yaml", "account: csis\ntxet: hello\n")
    assert findings(repo, "post-schema") == [
        (1, 1, "missing required key 'text'"),
        (2, 1, "unknown key 'txet' (did you mean 'text'?)"),
    ]


def test_post_schema_wrong_types_point_at_the_value(repo):
    repo.write("posts/csis/p.yaml", "account: csis\ntext: hi\nlabels: research\nmedia:\n  - {alt: x}\n")
    assert findings(repo, "post-schema") == [
        (3, 9, "labels must be a list, not a string"),
        (5, 5, "missing required key 'path' in media[0]"),
    ]


def test_post_schema_list_where_mapping_belongs(repo):
    repo.write("posts/csis/p.yaml", "- account: csis\n- text: hi\n")
    assert findings(repo, "post-schema") == [(1, 1, "a post must be a mapping of keys (account, text, ...), not a list")]


@pytest.mark.parametrize(("value", "ok"), [
    ("2026-11-24T09:00:00-05:00", True),
    ("2026-11-24 09:00", True),
    ("'2026-11-24T14:00:00Z'", True),
    ("2026-11-24", False),
    ("tomorrow at nine", False),
    ("2026-13-40T09:00:00", False),
])
def test_publish_at(repo, value, ok):
    repo.write("posts/csis/p.yaml", f"account: csis\npublish_at: {value}\ntext: hi\n")
    expected = [] if ok else [(2, 13, f"publish_at {value.strip(chr(39))!r} is not a date and time "
                                      "(use e.g. 2026-11-24T09:00:00-05:00)")]
    assert findings(repo, "publish-at") == expected


def test_naive_publish_at_is_read_in_the_configured_timezone(repo):
    from postops.repo.config import load_config
    from postops.repo.posts import load_post

    repo.write("posts/csis/p.yaml", "account: csis\npublish_at: 2026-07-01 09:00\ntext: hi\n")
    post = load_post(repo.root, "posts/csis/p.yaml", load_config(repo.root))
    assert post.publish_at.isoformat() == "2026-07-01T09:00:00-04:00"


def test_unknown_account(repo):
    repo.write("posts/csis/p.yaml", "account: [csis, cisis]\ntext: hi\n")
    assert findings(repo, "unknown-account") == [(1, 17, "unknown account 'cisis' (did you mean 'csis'?)")]


def test_account_folder_catches_the_wrong_account(repo):
    repo.write("posts/csis/p.yaml", "account: drill\ntext: hi\n")
    repo.write("posts/csis/ok.yaml", "account: [drill, csis]\ntext: cross-posted\n")
    repo.write("posts/nobody/q.yaml", "account: csis\ntext: hi\n")
    result = repo.lint()
    got = sorted((f.path, f.line, f.column) for f in result.findings if f.rule == "account-folder")
    assert got == [("posts/csis/p.yaml", 1, 10), ("posts/nobody/q.yaml", 1, 1)]


def test_duplicate_id_across_folders(repo):
    repo.write("posts/csis/2026/launch.yaml", GOOD)
    repo.write("posts/csis/2025/launch.yaml", GOOD)
    repo.write("posts/csis/other.yaml", "id: launch\n" + GOOD)
    result = repo.lint()
    dupes = sorted((f.path, f.line, f.column) for f in result.findings if f.rule == "duplicate-id")
    assert dupes == [("posts/csis/2025/launch.yaml", 1, 1), ("posts/csis/2026/launch.yaml", 1, 1),
                     ("posts/csis/other.yaml", 1, 5)]


def test_duplicate_id_is_found_when_linting_one_file(repo):
    repo.write("posts/csis/a/launch.yaml", GOOD)
    repo.write("posts/csis/b/launch.yaml", GOOD)
    result = repo.lint([str(repo.root / "posts/csis/a/launch.yaml")])
    assert [f.rule for f in result.findings] == ["duplicate-id"]
    assert result.files == 1


@pytest.mark.parametrize(("account", "text", "message"), [
    ("csis", "x" * 281, "text is 281/280 weighted characters on X (account csis)"),
    # a URL counts 23 whatever its length
    ("csis", "x" * 256 + " https://example.org/" + "a" * 300, None),
    ("csis", "x" * 257 + " https://example.org/", "text is 281/280 weighted characters on X (account csis)"),
    # CJK characters weigh 2 on X
    ("csis", "語" * 141, "text is 282/280 weighted characters on X (account csis)"),
    ("social", "x" * 501, "text is 501/500 characters on Mastodon (account social)"),
    ("social", "x" * 500, None),
    ("sky", "👍🏽" * 301, "text is 301/300 graphemes on Bluesky (account sky)"),
    ("sky", "👍🏽" * 300, None),
])
def test_text_length(repo, account, text, message):
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: {text}\n")
    assert findings(repo, "text-length") == ([(2, 7, message)] if message else [])


def test_text_length_checks_every_thread_part(repo):
    repo.write("posts/csis/p.yaml", f"account: csis\ntext: short\nthread:\n  - text: ok\n  - text: {'y' * 300}\n")
    assert findings(repo, "text-length") == [(5, 11, "thread part 3 is 300/280 weighted characters on X (account csis)")]


def test_media(repo, tmp_path):
    repo.write_bytes("media/chart.png", image("PNG"))
    repo.write_bytes("media/notes.txt", b"hello")
    repo.write_bytes("media/huge.png", image("PNG", pad_to=5 * 1024 * 1024 + 1))
    outside = tmp_path.parent / "outside.png"
    outside.write_bytes(b"png")
    (repo.root / "media/link.png").symlink_to(outside)
    repo.write("posts/csis/p.yaml", """\
        account: csis
        text: hi
        media:
          - {path: media/chart.png, alt: A chart}
          - {path: media/missing.png, alt: x}
          - {path: media/notes.txt, alt: x}
          - {path: media/link.png, alt: x}
          - {path: ../outside.png, alt: x}
          - {path: media/huge.png, alt: x}
        """)
    assert findings(repo, "media") == [
        (5, 12, "media file 'media/missing.png' does not exist"),
        (6, 12, "media 'media/notes.txt' has an unsupported type; use one of .gif, .jpeg, .jpg, .mov, .mp4, .png, .webp"),
        (7, 12, "media 'media/link.png' is outside the repository"),
        (8, 12, "media '../outside.png' is outside the repository"),
        (9, 12, "media 'media/huge.png' is 5,242,881 bytes; x allows at most 5,242,880 bytes for images"),
    ]


def test_at_most_four_images(repo):
    for i in range(5):
        repo.write_bytes(f"media/{i}.png", image("PNG"))
    items = "".join(f"  - {{path: media/{i}.png, alt: x}}\n" for i in range(5))
    repo.write("posts/csis/p.yaml", "account: csis\ntext: hi\nmedia:\n" + items)
    assert findings(repo, "media") == [(8, 5, "5 images in one part; at most 4 are allowed")]


@pytest.mark.parametrize("secret", [
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "a1B2" * 9,
    "xoxb-123456789012-abcdefghij",
    "-----BEGIN RSA PRIVATE KEY-----",
    "sk_live_" + "a" * 24,
])
def test_secret_in_text(repo, secret):
    repo.write("posts/csis/p.yaml", f"account: csis\ntext: |-\n  New post!\n  key {secret} oops\n")
    got = findings(repo, "secret-in-text")
    assert [(line, col) for line, col, _ in got] == [(4, 7)]
    assert secret not in got[0][2]  # the finding must not repeat the secret


def test_no_secret_in_ordinary_text(repo):
    repo.write("posts/csis/p.yaml", "account: csis\ntext: The AKIA conference and sk-learn tips at https://x.com/a?b=c\n")
    assert findings(repo, "secret-in-text") == []


@pytest.mark.parametrize(("account", "target", "ok"), [
    ("csis", "https://x.com/CSIS/status/1856000000000000000", True),
    ("csis", "https://twitter.com/CSIS/status/1856000000000000000", True),
    ("csis", "https://bsky.app/profile/csis.org/post/3k", False),
    ("sky", "https://bsky.app/profile/csis.org/post/3k", True),
    ("social", "https://mastodon.example/@csis/1123", True),
    ("social", "https://x.com/CSIS/status/1", False),
    ("csis", "other-post", True),
    ("csis", "no-such-post", False),
])
def test_reply_target(repo, account, target, ok):
    repo.write("posts/csis/other-post.yaml", GOOD)
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: reply\nreply_to: {target}\n")
    got = findings(repo, "reply-target")
    assert (got == []) == ok
    if not ok:
        assert got[0][:2] == (3, 11)


def test_unparsable_files_are_findings_and_other_files_still_lint(repo):
    repo.write_bytes("posts/csis/binary.yaml", b"\x00\x01\x02")
    repo.write_bytes("posts/csis/latin1.yaml", "account: csis\ntext: caf\xe9\n".encode("latin-1"))
    repo.write("posts/csis/empty.yaml", "")
    repo.write("posts/csis/dupe.yaml", "account: csis\ntext: a\ntext: b\n")
    repo.write("posts/csis/other.yaml", "account: csis\ntxt: typo\n")
    result = repo.lint()
    parse = sorted((f.path, f.line, f.column, f.post) for f in result.findings if f.rule == "parse")
    assert parse == [
        ("posts/csis/binary.yaml", 1, 1, None),
        ("posts/csis/dupe.yaml", 3, 1, None),
        ("posts/csis/empty.yaml", 1, 1, None),
        ("posts/csis/latin1.yaml", 2, 10, None),
    ]
    assert any(f.rule == "post-schema" and f.path == "posts/csis/other.yaml" for f in result.findings)
    assert (result.files, result.posts) == (5, 1)


def test_size_cap_comes_from_config(repo):
    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text() + "lint:\n  max_file_bytes: 50\n")
    size = len(repo.write("posts/csis/p.yaml", "account: csis\ntext: " + "x" * 60 + "\n").read_bytes())
    assert [f.message for f in repo.lint().findings] == [f"file is {size} bytes, over the 50-byte limit"]


def test_disable_comment_with_reason_silences_and_is_counted(repo):
    repo.write("posts/csis/p.yaml", "# postops: disable=text-length -- quoted in full on purpose\n"
                                    f"account: csis\ntext: {'x' * 300}\n")
    result = repo.lint()
    assert result.findings == ()
    assert result.suppressed == 1


def test_disable_comment_without_reason_is_an_error_and_silences_nothing(repo):
    repo.write("posts/csis/p.yaml", f"account: csis\ntext: {'x' * 300}  # postops: disable=text-length\n")
    result = repo.lint()
    assert sorted((f.rule, f.line) for f in result.findings) == [("suppression", 2), ("text-length", 2)]
    assert result.suppressed == 0


def test_builtin_rule_severity_and_selector_are_configurable(repo):
    repo.write("policies/builtins.yaml", """\
        rules:
          - id: text-length
            severity: warning
            applies_to: {accounts: [csis]}
          - id: secret-in-text
            severity: "off"
        """)
    repo.write("posts/csis/p.yaml", f"account: csis\ntext: {'x' * 300} AKIAIOSFODNN7EXAMPLE\n")
    repo.write("posts/social/p2.yaml", f"account: social\ntext: {'x' * 600}\n")
    result = repo.lint()
    assert [(f.path, f.rule, f.severity) for f in result.findings] == [
        ("posts/csis/p.yaml", "text-length", "warning")]


def test_a_disable_comment_inside_the_text_is_text_and_silences_nothing(repo):
    repo.write("posts/csis/p.yaml", "account: csis\ntext: |-\n"
                                    f"  {'x' * 300}\n  # postops: disable=text-length -- sneaky\n")
    repo.write("posts/csis/q.yaml", f"account: csis\ntext: '{'y' * 300} # postops: disable=text-length -- quoted'\n")
    result = repo.lint()
    assert sorted((f.path, f.rule) for f in result.findings) == [("posts/csis/p.yaml", "text-length"),
                                                                 ("posts/csis/q.yaml", "text-length")]
    assert result.suppressed == 0


def test_codeowners_missing_or_drifted_is_an_error(repo):
    repo.write("posts/csis/good.yaml", GOOD)
    (repo.root / ".github" / "CODEOWNERS").unlink()
    result = repo.lint()
    assert [(f.path, f.rule, f.severity) for f in result.findings] == [(".github/CODEOWNERS", "codeowners", "error")]
    assert "postops codeowners" in result.findings[0].message
    repo.sync_codeowners()
    assert repo.lint().findings == ()
    config = (repo.root / "postops.yaml").read_text()
    (repo.root / "postops.yaml").write_text(config.replace('handle: "@CSIS"', 'handle: "@CSIS"\n    approvers: ["@org/leads"]'))
    drift = repo.lint().findings
    assert {(f.path, f.rule) for f in drift} == {(".github/CODEOWNERS", "codeowners")}
    assert any("@org/leads" in f.message for f in drift)


def test_codeowners_rule_can_be_turned_off(repo):
    (repo.root / ".github" / "CODEOWNERS").unlink()
    repo.write("policies/local.yaml", "rules:\n  - id: codeowners\n    severity: 'off'\n")
    assert repo.lint().findings == ()


@pytest.mark.parametrize(("line", "found"), [
    ("text: New report #energy", (2, 18)),
    ("text: New report  # energy", (2, 19)),
    ("text: 'New report #energy'", None),
    ("text: New report#energy", None),
    ("text: New report  # postops: disable=text-length -- a real comment", None),
])
def test_text_comment(repo, line, found):
    repo.write("posts/csis/p.yaml", f"account: csis\n{line}\n")
    got = findings(repo, "text-comment")
    assert [(line, c) for line, c, _ in got] == ([found] if found else [])


def test_text_comment_in_a_thread_part(repo):
    repo.write("posts/csis/p.yaml", "account: csis\ntext: fine\nthread:\n  - text: more #tags\n")
    assert [(line, c) for line, c, _ in findings(repo, "text-comment")] == [(4, 16)]


def test_urls_and_paths_that_cannot_be_read_are_findings_not_crashes(repo):
    repo.write("posts/csis/p.yaml", 'account: csis\ntext: hi\nreply_to: "https://[x/status/1"\n'
                                    'media:\n  - {path: "media/a\\0b.png", alt: x}\n')
    result = repo.lint()
    assert sorted((f.rule, f.line, f.message) for f in result.findings) == [
        ("media", 5, "media path 'media/a\\x00b.png' contains a NUL character"),
        ("reply-target", 3, "reply_to 'https://[x/status/1' is not a valid URL"),
    ]


def test_a_quoted_id_key_is_seen_by_duplicate_id_even_in_a_file_not_being_linted(repo):
    repo.write("posts/csis/a.yaml", '"id": same\naccount: csis\ntext: a\n')
    repo.write("posts/csis/b.yaml", "'id': same\naccount: csis\ntext: b\n")
    result = repo.lint([str(repo.root / "posts/csis/a.yaml")])
    assert [(f.path, f.rule) for f in result.findings] == [("posts/csis/a.yaml", "duplicate-id")]


def test_a_disable_comment_on_a_block_header_line_is_a_comment(repo):
    repo.write("posts/csis/p.yaml", f"account: csis\ntext: |-  # postops: disable=text-length -- quoted in full\n"
                                    f"  {'x' * 300}\n")
    result = repo.lint()
    assert (result.findings, result.suppressed) == ((), 1)


def with_pages(repo):
    """`repo` with a Facebook Page (fb) and a LinkedIn organisation page (li) among its accounts."""
    text = (repo.root / "postops.yaml").read_text()
    repo.write("postops.yaml", text.replace("accounts:\n", "accounts:\n  fb:\n    platform: facebook\n"
                                            "    page_id: '104729381234567'\n  li:\n    platform: linkedin\n"
                                            "    organization: 2414183\n", 1))
    return repo


@pytest.mark.parametrize(("account", "text", "message"), [
    ("fb", "x" * 63207, "text is 63207/63206 characters on Facebook (account fb)"),
    ("fb", "x" * 63206, None),
    ("li", "x" * 3001, "text is 3001/3000 characters on LinkedIn (account li)"),
    ("li", "x" * 2980 + " https://example.org/" + "a" * 10, "text is 3011/3000 characters on LinkedIn (account li)"),
])
def test_text_length_on_facebook_and_linkedin(repo, account, text, message):
    with_pages(repo).write(f"posts/{account}/p.yaml", f"account: {account}\ntext: {text}\n")
    assert findings(repo, "text-length") == ([(2, 7, message)] if message else [])


def test_media_facebook_and_linkedin_refuse(repo):
    with_pages(repo)
    repo.write_bytes("media/clip.mp4", MP4)
    repo.write_bytes("media/photo.webp", image("WEBP"))
    repo.write_bytes("media/big.jpg", image("JPEG", pad_to=10 * 1000 * 1000 + 1))
    repo.write("posts/fb/p.yaml", """\
        account: [fb, li]
        text: hi
        media:
          - {path: media/clip.mp4, alt: x}
          - {path: media/photo.webp, alt: x}
          - {path: media/big.jpg, alt: x}
        """)
    assert findings(repo, "media") == [
        (4, 5, "a video cannot be combined with other media in one part"),
        (4, 12, "media 'media/clip.mp4' is a video; postops cannot post videos to Facebook"),
        (4, 12, "media 'media/clip.mp4' is a video; postops cannot post videos to LinkedIn"),
        (5, 12, "media 'media/photo.webp' is a WEBP image; LinkedIn takes only GIF, JPEG, PNG"),
        (6, 12, "media 'media/big.jpg' is 10,000,001 bytes; facebook allows less than 10,000,000 bytes for images"),
    ]


@pytest.mark.parametrize(("size", "refused"), [(10 * 1000 * 1000, True), (10 * 1000 * 1000 - 1, False)])
def test_a_facebook_photo_is_less_than_10_mb(repo, size, refused):
    # the Graph API's Photo reference: a photo must be "less than 10 MB", so one of exactly 10 MB is refused
    with_pages(repo).write_bytes("media/photo.jpg", image("JPEG", pad_to=size))
    repo.write("posts/fb/p.yaml", "account: fb\ntext: hi\nmedia:\n  - {path: media/photo.jpg, alt: x}\n")
    expected = f"media 'media/photo.jpg' is {size:,} bytes; facebook allows less than 10,000,000 bytes for images"
    assert findings(repo, "media") == ([(4, 12, expected)] if refused else [])


def test_a_facebook_comment_takes_one_image(repo):
    with_pages(repo)
    for i in range(2):
        repo.write_bytes(f"media/{i}.png", image("PNG"))
    repo.write("posts/fb/p.yaml", "account: fb\ntext: hi\nmedia:\n  - {path: media/0.png, alt: x}\n"
                                  "  - {path: media/1.png, alt: x}\nthread:\n  - text: more\n    media:\n"
                                  "      - {path: media/0.png, alt: x}\n      - {path: media/1.png, alt: x}\n")
    assert findings(repo, "media") == [
        (10, 9, "thread part 2 is a comment on Facebook, which takes at most 1 image")]


@pytest.mark.parametrize(("account", "extra", "message"), [
    ("fb", "reply_to: other-post\n", None),
    ("fb", "reply_to: https://www.facebook.com/csis/posts/pfbid02xyz\n",
     ("on Facebook a reply is a comment by the page on one of its own posts (account fb): reply_to must be the id "
      "of a post in this repository published there, not a URL")),
    ("fb", "thread:\n  - text: more\n", None),
    ("li", "reply_to: other-post\n", ("postops cannot post replies to LinkedIn (account li); publish it as a "
                                      "post of its own")),
    ("li", "thread:\n  - text: more\n", ("postops cannot post threads to LinkedIn (account li); make it one "
                                         "post, or one post per part")),
])
def test_what_cannot_be_a_reply_on_facebook_and_linkedin(repo, account, extra, message):
    with_pages(repo).write("posts/fb/other-post.yaml", "account: [fb, li]\ntext: the report\n")
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: reply\n{extra}")
    got = [m for _, _, m in findings(repo, "reply-target")]
    assert got == ([message] if message else [])


def test_media_is_judged_by_its_content_not_its_name(repo):
    repo.write_bytes("media/notes.png", b"Remember to export the chart\n")
    repo.write_bytes("media/photo.png", image("JPEG"))
    repo.write_bytes("media/photo.jpg", image("JPEG"))
    repo.write_bytes("media/clip.mp4", image("PNG"))
    repo.write_bytes("media/empty.gif", b"")
    repo.write("posts/csis/p.yaml", """\
        account: csis
        text: hi
        media:
          - {path: media/notes.png, alt: x}
          - {path: media/photo.png, alt: x}
          - {path: media/photo.jpg, alt: x}
        thread:
          - text: a clip
            media:
              - {path: media/clip.mp4, alt: x}
          - text: nothing
            media:
              - {path: media/empty.gif, alt: x}
        """)
    assert findings(repo, "media") == [
        (4, 12, "media 'media/notes.png' is not an image: its content is text, not one of PNG, JPEG, GIF, WEBP, "
                "MP4, MOV"),
        (5, 12, "media 'media/photo.png' is a JPEG image named .png: rename it to .jpg, which platforms read its "
                "type from too"),
        (10, 16, "media 'media/clip.mp4' is a PNG image named .mp4: rename it to .png, which platforms read its "
                 "type from too"),
        (13, 16, "media 'media/empty.gif' is not an image: its content is empty, not one of PNG, JPEG, GIF, WEBP, "
                 "MP4, MOV"),
    ]


def test_a_damaged_png_is_refused_although_its_header_reads(repo):
    # Cut short after its header (a download or a copy that stopped), or with a flipped byte: the header gives
    # a size, but no platform can process the file (PNG, ISO/IEC 15948: every chunk ends with a CRC-32)
    whole = image("PNG")
    flipped = bytearray(whole)
    flipped[45] ^= 0xFF                         # inside the IDAT chunk, after the header
    repo.write_bytes("media/cut.png", whole[:60])
    repo.write_bytes("media/flipped.png", bytes(flipped))
    repo.write_bytes("media/padded.png", whole + bytes(100))   # bytes after its end are no damage
    repo.write("posts/csis/p.yaml", """\
        account: csis
        text: hi
        media:
          - {path: media/cut.png, alt: x}
          - {path: media/flipped.png, alt: x}
          - {path: media/padded.png, alt: x}
        """)
    assert [(line, message) for line, _, message in findings(repo, "media")] == [
        (4, "media 'media/cut.png' is a damaged PNG image (the file ends before its image does); export it again"),
        (5, "media 'media/flipped.png' is a damaged PNG image (broken PNG file (bad header checksum in b'IDAT')); "
            "export it again"),
    ]


def test_a_jpeg_or_gif_cut_short_is_refused_although_its_header_reads(repo):
    # A copy or download that stopped keeps the header (so the size reads) but not the end of the image: a
    # JPEG's entropy-coded data and its EOI marker (ITU T.81), a GIF's image data and trailer (GIF89a); no
    # platform can process it. An animated GIF cut in a later frame is found too.
    out = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(out, "JPEG")
    jpeg = out.getvalue()
    frames = [Image.new("P", (32, 16), i) for i in range(4)]
    for i, frame in enumerate(frames):
        frame.putpixel((i, i), 255 - i)
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    animated = out.getvalue()
    repo.write_bytes("media/cut.jpg", jpeg[: len(jpeg) * 3 // 4])   # in its scan, after the header
    repo.write_bytes("media/no-end.jpg", jpeg[:-2])
    repo.write_bytes("media/padded.jpg", jpeg + bytes(100))     # bytes after its end are no damage
    repo.write_bytes("media/cut.gif", image("GIF", (64, 48))[:-4])
    repo.write_bytes("media/cut-late.gif", animated[:-6])
    repo.write_bytes("media/animated.gif", animated)
    repo.write("posts/csis/p.yaml", """\
        account: csis
        text: hi
        media:
          - {path: media/cut.jpg, alt: x}
          - {path: media/no-end.jpg, alt: x}
          - {path: media/padded.jpg, alt: x}
          - {path: media/cut.gif, alt: x}
        thread:
          - text: animated
            media:
              - {path: media/cut-late.gif, alt: x}
              - {path: media/animated.gif, alt: x}
        """)
    cut = "is a damaged {} image (the file ends before its image does); export it again"
    assert [(line, message) for line, _, message in findings(repo, "media")] == [
        (4, f"media 'media/cut.jpg' {cut.format('JPEG')}"),
        (5, f"media 'media/no-end.jpg' {cut.format('JPEG')}"),
        (7, f"media 'media/cut.gif' {cut.format('GIF')}"),
        (11, f"media 'media/cut-late.gif' {cut.format('GIF')}"),
    ]


def test_an_image_cut_inside_its_header_is_a_damaged_image_not_an_unknown_file(repo):
    repo.write_bytes("media/stub.png", image("PNG")[:20])
    repo.write_bytes("media/stub.jpg", image("JPEG")[:40])
    repo.write("posts/csis/p.yaml", "account: csis\ntext: hi\nmedia:\n  - {path: media/stub.png, alt: x}\n"
                                    "  - {path: media/stub.jpg, alt: x}\n")
    assert [(line, message) for line, _, message in findings(repo, "media")] == [
        (4, "media 'media/stub.png' is a damaged PNG image (the file ends before its image does); export it again"),
        (5, "media 'media/stub.jpg' is a damaged JPEG image (the file ends before its image does); export it again"),
    ]


def test_a_multi_picture_jpeg_from_a_camera_is_a_jpeg(repo):
    # MPO (CIPA DC-007): a JPEG followed by more pictures; platforms show the first. It was a KeyError.
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48))])
    repo.write("postops.yaml", MASTODON)
    repo.write_bytes("media/3d.jpg", out.getvalue())
    repo.write_bytes("media/3d.png", out.getvalue())
    repo.write("posts/li/p.yaml", "account: li\ntext: hi\nmedia:\n  - {path: media/3d.jpg, alt: x}\n"
                                  "  - {path: media/3d.png, alt: x}\n")
    assert findings(repo, "media") == [
        (5, 12, "media 'media/3d.png' is a JPEG image named .png: rename it to .jpg, which platforms read its "
                "type from too")]


def test_only_an_image_small_enough_is_decoded(repo, monkeypatch):
    # a file past the bound is judged by its header: decoding stays bounded in time and memory
    jpeg = image("JPEG", (64, 48))[:-2]   # no end: decoding finds it (the test above)
    repo.write_bytes("media/no-end.jpg", jpeg)
    repo.write("posts/csis/p.yaml", "account: csis\ntext: hi\nmedia:\n  - {path: media/no-end.jpg, alt: x}\n")
    def found():
        return [f.message for f in run_lint(repo.root, load_config(repo.root), cache=False).findings]
    monkeypatch.setattr(media_module, "_DECODE_BYTES", len(jpeg) - 1)
    assert found() == []
    monkeypatch.setattr(media_module, "_DECODE_BYTES", len(jpeg))
    assert found() == [
        "media 'media/no-end.jpg' is a damaged JPEG image (the file ends before its image does); export it again"]


MASTODON = """\
version: 1
timezone: UTC
accounts:
  social:
    platform: mastodon
    instance: https://social.example
  li:
    platform: linkedin
    organization: '2414183'
  x:
    platform: x
"""


@pytest.mark.parametrize(("account", "name", "data", "message"), [
    # Mastodon: width x height at most 33,177,600 (7680x4320), GIFs 921,600 (1280x720)
    ("social", "at.png", image("PNG", (7680, 4320), mode="1"), None),
    ("social", "over.png", image("PNG", (7681, 4320), mode="1"),
     "is 7681x4320 pixels (33,181,920); Mastodon takes images of at most 33,177,600 pixels"),
    ("social", "at.gif", image("GIF", (1280, 720), mode="1"), None),
    ("social", "over.gif", image("GIF", (1281, 720), mode="1"),
     "is 1281x720 pixels (922,320); Mastodon takes GIF images of at most 921,600 pixels"),
    # LinkedIn: fewer than 36,152,320 pixels
    ("li", "under.png", image("PNG", (36_152_319, 1), mode="1"), None),
    ("li", "over.png", image("PNG", (6016, 6010), mode="1"),
     "is 6016x6010 pixels (36,156,160); LinkedIn takes images of at most 36,152,319 pixels"),
    # X: images 5 MB, GIFs 15 MB
    ("x", "big.gif", image("GIF", pad_to=15 * 1024 * 1024), None),
    ("x", "bigger.gif", image("GIF", pad_to=15 * 1024 * 1024 + 1),
     "is 15,728,641 bytes; x allows at most 15,728,640 bytes for GIF files"),
])
def test_image_dimensions_and_sizes_per_platform(repo, account, name, data, message):
    repo.write("postops.yaml", MASTODON)
    repo.write_bytes(f"media/{name}", data)
    repo.write(f"posts/{account}/p.yaml", f"account: {account}\ntext: hi\nmedia:\n  - {{path: media/{name}, alt: x}}\n")
    assert findings(repo, "media") == ([(4, 12, f"media 'media/{name}' {message}")] if message else [])


@pytest.mark.parametrize(("size", "message"), [
    ((4096, 4096), None),
    ((4097, 4096), "is 4097x4096 pixels (16,781,312); Mastodon takes images of at most 16,777,216 pixels "
                   "(account social's instance)"),
])
def test_a_mastodon_instances_own_image_matrix_limit_holds(repo, size, message):
    # a server that reports a smaller image_matrix_limit than Mastodon's default (as GoToSocial's 4096x4096)
    repo.write("postops.yaml", MASTODON.replace("    instance: https://social.example\n",
                                                "    instance: https://social.example\n    limits:\n"
                                                "      media_attachments: {image_matrix_limit: 16777216}\n"))
    repo.write_bytes("media/wide.png", image("PNG", size, mode="1"))
    repo.write("posts/social/p.yaml", "account: social\ntext: hi\nmedia:\n  - {path: media/wide.png, alt: x}\n")
    assert findings(repo, "media") == ([(4, 12, f"media 'media/wide.png' {message}")] if message else [])


@pytest.mark.parametrize(("name", "limit", "data"), [
    ("chart.png", "image_size_limit", image("PNG", pad_to=5000)),
    ("clip.mp4", "video_size_limit", mp4(mdat=bytes(5000 - len(mp4(mdat=b""))))),
])
def test_a_mastodon_file_must_be_less_than_its_instances_size_limit(repo, name, limit, data):
    # Mastodon's MediaAttachment: `validates_attachment_size :file, less_than:` image_size_limit or
    # video_size_limit: a file of exactly the limit is refused, one byte fewer is taken
    kind = "images" if limit.startswith("image") else "videos"
    repo.write_bytes(f"media/{name}", data)
    repo.write("posts/social/p.yaml", f"account: social\ntext: hi\nmedia:\n  - {{path: media/{name}, alt: x}}\n")
    for size, message in ((5001, None), (5000, f"media 'media/{name}' is 5,000 bytes; mastodon allows less than "
                                               f"5,000 bytes for {kind} (account social's instance)")):
        repo.write("postops.yaml", MASTODON.replace("    instance: https://social.example\n",
                                                    "    instance: https://social.example\n    limits:\n"
                                                    f"      media_attachments: {{{limit}: {size}}}\n"))
        assert findings(repo, "media") == ([(4, 12, message)] if message else [])


def test_the_size_cap_may_not_be_raised_past_64_mib(repo):
    """No post file is ever read whole past 64 MiB (the lint cache hashes one byte past it, and its size)."""
    from postops.errors import ConfigError

    repo.write("postops.yaml", (repo.root / "postops.yaml").read_text() + "lint:\n  max_file_bytes: 67108865\n")
    with pytest.raises(ConfigError) as raised:
        load_config(repo.root)
    assert (raised.value.path, raised.value.line) == ("postops.yaml", (repo.root / "postops.yaml").read_text().count("\n"))
    assert "67108864" in raised.value.message
