"""The file is readable YAML: UTF-8 text (not binary), not empty, at most `lint.max_file_bytes` (default
1 MiB, see [configuration.md](configuration.md#lint)), no duplicate keys, no merge keys (`<<`), no custom
tags (`!!python/...`), no alias "bombs" (at most 20,000 values after expanding aliases), no values nested
more than 100 deep (counted from the parser's event stream before the C composer builds anything: it
recurses once per level and would crash the whole process past about 20,000). The finding is
at the place the reader stopped; the rest of the repository is still checked. `parse` cannot be
silenced with a comment (a file that does not parse has no comments postops can trust).

A post file that is a symbolic link is this rule's finding, and so is a folder under `posts/` that is one
(`posts/notes:1:1: error [parse] folder is a symbolic link: ...`): the walk never enters it, since its posts
would come from a folder nobody reviews, and says so on every run, whatever files lint was given. So is a
post file whose name is not UTF-8 (`posts/csis/caf\\xe9.yaml`, a Latin-1 name copied from an old archive):
its id and its ledger lines would carry bytes no UTF-8 file can hold, so it is neither linted nor
published until it is renamed. So is a post file that is not a regular file (`cannot read file: not a
regular file (a named pipe)`, for one made with `mkfifo`): it is never opened in a way that could wait.
"""

from __future__ import annotations

from collections.abc import Iterator

from postops.lint.rules.base import BuiltinRule, Example, Hit, RuleType
from postops.repo.posts import LoadProblem
from postops.repo.yamlfile import Mark

ID = "parse"
TYPE: RuleType = "file"
SEVERITY = "error"
DESCRIPTION = ("A post file is readable UTF-8 YAML: not binary, empty or over the size limit; no duplicate keys "
               "or alias bombs; nothing nested more than 100 deep.")
OPTIONS = {"lint.max_file_bytes": "in postops.yaml: a post file larger than this many bytes is not read"}
EXAMPLES = (
    Example("posts/drill/a.yaml", "account: drill\naccount: official\ntext: Hello\n",
            ("posts/drill/a.yaml:2:1: error [parse] duplicate key 'account'",),
            note="the key `account` twice."),
    Example("posts/drill/a.yaml", "account: drill\ntext: Hello\n"),
)


def check(problem: LoadProblem) -> Iterator[Hit]:
    """The engine reads every post file; what it could not read is this rule's finding."""
    yield Hit(Mark(problem.line, problem.column), problem.message)


RULE = BuiltinRule(ID, SEVERITY, DESCRIPTION, type=TYPE, doc=__doc__ or "", options=OPTIONS, examples=EXAMPLES)
