#!/usr/bin/env bash
# tools/install without installing anything: it parses, shellcheck finds nothing (when
# installed), and its option handling answers before it touches the system.
# Usage: check_install_script.sh TOOLS_INSTALL
set -euo pipefail
script=$1

fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

bash -n "$script" || fail "bash -n $script"
echo "ok: bash -n"

out=$("$script" --help) || fail "--help exited $?"
grep -qF -- '--foreground-fallback' <<<"$out" || fail "--help does not describe --foreground-fallback"
echo "ok: --help"

rc=0
out=$("$script" --no-such-option 2>&1) || rc=$?
[[ $rc == 2 ]] || fail "an unknown option exited $rc, not 2"
grep -qF 'unknown option: --no-such-option' <<<"$out" || fail "an unknown option said: $out"
rc=0
out=$("$script" --prefix relative/dir 2>&1) || rc=$?
[[ $rc == 1 ]] || fail "a relative --prefix exited $rc, not 1"
grep -qF 'absolute path' <<<"$out" || fail "a relative --prefix said: $out"
echo "ok: bad options refused"

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "shellcheck not installed (Debian package shellcheck): not linted"
    exit 0
fi
shellcheck "$script" || fail "shellcheck $script"
echo "ok: shellcheck"
