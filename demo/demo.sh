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

# Later times for --now, the clock of rehearsals: posts wait `min_lead` (10 minutes) after a publisher
# first sees them on main before they go out, so that a `git revert` can stop them.
later() { python -c "import datetime as d, sys; print((d.datetime.now(d.timezone.utc) + d.timedelta(minutes=int(sys.argv[1]))).isoformat(timespec='seconds'))" "$1"; }
next_week="$(python -c "import datetime as d; print((d.date.today() + d.timedelta(days=7 + (2 - d.date.today().weekday()) % 7)).isoformat() + 'T10:00')")"

section "2. On a branch, someone writes to the official account a message meant for a personal one"
git switch --quiet -c thank-partners
expect 1 postops new official "Suck it, @amnesty"
post="$(sed -n 's/^wrote //p' "$OUT")"
show cat "$post"

section "3. Lint, here or in CI on the pull request, stops it: file, line, column, rule"
expect 1 postops lint
must_show "$post:4:3: error [banned-phrases] Official accounts don't say 'suck it'"
must_show "$post:4:12: error [official-mentions] @amnesty is not on the list"
must_show "[offensive-tone] text reads as offensive"

section "4. No word list names every insult: the tone model catches this one"
show rm "$post"
expect 1 postops new official "Eat dirt, losers"
post="$(sed -n 's/^wrote //p' "$OUT")"
must_show "error [offensive-tone] text reads as offensive"
must_show '"Eat dirt, losers"'

section "5. Fix it: write what the official account meant to say, for next week"
show rm "$post"
expect 0 postops new official "Thank you to our partners for a year of work on energy security: https://example.org/reports" --at "$next_week"
show cat "$(sed -n 's/^wrote //p' "$OUT")"
git add -A
git commit --quiet -m "Thank our partners"
expect 0 postops new drill "Drill: this post goes to the local outbox, not to a platform."
drill_post="$(sed -n 's/^wrote //p' "$OUT")"
expect 0 postops lint
git add -A
git commit --quiet -m "A drill post"
drill_commit="$(git rev-parse HEAD)"

section "6. Review approves the pull request, and it is merged"
show git switch --quiet main
show git merge --no-ff --quiet -m "Merge pull request #1 from example-org/thank-partners" thank-partners
# The publish workflow runs on every push to main: this run is the first to see the merge, and min_lead
# counts from it (never from the commit's own date, which its author sets).
expect 0 postops publish
expect 0 postops plan --now "$(later 5)"
must_show "wait"

section "7. The scheduled publish run, 15 minutes later: the drill post goes out, the rest waits its time"
expect 0 postops publish --now "$(later 15)"
must_show "1 published"
show ls .postops/outbox/drill
expect 0 postops status --now "$(later 15)"
must_show "published"

section "8. Take it down: git revert of its commit, merged, and the next run retracts it"
show git revert --no-edit "$drill_commit"
expect 0 postops plan --now "$(later 20)"
must_show "retract"
expect 0 postops publish --now "$(later 20)"
show ls .postops/outbox/drill/retracted
expect 0 postops status --now "$(later 20)"
must_show "retracted"

section "9. The audit trail: who wrote it, how it reached main, when it went out and came down"
expect 0 postops log "$(basename "$drill_post" .yaml)"
must_show "published"
must_show "retracted"

section "10. A crisis drill: a week of posts, a wrong one reverted, a post made in the app, a pause"
expect 0 postops drill
must_show "revert to deletion: "
must_show "a post made in the app: found, alerted"
must_show "day-7 held by the pause"

section "Done"
echo "Lint stopped the posts that must never go out, with their file, line and rule. The approved drill"
echo "post was published once, at its time, and retracted by a git revert. The drill rehearsed every lever"
echo "on a scratch copy. The ledger of every step is on the branch postops/state:"
show git log --oneline postops/state
