"""`postops lint` as a user runs it: a real process, its output and its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

BAD = "account: csis\ntext: |-\n  Suck it, @amnesty\n"
POLICY = """\
rules:
  - id: no-insults
    message: "Official accounts don't say '{match}'"
    schema: {properties: {facts: {properties: {text: {not: {pattern: "\\\\bsuck it\\\\b"}}}}}}
  - id: hashtags
    severity: warning
    schema: {properties: {facts: {properties: {hashtags: {maxItems: 1}}}}}
"""


def postops(repo, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "postops", *args], cwd=cwd or repo.root, capture_output=True,
                          text=True)


def test_clean_repository_exits_0(repo):
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello\n")
    done = postops(repo, "lint")
    assert (done.returncode, done.stdout, done.stderr) == (0, "no problems in 1 file (1 post)\n", "")


def test_findings_exit_1_with_file_line_column(repo):
    repo.write("policies/p.yaml", POLICY)
    repo.write("posts/csis/a.yaml", BAD)
    done = postops(repo, "lint")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == "posts/csis/a.yaml:3:3: error [no-insults] Official accounts don't say 'suck it'"


def test_fail_on_and_quiet(repo):
    repo.write("policies/p.yaml", POLICY)
    repo.write("posts/csis/a.yaml", "account: csis\ntext: '#one #two'\n")
    assert postops(repo, "lint").returncode == 0
    done = postops(repo, "lint", "--fail-on", "warning", "--quiet")
    assert done.returncode == 1
    assert done.stdout == "posts/csis/a.yaml:2:13: warning [hashtags] breaks policy hashtags\n"
    assert "in 1 file" not in done.stdout


def test_json_to_a_file_from_a_subfolder(repo):
    repo.write("posts/csis/a.yaml", BAD.replace("text:", "txt:"))
    (repo.root / "posts" / "csis").mkdir(exist_ok=True)
    out = repo.root / "report.json"
    done = postops(repo, "lint", "--format", "json", "--output", str(out), cwd=repo.root / "posts" / "csis")
    assert (done.returncode, done.stdout) == (1, "")
    report = json.loads(out.read_text())
    assert report["summary"] == {"files": 1, "posts": 1, "errors": 2, "warnings": 0, "infos": 0, "suppressed": 0}
    assert {(f["path"], f["line"], f["column"], f["rule"]) for f in report["findings"]} == {
        ("posts/csis/a.yaml", 1, 1, "post-schema"), ("posts/csis/a.yaml", 2, 1, "post-schema")}


def test_only_the_given_paths(repo):
    repo.write("posts/csis/a.yaml", BAD.replace("text:", "txt:"))
    repo.write("posts/csis/b.yaml", "account: csis\ntext: fine\n")
    assert postops(repo, "lint", "posts/csis/b.yaml").returncode == 0
    assert postops(repo, "lint", "posts/csis/a.yaml").returncode == 1


@pytest.mark.parametrize(("setup", "message"), [
    (lambda r: r.write("postops.yaml", "version: 1\naccounts: {csis: {platform: fax}}\n"),
     "postops: postops.yaml:2:29: accounts.csis.platform is 'fax'"),
    (lambda r: r.write("policies/p.yaml", "rules:\n  - id: r\n    schema: {properties: {text: {pattern: '(?<=a)b'}}}\n"),
     "postops: policies/p.yaml:3:43: pattern '(?<=a)b' cannot be matched in linear time"),
])
def test_config_and_policy_errors_exit_2(repo, setup, message):
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello\n")
    setup(repo)
    done = postops(repo, "lint")
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert "Traceback" not in done.stderr


def test_outside_a_content_repository(tmp_path):
    done = subprocess.run([sys.executable, "-m", "postops", "lint"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert "no postops.yaml found" in done.stderr


def test_bad_option_is_a_usage_error(repo):
    assert postops(repo, "lint", "--format", "xml").returncode == 2


def test_schema_command_prints_the_post_schema(repo):
    done = postops(repo, "schema")
    schema = json.loads(done.stdout)
    assert schema["required"] == ["account"]
    assert (schema["if"], schema["then"]) == ({"not": {"required": ["repost"]}}, {"required": ["text"]})
    assert "publish_at" in schema["properties"]


def test_codeowners_command_writes_and_checks(repo):
    (repo.root / ".github" / "CODEOWNERS").unlink()
    assert postops(repo, "codeowners", "--check").returncode == 1
    assert postops(repo, "lint").returncode == 1
    done = postops(repo, "codeowners")
    assert (done.returncode, done.stdout) == (0, "wrote .github/CODEOWNERS\n")
    assert postops(repo, "codeowners", "--check").returncode == 0
    assert postops(repo, "lint").returncode == 0


def test_workflows_command_writes_the_secrets_of_every_account(repo):
    done = postops(repo, "workflows")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["wrote .github/workflows/postops-pr.yml",
                                        "wrote .github/workflows/postops-publish.yml"]
    assert postops(repo, "workflows").returncode == 1        # not overwritten without --force
    config = (repo.root / "postops.yaml").read_text()
    repo.write("postops.yaml", config + "  news:\n    platform: x\n    credentials: POSTOPS_NEWS\n")
    assert postops(repo, "workflows", "--force").returncode == 0
    assert "POSTOPS_NEWS_API_KEY: ${{ secrets.POSTOPS_NEWS_API_KEY }}" in \
        (repo.root / ".github/workflows/postops-publish.yml").read_text()


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_a_post_file_whose_name_is_not_utf8_is_a_finding_naming_it(repo, cache):
    # a file copied from an old Windows share or a Latin-1 archive: `café.yaml` in ISO 8859-1. Lint crashed
    # writing its cache, and without the cache said "no problems" about it; publish could not record its id.
    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello\n")
    (repo.root / "posts" / "csis").joinpath(os.fsdecode(b"caf\xe9.yaml")).write_text("account: csis\ntext: hi\n")
    done = postops(repo, "lint", *cache)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == ("posts/csis/caf\\xe9.yaml:1:1: error [parse] the file's name is not "
                                           "UTF-8: rename it (postops names posts, ids and ledger lines by it)")
    assert done.stderr == ""


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_a_multi_gigabyte_post_file_is_refused_without_being_read_into_memory(repo, cache):
    """A 3 GiB file under posts/ (sparse: it costs no disk) with postops' memory capped at 1 GB: a finding
    giving its real size, not a MemoryError. Every read of a post file stops one byte past the limit."""
    import resource

    repo.write("posts/csis/a.yaml", "account: csis\ntext: hello\n")
    with open(repo.root / "posts/csis/huge.yaml", "wb") as handle:
        handle.truncate(3 * 1024**3)

    def one_gigabyte() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))

    done = subprocess.run([sys.executable, "-m", "postops", "lint", *cache], cwd=repo.root, capture_output=True,
                          text=True, preexec_fn=one_gigabyte)
    assert (done.returncode, done.stderr) == (1, ""), done.stderr[-2000:]
    assert done.stdout.splitlines()[0] == \
        "posts/csis/huge.yaml:1:1: error [parse] file is 3,221,225,472 bytes, over the 1,048,576-byte limit"
    if not cache:   # CODEOWNERS' media folders come from every post file's media paths
        written = subprocess.run([sys.executable, "-m", "postops", "codeowners"], cwd=repo.root,
                                 capture_output=True, text=True, preexec_fn=one_gigabyte)
        assert (written.returncode, written.stderr) == (0, ""), written.stderr[-2000:]
