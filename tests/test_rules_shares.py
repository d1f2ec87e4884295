"""The rules repost, quote and poll: each failing post with the exact (line, column) of its finding, per account."""

from __future__ import annotations


def findings(repo, rule):
    return [(f.line, f.column, f.message) for f in repo.lint().findings if f.rule == rule]



def test_a_repost_needs_no_text_and_passes_on_x_mastodon_and_bluesky(repo):
    repo.write("posts/csis/r.yaml", "account: [csis, social, sky]\nrepost: https://x.com/partner/status/1850000000000000042\n")
    result = repo.lint()
    assert result.findings == ()


def test_a_repost_has_nothing_of_its_own(repo):
    repo.write("posts/csis/r.yaml", "account: csis\nrepost: https://x.com/a/status/1\ntext: Look\n"
                                    "poll: {options: [a, b], duration: 1d}\n")
    assert findings(repo, "repost") == [
        (3, 1, "a repost has no text of its own: remove text, or write a post that quotes it (quote:) instead"),
        (4, 1, "a repost has no poll of its own: remove poll, or write a post that quotes it (quote:) instead")]


def test_a_repost_on_a_platform_that_cannot_is_an_error_for_that_account(li):
    li.write("posts/csis/r.yaml", "account: [csis, li]\nrepost: https://x.com/a/status/1\n")
    assert findings(li, "repost") == [(2, 9, "postops cannot repost on LinkedIn (account li)")]


def test_a_repost_of_a_post_that_is_not_here(repo):
    repo.write("posts/csis/r.yaml", "account: csis\nrepost: no-such-post\n")
    assert findings(repo, "repost") == [
        (2, 9, "repost 'no-such-post' is neither a URL nor the id of a post in this repository")]


def test_text_is_still_required_without_a_repost(repo):
    repo.write("posts/csis/p.yaml", "account: csis\n")
    assert findings(repo, "post-schema") == [(1, 1, "missing required key 'text'")]


def test_quote_per_account_and_in_a_thread_part(li):
    li.write("posts/csis/q.yaml", "account: [csis, li]\ntext: Worth reading\nquote: https://x.com/a/status/1\n")
    assert findings(li, "quote") == [(3, 8, "postops cannot quote a post on LinkedIn (account li)")]
    li.write("posts/csis/q.yaml", "account: [csis, sky]\ntext: Worth reading\nthread:\n  - text: And this\n"
                                  "    quote: no-such-post\n")
    assert findings(li, "quote") == [
        (5, 12, "quote 'no-such-post' is neither a URL nor the id of a post in this repository")]


def test_poll_limits_on_x(repo):
    repo.write("media/c.png", "png")
    repo.write("posts/csis/p.yaml", "account: csis\ntext: Pick\nmedia: [{path: media/c.png, alt: c}]\npoll:\n"
                                    "  options: [a, b, c, d, e]\n  duration: 8d\n")
    assert findings(repo, "poll") == [
        (5, 3, "X takes a poll or media in one post, not both (account csis)"),
        (5, 12, "a poll on X has 2 to 4 options, not 5 (account csis)"),
        (6, 13, "a poll on X is open 5 minutes to 7 days, not 8d (account csis)")]


def test_a_poll_in_a_quote_post_is_refused_on_x_and_taken_on_mastodon(repo):
    # POST /2/tweets: `poll` "is mutually exclusive from Media, Quote Tweet Id, and Card URI"
    repo.write("posts/csis/p.yaml", "account: [csis, social]\ntext: Pick\nquote: https://x.com/a/status/1\n"
                                    "poll: {options: [a, b], duration: 1d}\n")
    assert findings(repo, "poll") == [(4, 7, "X takes a poll or a quote in one post, not both (account csis)")]


def test_poll_option_length_differs_by_platform(repo):
    option = "x" * 30
    repo.write("posts/csis/p.yaml", f"account: [csis, social]\ntext: Pick\npoll:\n  options: [{option}, b]\n"
                                    "  duration: 30m\n")
    assert findings(repo, "poll") == [(4, 13, "poll option 1 has 30 characters; X takes 25 (account csis)")]


def test_no_polls_on_bluesky(repo):
    repo.write("posts/sky/p.yaml", "account: sky\ntext: Pick\npoll: {options: [a, b], duration: 1d}\n")
    assert findings(repo, "poll") == [(3, 7, "Bluesky has no polls (account sky)")]


def test_a_poll_needs_two_options_and_a_duration(repo):
    repo.write("posts/csis/p.yaml", "account: csis\ntext: Pick\npoll: {options: [a]}\n")
    assert findings(repo, "post-schema") == [(3, 7, "missing required key 'duration' in poll"),
                                             (3, 17, "poll.options needs at least 2 item(s)")]

