"""Links in a post's text, found the way X finds them (twitter-text), within bounds that keep it fast.

Lint's facts and every platform adapter that turns links into something (t.co comparison, Bluesky link
facets, LinkedIn's link handling) look for links here, so a hostile text is bounded everywhere alike.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from typing import Any

# twitter-text's URL pattern takes time cubic in the number of dot-separated labels in a row (`a.a.a.` x 800
# took over a second, x 1,600 six), so longer runs are blanked out before it sees the text, and lint's
# `text-bounds` rule reports them; no real host name has more than a handful of labels. A text longer than any
# platform accepts (Facebook's 63,206 characters) is not searched for links at all.
MAX_DOTTED_LABELS = 10
MAX_TEXT_CHARS = 63_206
_LABEL = r"[^\s./:?#@]"
# Linear in the text: a match starts only where a label starts (the lookbehind), and a label, once read, is
# never read again shorter (possessive). Without both, a run of 63,206 letters without a dot (a Facebook
# post at its limit) took a minute: every position of the run read the rest of it before failing.
DOTTED_RUN = re.compile(rf"(?<!{_LABEL})(?:{_LABEL}++\.){{{MAX_DOTTED_LABELS + 1},}}{_LABEL}*+")


def import_twitter_text() -> None:
    """Register the twitter_text package without running its __init__, which loads everything the library
    has (emoji tables, parse_tweet, pkg_resources: about 0.2 s of CPU) when lint of ASCII text needs only
    the URL extractor (a third of that). The rest loads, with __init__, the first time anything else is
    asked of the package, so `from twitter_text import parse_tweet` elsewhere works as before."""
    if "twitter_text" in sys.modules:
        return
    spec = importlib.util.find_spec("twitter_text")
    if spec is None or spec.loader is None:
        raise ImportError("twitter-text-parser is not installed")
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(name: str) -> Any:
        del package.__getattr__
        with warnings.catch_warnings():
            # twitter-text imports pkg_resources, which prints a deprecation warning into every lint report
            warnings.simplefilter("ignore")
            loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = complete  # type: ignore[method-assign]
    sys.modules["twitter_text"] = package


def bound_problems(text: str) -> list[tuple[int, int, str]]:
    """(start, end, message) for each part of `text` over a bound that keeps link detection fast."""
    if len(text) > MAX_TEXT_CHARS:
        return [(0, 0, f"text is {len(text):,} characters, more than any platform accepts "
                       f"({MAX_TEXT_CHARS:,}); links in it are not looked for")]
    return [(m.start(), m.end(), f"{m.group().count('.')} dot-separated labels in a row, more than "
                                 f"{MAX_DOTTED_LABELS} (no host name has so many): not read as a link")
            for m in DOTTED_RUN.finditer(text)]


def preload_url_finder() -> None:
    """Compile twitter-text's URL patterns now: about 60 ms, paid once before lint forks its workers rather
    than once in each of them (a worker's import is not shared with the others)."""
    import_twitter_text()
    import twitter_text.extract_urls  # noqa: F401, PLC0415 - compiles its patterns


def find_urls(text: str) -> tuple[tuple[str, int, int], ...]:
    """(url, start, end) of every link in `text`, as twitter-text finds them, within the bounds above."""
    if "." not in text or len(text) > MAX_TEXT_CHARS:
        return ()
    # blanked with spaces of the same length, so the indices twitter-text gives stay those of `text`
    text = DOTTED_RUN.sub(lambda m: " " * len(m.group()), text)
    import_twitter_text()
    from twitter_text.extract_urls import extract_urls_with_indices  # noqa: PLC0415 - only when a URL is possible

    return tuple((u["url"], u["indices"][0], u["indices"][1]) for u in extract_urls_with_indices(text))
