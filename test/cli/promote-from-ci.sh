#!/usr/bin/env bash
# What a CI job does with the regrelay CLI, checked step by step: promote with
# --wait (exit 0), a refused promotion (exit 2), a promotion still waiting at the
# timeout (exit 3), --json output that parses. Needs REGRELAY_URL, REGRELAY_TOKEN,
# PIPELINE, DIGEST and CLI (the built dist/cli/regrelay.js).
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
regrelay() { node "$CLI" "$@"; }
# Reads a field of the JSON on stdin (`.status`, `.gates[0].type`); fails if it does not parse.
field() {
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const v = process.argv[1].split(/[.[\]]+/).filter(Boolean).reduce((o, k) => o?.[k], JSON.parse(s));
    if (v === undefined) process.exit(1);
    console.log(v);
  })' "$1"
}

regrelay promote "$PIPELINE" "team/app@$DIGEST" --to test --tag v1 --wait --timeout 60 --interval 200
code=$?
[ "$code" -eq 0 ] || fail "promote --wait into test exited $code, expected 0"
echo "promote --wait: exit 0"

out=$(regrelay --json promote "$PIPELINE" "team/app@$DIGEST" --to prod --tag v1 --wait --timeout 60 --interval 200)
code=$?
[ "$code" -eq 0 ] || fail "promote --json --wait into prod exited $code, expected 0"
status=$(printf '%s' "$out" | field .status) || fail "--json output does not parse: $out"
[ "$status" = succeeded ] || fail "status $status, expected succeeded"
id=$(printf '%s' "$out" | field .id)
echo "promote --json: $status $id"

# The prod tag v1 is immutable: another digest under it is refused by a rule (409).
regrelay promote "$PIPELINE" "team/app@$OTHER_DIGEST" --to prod --tag v1 --force --force-reason ci-test 2>/tmp/regrelay-cli-err
code=$?
[ "$code" -eq 2 ] || fail "an immutable tag promotion exited $code, expected 2: $(cat /tmp/regrelay-cli-err)"
grep -q 'immutable' /tmp/regrelay-cli-err || fail "no reason on stderr: $(cat /tmp/regrelay-cli-err)"
echo "refused by a rule: exit 2"

# A gate refusing: the check of the gated stage (pipeline $PIPELINE-gated) answers 422.
regrelay promote "$PIPELINE-gated" "team/app@$DIGEST" --to gated --tag v1 --wait --timeout 60 --interval 200 >/tmp/regrelay-cli-out
code=$?
[ "$code" -eq 2 ] || fail "a gate-refused promotion exited $code, expected 2"
grep -q 'refused' /tmp/regrelay-cli-out || fail "no refusal shown: $(cat /tmp/regrelay-cli-out)"
echo "refused by a gate: exit 2"

out=$(regrelay --json promote "$PIPELINE-approved" "team/app@$DIGEST" --to approved --tag v1 --wait --timeout 1 --interval 200)
code=$?
[ "$code" -eq 3 ] || fail "a promotion waiting for approval exited $code, expected 3"
waiting=$(printf '%s' "$out" | field .id)
echo "still waiting at the timeout: exit 3"

[ "$(regrelay --json status "$waiting" | field .gates[0].type)" = approval ] || fail "status --json"
regrelay status "$waiting" >/dev/null
code=$?
[ "$code" -eq 3 ] || fail "status of a waiting promotion exited $code, expected 3"
[ "$(regrelay --json history "$PIPELINE" --stage prod | field .total)" -ge 1 ] || fail "history --json"
regrelay --url http://127.0.0.1:1 status "$waiting" 2>/dev/null
[ $? -eq 1 ] || fail "an unreachable server must exit 1"
echo "status, history, errors: ok"
echo "all CLI checks passed"
