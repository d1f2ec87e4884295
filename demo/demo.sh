#!/usr/bin/env bash
# The postops demo: a content repository from scratch, the post that must never go out, and lint
# stopping it. Runs offline, in a temporary folder; `make demo` puts the project's postops on PATH.
# POSTOPS_DEMO_KEEP=1 keeps the folder afterwards to look around.
set -euo pipefail

section() { printf '\n==== %s ====\n\n' "$*"; }
prompt() {
    local arg line='$'
    for arg in "$@"; do
        case "$arg" in *[[:space:]\'\"\$\&\;\|\<\>\(\)\*\?]*) line+=" \"$arg\"" ;; *) line+=" $arg" ;; esac
    done
    printf '%s\n' "$line"
}
show() { prompt "$@"; "$@"; }
# Shows a command and its output (also kept in the file $OUT), and stops the demo unless it exits
# with the code expected: `expect 1 postops lint` shows lint failing, as it should, without ending here.
OUT="$(mktemp)"
expect() {
    local want=$1 code=0
    shift
    prompt "$@"
    "$@" >"$OUT" 2>&1 || code=$?
    cat "$OUT"
    if [ "$code" -ne "$want" ]; then
        printf 'demo: expected exit code %s from `%s`, got %s\n' "$want" "$*" "$code" >&2
        exit 1
    fi
    printf '(exit code %s)\n' "$code"
}
must_show() {
    grep -qF -- "$1" "$OUT" || { printf 'demo: expected the output to show: %s\n' "$1" >&2; exit 1; }
}

work="$(mktemp -d "${TMPDIR:-/tmp}/postops-demo.XXXXXX")"
if [ "${POSTOPS_DEMO_KEEP:-}" = 1 ]; then
    trap 'rm -f "$OUT"; printf "\nThe demo repository is kept in %s\n" "$work/comms"' EXIT
else
    trap 'rm -rf "$work" "$OUT"' EXIT
fi
# Commits in the demo repository are made by a demo identity, whatever git is configured with.
export GIT_AUTHOR_NAME="Demo Comms" GIT_AUTHOR_EMAIL="comms@example.org"
export GIT_COMMITTER_NAME="Demo Comms" GIT_COMMITTER_EMAIL="comms@example.org"
cd "$work"

section "1. A new content repository: accounts, policies and example posts"
show postops init comms
cd comms
git add -A
git commit --quiet -m "Set up postops"
expect 0 postops lint

section "2. Someone writes, to the official account, a message meant for a personal one"
expect 1 postops new official "Suck it, @amnesty"
post="$(sed -n 's/^wrote //p' "$OUT")"
show cat "$post"

section "3. Lint, here or in CI on the pull request, stops it: file, line, column, rule"
expect 1 postops lint
must_show "$post:4:3: error [banned-phrases] Official accounts don't say 'suck it'"
must_show "$post:4:12: error [official-mentions] @amnesty is not on the list"

section "4. Fix it: drop the draft, write what the official account meant to say"
show rm "$post"
expect 0 postops new official "Thank you to our partners for a year of work on energy security: https://example.org/reports"
show cat "$(sed -n 's/^wrote //p' "$OUT")"
expect 0 postops lint
git add -A
git commit --quiet -m "Thank our partners"

section "5. A drill post, for the drill account: it publishes to a local outbox, not a platform"
expect 0 postops new drill "Drill: this post goes to the local outbox, not to a platform."
git add -A
git commit --quiet -m "Drill post"

# ---- Publishing -----------------------------------------------------------------------------------
# The publishing part of the demo goes here: `postops plan` and `postops publish` for the drill
# account, which writes its post to .postops/outbox.
# ---------------------------------------------------------------------------------------------------

section "Done"
echo "Lint caught the post before it could be published, with its file, line and rule."
