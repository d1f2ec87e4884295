"""The text phrase rules and the tone model judge: what a reader sees, not the code points that spell it.

"Ｓｕｃｋ ｉｔ" (full-width forms), "Sսck it" (an Armenian letter that looks like u) and "S.u.c.k i.t"
(punctuation between single letters) all read as "Suck it", and a banned-phrase pattern on the written
text would miss each. Policies see the normalised text as `facts.text` and `facts.words`; a rule that must
see the text as written (a pattern on full-width characters, say) uses `facts.raw_text` instead.

Normalisation: Unicode compatibility forms (NFKC); then, in a word that mixes ASCII letters with others or
whose every letter looks like an ASCII one, each character that Unicode TR39's confusables list (through the
maintained `confusable-homoglyphs` package) says looks like an ASCII character is replaced by it; then
punctuation between single letters is dropped ("S.u.c.k" -> "Suck"). Words wholly in another script keep
their letters (a Cyrillic word stays Cyrillic for a Cyrillic pattern), and ASCII characters are left alone:
TR39 would also turn "1" into "l" and "rn" into "m", making ordinary words match patterns they do not contain.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources

# Single letters joined by single punctuation marks, at least two, as a word of their own: "S.u.c.k", "i-t",
# "U.S.A", but not the "a.b" in a link's path.
_SPELLED = re.compile(r"(?<![^\s(\[{\"'“‘«])[^\W\d_](?:[^\w\s][^\W\d_])+(?![^\W\d_])")
_PUNCTUATION = re.compile(r"[^\w\s]")
_WORD = re.compile(r"[^\s.,;:!?'\"()\[\]{}<>/\\|-]+")


@functools.cache
def _skeleton_table() -> dict[int, str]:
    """Each non-ASCII character that looks like an ASCII one (per TR39's confusables.txt) -> that character."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[int, str] = {}
    for char, glyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_glyphs = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isprintable()]
        if ascii_glyphs:
            table[ord(char)] = ascii_glyphs[0]
    return table


def _skeleton_word(match: re.Match[str]) -> str:
    word = match.group()
    if word.isascii():
        return word
    table = _skeleton_table()
    letters = [c for c in word if c.isalpha()]
    if any(c.isascii() for c in letters) or all(ord(c) in table for c in letters if not c.isascii()):
        return word.translate(table)
    return word


def normalize(text: str) -> str:
    """`text` as a reader sees it (see the module's docstring)."""
    if not text.isascii():
        text = _WORD.sub(_skeleton_word, unicodedata.normalize("NFKC", text))
    return _SPELLED.sub(lambda m: _PUNCTUATION.sub("", m.group()), text)
